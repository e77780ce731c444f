// GOBENCH_SCHEDTRACE: Go's schedtrace line from sysmon. The format and the settings are
// checked in process; the trace itself from a child process's standard error
// (runtime-scenarios), where sysmon writes it.
import XCTest
@testable import Runtime

final class SchedtraceTests: XCTestCase {
    // MARK: - The line

    /// Go 1.27.3's line, byte for byte (GOMAXPROCS=2 GODEBUG=schedtrace=10 on a program
    /// with four spinning goroutines printed exactly this shape).
    func testLineIsGo127Format() {
        let snapshot = SchedtraceSnapshot(
            milliseconds: 1004, gomaxprocs: 2, idleProcessors: 0, threads: 5, spinningThreads: 0,
            idleThreads: 1, globalRunQueue: 0, localRunQueues: [0, 0], scheduleTicks: [23, 56])
        XCTAssertEqual(snapshot.line,
            "SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 23 56 ]\n")
        let one = SchedtraceSnapshot(
            milliseconds: 0, gomaxprocs: 1, idleProcessors: 1, threads: 2, spinningThreads: 1,
            idleThreads: 0, globalRunQueue: 7, localRunQueues: [49], scheduleTicks: [0])
        XCTAssertEqual(one.line,
            "SCHED 0ms: gomaxprocs=1 idleprocs=1 threads=2 spinningthreads=1 needspinning=0 idlethreads=0 runqueue=7 [ 49 ] schedticks=[ 0 ]\n")
    }

    func testClockPrintsAtOnceThenEveryInterval() {
        var clock = SchedtraceClock(milliseconds: 10)
        XCTAssertTrue(clock.isOn)
        XCTAssertTrue(clock.isDue(5_000))
        XCTAssertEqual(clock.nanosecondsUntilDue(5_000), 0)
        clock.printed(at: 5_000)
        XCTAssertEqual(clock.startNanoseconds, 5_000)
        XCTAssertFalse(clock.isDue(5_000 + 9_999_999))
        XCTAssertEqual(clock.nanosecondsUntilDue(5_000 + 4_000_000), 6_000_000)
        XCTAssertTrue(clock.isDue(5_000 + 10_000_000))
        clock.printed(at: 5_000 + 12_000_000)
        XCTAssertEqual(clock.startNanoseconds, 5_000, "the start is the first trace's time")
        XCTAssertFalse(clock.isDue(5_000 + 21_000_000))
        XCTAssertTrue(clock.isDue(5_000 + 22_000_000))
        let off = SchedtraceClock(milliseconds: 0)
        XCTAssertFalse(off.isOn)
        XCTAssertFalse(off.isDue(1_000_000_000))
        XCTAssertEqual(off.nanosecondsUntilDue(0), .max)
    }

    // MARK: - The settings

    private func configuration(_ env: [String: String]) throws -> RuntimeConfiguration {
        var c = RuntimeConfiguration(procs: 2)
        try c.applyEnvironment(env)
        return c
    }

    func testSettingIsParsed() throws {
        XCTAssertEqual(try configuration([:]).schedtraceMilliseconds, 0, "off by default")
        XCTAssertEqual(try configuration(["GOBENCH_SCHEDTRACE": "1000"]).schedtraceMilliseconds, 1000)
        XCTAssertEqual(try configuration(["GOBENCH_SCHEDTRACE": " 10 "]).schedtraceMilliseconds, 10)
        XCTAssertEqual(try configuration(["GOBENCH_SCHEDTRACE": "0"]).schedtraceMilliseconds, 0)
        // Go's GODEBUG=schedtrace=X, among other GODEBUG settings; negative: off, as in Go;
        // not a number: bad input (Go ignores it; here one line and exit 2).
        XCTAssertEqual(try configuration(["GODEBUG": "schedtrace=500"]).schedtraceMilliseconds, 500)
        XCTAssertEqual(try configuration(["GODEBUG": "scavtrace=1,schedtrace=20"]).schedtraceMilliseconds, 20)
        XCTAssertTrue(try configuration(["GODEBUG": "scavtrace=1,schedtrace=20"]).scavengeTrace)
        XCTAssertThrowsError(try configuration(["GODEBUG": "schedtrace=x"]))
        XCTAssertEqual(try configuration(["GODEBUG": "schedtrace=-4"]).schedtraceMilliseconds, 0)
        // GOBENCH_SCHEDTRACE wins, 0 included.
        XCTAssertEqual(try configuration(["GODEBUG": "schedtrace=20", "GOBENCH_SCHEDTRACE": "30"]).schedtraceMilliseconds, 30)
        XCTAssertEqual(try configuration(["GODEBUG": "schedtrace=20", "GOBENCH_SCHEDTRACE": "0"]).schedtraceMilliseconds, 0)
        // scheddetail: on for any value above 0, as Go's debug.scheddetail > 0.
        XCTAssertFalse(try configuration([:]).schedDetail)
        XCTAssertTrue(try configuration(["GODEBUG": "schedtrace=20,scheddetail=1"]).schedDetail)
        XCTAssertFalse(try configuration(["GODEBUG": "scheddetail=0"]).schedDetail)
        XCTAssertThrowsError(try configuration(["GODEBUG": "scheddetail=yes"]))
    }

    /// GODEBUG=schedtrace=X,scheddetail=1: every trace is the detailed one (Go's sysmon
    /// calls schedtrace(debug.scheddetail > 0)): the header, a line per P, M and G.
    func testScheddetailMakesEveryTraceDetailed() throws {
        let result = try runScenario("schedtrace", ["GODEBUG": "schedtrace=20,scheddetail=1", "GOMAXPROCS": "3"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let lines = result.standardErrorLines.filter { !$0.isEmpty }
        let headers = lines.filter { $0.hasPrefix("SCHED ") }
        XCTAssertGreaterThanOrEqual(headers.count, 2, result.standardError)
        for header in headers {
            XCTAssertNotNil(header.range(of: #"^SCHED \d+ms: gomaxprocs=3 idleprocs=\d+ threads=\d+ spinningthreads=\d+ needspinning=0 idlethreads=\d+ runqueue=\d+ gcwaiting=(true|false) nmidlelocked=\d+ stopwait=\d+ sysmonwait=false$"#, options: .regularExpression), header)
        }
        // After each header: P0, P1, P2 in order, then the Ms, then the Gs.
        guard let first = lines.firstIndex(of: headers[0]) else { return XCTFail(result.standardError) }
        XCTAssertTrue(lines[first + 1].hasPrefix("  P0: status="), lines[first + 1])
        XCTAssertTrue(lines[first + 2].hasPrefix("  P1: status="), lines[first + 2])
        XCTAssertTrue(lines[first + 3].hasPrefix("  P2: status="), lines[first + 3])
        XCTAssertTrue(lines[first + 4].hasPrefix("  M0: p="), lines[first + 4])
        XCTAssertTrue(lines.contains { $0.hasPrefix("  G1: status=") }, result.standardError)
    }

    func testBadSettingIsOneLineNamingIt() {
        for bad in ["abc", "-5", "", "1.5", "10ms", "+3", "99999999999", "1e3"] {
            XCTAssertThrowsError(try configuration(["GOBENCH_SCHEDTRACE": bad]), bad) { error in
                XCTAssertEqual("\(error)",
                    "runtime: invalid GOBENCH_SCHEDTRACE \"\(bad)\": expected a whole number of milliseconds such as 1000, or 0 for off")
            }
        }
    }

    // MARK: - The trace, from a child process

    private func runScenario(_ name: String, _ environment: [String: String],
                             timeoutSeconds: Double = 30) throws -> RuntimeTestSupport.ProcessResult {
        // (No retry on a false start-up deadlock: that bug is fixed, and a regression fails.)
        let result = try RuntimeTestSupport.runScenario(name, environment: environment, timeoutSeconds: timeoutSeconds)
        XCTAssertFalse(result.timedOut, "\(name): still running after \(timeoutSeconds) s; stderr: \(result.standardError)")
        return result
    }

    /// One trace line's fields, parsed with Go 1.27's format as the only accepted shape.
    private struct Line {
        var milliseconds: Int
        var fields: [String: Int]
        var localRunQueues: [Int]
        var scheduleTicks: [Int]
    }

    private func parse(_ text: String) -> Line? {
        let pattern = #"^SCHED (\d+)ms: gomaxprocs=(\d+) idleprocs=(\d+) threads=(\d+) spinningthreads=(\d+) needspinning=(\d+) idlethreads=(\d+) runqueue=(\d+) \[ ((?:\d+ )+)\] schedticks=\[ ((?:\d+ )+)\]$"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        func group(_ i: Int) -> String { String(text[Range(match.range(at: i), in: text)!]) }
        let names = ["gomaxprocs", "idleprocs", "threads", "spinningthreads", "needspinning", "idlethreads", "runqueue"]
        var fields: [String: Int] = [:]
        for (i, name) in names.enumerated() { fields[name] = Int(group(i + 2))! }
        return Line(milliseconds: Int(group(1))!, fields: fields,
                    localRunQueues: group(9).split(separator: " ").map { Int($0)! },
                    scheduleTicks: group(10).split(separator: " ").map { Int($0)! })
    }

    private func traceLines(_ result: RuntimeTestSupport.ProcessResult) -> [String] {
        result.standardErrorLines.filter { $0.hasPrefix("SCHED ") }
    }

    func testTraceEveryIntervalInGoFormat() throws {
        let result = try runScenario("schedtrace", ["GOBENCH_SCHEDTRACE": "20", "GOMAXPROCS": "3"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["done"])
        let lines = traceLines(result)
        // 300 ms at 20 ms: about 15 lines; a loaded machine may stretch the gaps.
        XCTAssertGreaterThanOrEqual(lines.count, 5, result.standardError)
        var previous: Int? = nil
        for text in lines {
            guard let line = parse(text) else { XCTFail("not Go's schedtrace format: \(text)"); continue }
            XCTAssertEqual(line.fields["gomaxprocs"], 3, text)
            XCTAssertEqual(line.localRunQueues.count, 3, text)
            XCTAssertEqual(line.scheduleTicks.count, 3, text)
            XCTAssertLessThanOrEqual(line.fields["idleprocs"]!, 3, text)
            XCTAssertGreaterThanOrEqual(line.fields["threads"]!, 2, "m0 and sysmon at least: \(text)")
            XCTAssertLessThanOrEqual(line.fields["idlethreads"]!, line.fields["threads"]!, text)
            XCTAssertEqual(line.fields["needspinning"], 0, text)
            if let previous {
                XCTAssertGreaterThanOrEqual(line.milliseconds - previous, 20, "lines at least the interval apart:\n\(lines.joined(separator: "\n"))")
            } else {
                XCTAssertEqual(line.milliseconds, 0, "the first line at 0 ms, as Go's")
            }
            previous = line.milliseconds
        }
        XCTAssertGreaterThan(lines.compactMap(parse).map { $0.scheduleTicks.reduce(0, +) }.max() ?? 0, 0,
                             "the Ps schedule: their ticks move")
        // Nothing from sysmon once Runtime.run has returned (the scenario waits 100 ms).
        let marker = try XCTUnwrap(result.standardErrorLines.firstIndex(of: "schedtrace: runtime returned"), result.standardError)
        XCTAssertEqual(result.standardErrorLines[marker...].filter { $0.hasPrefix("SCHED ") }, [], "a trace after shutdown")
    }

    func testLocalQueueLengthLeavesOutRunnext() throws {
        // GOMAXPROCS 1, main spawns 50 goroutines and runs on without yielding: the last
        // one is in runnext, 49 are in the local queue, nothing global.
        let result = try runScenario("schedtrace-local-queue",
                                     ["GOBENCH_SCHEDTRACE": "10", "GOMAXPROCS": "1", "GOBENCH_SCAVENGE": "off"])
        XCTAssertEqual(result.status, 0, result.standardError)
        let lines = traceLines(result).compactMap(parse)
        XCTAssertFalse(lines.isEmpty, result.standardError)
        XCTAssertTrue(lines.allSatisfy { $0.fields["gomaxprocs"] == 1 && $0.localRunQueues.count == 1 }, result.standardError)
        XCTAssertTrue(lines.contains { $0.localRunQueues == [49] && $0.fields["runqueue"] == 0 && $0.fields["idleprocs"] == 0 },
                      "a line with [ 49 ] while main spins:\n\(result.standardError)")
    }

    func testGodebugSchedtraceAndPrecedence() throws {
        let godebug = try runScenario("schedtrace", ["GODEBUG": "schedtrace=50", "GOMAXPROCS": "2"])
        XCTAssertEqual(godebug.status, 0, godebug.standardError)
        let lines = traceLines(godebug)
        XCTAssertGreaterThanOrEqual(lines.count, 2, godebug.standardError)
        XCTAssertTrue(lines.allSatisfy { parse($0)?.fields["gomaxprocs"] == 2 }, godebug.standardError)
        // GOBENCH_SCHEDTRACE=0 wins over GODEBUG: no trace.
        let off = try runScenario("schedtrace", ["GODEBUG": "schedtrace=10", "GOBENCH_SCHEDTRACE": "0"])
        XCTAssertEqual(off.status, 0, off.standardError)
        XCTAssertEqual(traceLines(off), [], off.standardError)
        // Unset: no trace.
        let unset = try runScenario("schedtrace", [:])
        XCTAssertEqual(unset.status, 0, unset.standardError)
        XCTAssertEqual(traceLines(unset), [], unset.standardError)
    }

    func testBadValueInChildIsOneLineAndStatus2() throws {
        for bad in ["abc", "-5"] {
            let result = try RuntimeTestSupport.runScenario("schedtrace", environment: ["GOBENCH_SCHEDTRACE": bad], timeoutSeconds: 20)
            XCTAssertFalse(result.timedOut)
            XCTAssertEqual(result.status, 2, bad)
            XCTAssertEqual(result.standardError,
                "runtime: invalid GOBENCH_SCHEDTRACE \"\(bad)\": expected a whole number of milliseconds such as 1000, or 0 for off\n")
            XCTAssertEqual(result.standardOutput, "", "nothing may run")
        }
    }
}
