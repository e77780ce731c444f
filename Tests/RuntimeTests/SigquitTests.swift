// SIGQUIT as Go handles it (Runtime/SigquitDump.swift): every goroutine listed, exit 2;
// the detailed schedtrace first under GODEBUG=scheddetail=1; a process started with
// SIGQUIT ignored keeps ignoring it.
import Foundation
import XCTest

final class SigquitTests: XCTestCase {
    /// Starts the sigquit-target scenario (through `/bin/sh -c PREFIX exec ...` when a shell
    /// prefix is given), sends SIGQUIT once it printed `ready`, and waits up to
    /// `waitSeconds` for it to end; kills it then.
    private func quit(environment: [String: String] = [:], shellPrefix: String? = nil,
                      waitSeconds: Double = 20) throws -> (status: Int32, signalled: Bool, out: String, err: String, ended: Bool) {
        guard let binary = RuntimeTestSupport.scenariosBinary() else {
            throw XCTSkip("runtime-scenarios binary not found (set GOBENCH_SCENARIOS_BINARY)")
        }
        var env = ProcessInfo.processInfo.environment
        for key in ["GOMAXPROCS", "GODEBUG", "GOTRACEBACK", "GOBENCH_SCHEDTRACE"] { env[key] = nil }
        env["GOMAXPROCS"] = "2"
        for (k, v) in environment { env[k] = v }
        let (executable, arguments) = shellPrefix.map { ("/bin/sh", ["-c", "\($0) exec \"$0\" sigquit-target", binary]) }
            ?? (binary, ["sigquit-target"])
        let r = try RuntimeTestSupport.runProcess(executable, arguments, environment: env, timeoutSeconds: waitSeconds) { process, output in
            let readyBy = Date().addingTimeInterval(20)
            while Date() < readyBy, process.isRunning, !output().contains("ready") { usleep(5000) }
            kill(process.processIdentifier, SIGQUIT)
        }
        return (r.status, r.signalled, r.standardOutput, r.standardError, !r.timedOut)
    }

    func testSigquitListsEveryGoroutineAndExitsWithStatus2() throws {
        let r = try quit()
        XCTAssertTrue(r.out.contains("ready"), "stdout: \(r.out)")
        XCTAssertTrue(r.ended, "still running 20 s after SIGQUIT; stderr: \(r.err)")
        XCTAssertFalse(r.signalled, "ended by a signal, not by the dump; stderr: \(r.err)")
        XCTAssertEqual(r.status, 2, r.err)
        let lines = r.err.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "SIGQUIT: quit", r.err)
        XCTAssertTrue(lines.count > 1 && lines[1].range(of: #"^PC=0x[0-9a-f]+ m=(-1|\d+) sigcode=-?\d+$"#, options: .regularExpression) != nil, r.err)
        // Go's level-2 headers (gp=, m=), one per goroutine: main in its WaitGroup, the
        // receiver, the sleeper, the spinner (running on another thread, or runnable), and
        // the scavenger (a system goroutine, listed at level 2 as Go lists its own).
        let headers = lines.filter { $0.hasPrefix("goroutine ") && $0.hasSuffix("]:") }
        for h in headers {
            XCTAssertNotNil(h.range(of: #"^goroutine \d+ gp=0x[0-9a-f]+ (m=nil|m=\d+ mp=0x[0-9a-f]+) \[[^\]]+\]:$"#, options: .regularExpression), h)
        }
        XCTAssertTrue(headers.contains { $0.hasPrefix("goroutine 1 gp=") && $0.hasSuffix(" m=nil [sync.WaitGroup.Wait]:") }, "\(headers)")
        XCTAssertTrue(headers.contains { $0.hasSuffix(" m=nil [chan receive]:") }, "\(headers)")
        XCTAssertTrue(headers.contains { $0.hasSuffix(" m=nil [sleep]:") }, "\(headers)")
        XCTAssertTrue(headers.contains { $0.hasPrefix("goroutine 2 gp=") }, "the scavenger, goroutine 2: \(headers)")
        XCTAssertEqual(headers.count, 5, "four user goroutines and the scavenger: \(headers)")
        // No detailed trace without GODEBUG asking for one.
        XCTAssertFalse(r.err.contains("SCHED "), r.err)
    }

    func testScheddetailPutsTheDetailedTraceBeforeTheDump() throws {
        let r = try quit(environment: ["GODEBUG": "scheddetail=1"])
        XCTAssertTrue(r.ended, "still running 20 s after SIGQUIT; stderr: \(r.err)")
        XCTAssertEqual(r.status, 2, r.err)
        let lines = r.err.split(separator: "\n").map(String.init)
        guard let quitAt = lines.firstIndex(of: "SIGQUIT: quit") else { return XCTFail("no dump: \(r.err)") }
        let trace = Array(lines[..<quitAt])
        XCTAssertEqual(trace.first?.range(of: #"^SCHED \d+ms: gomaxprocs=2 idleprocs=\d+ threads=\d+ spinningthreads=\d+ needspinning=0 idlethreads=\d+ runqueue=\d+ gcwaiting=false nmidlelocked=\d+ stopwait=0 sysmonwait=false$"#, options: .regularExpression) != nil, true, r.err)
        let ps = trace.filter { $0.range(of: #"^  P\d+: status=[0-4] schedtick=\d+ syscalltick=\d+ m=(nil|\d+) runqsize=\d+ gfreecnt=\d+ timerslen=(\d+|\?)$"#, options: .regularExpression) != nil }
        XCTAssertEqual(ps.count, 2, "a line per P: \(trace)")
        let ms = trace.filter { $0.range(of: #"^  M\d+: p=(nil|\d+) curg=(nil|\?|\d+) spinning=(true|false) blocked=(true|false) lockedg=(nil|\?|\d+)$"#, options: .regularExpression) != nil }
        XCTAssertGreaterThanOrEqual(ms.count, 3, "m0, sysmon and at least one more M: \(trace)")
        XCTAssertTrue(trace.contains("  G1: status=4(sync.WaitGroup.Wait) m=nil lockedm=nil"), "\(trace)")
        XCTAssertTrue(trace.contains { $0.range(of: #"^  G\d+: status=4\(chan receive\) m=nil lockedm=nil$"#, options: .regularExpression) != nil }, "\(trace)")
        XCTAssertTrue(trace.contains { $0.range(of: #"^  G\d+: status=4\(sleep\) m=nil lockedm=nil$"#, options: .regularExpression) != nil }, "\(trace)")
        // sysmon printed it: sysmon's M is awake and holds no P.
        XCTAssertEqual(trace.count, 1 + ps.count + ms.count + trace.filter { $0.hasPrefix("  G") }.count, "only trace lines before the dump: \(trace)")
    }

    func testGotracebackNonePrintsNoGoroutine() throws {
        let r = try quit(environment: ["GOTRACEBACK": "none"])
        XCTAssertTrue(r.ended, r.err)
        XCTAssertEqual(r.status, 2, r.err)
        XCTAssertTrue(r.err.hasPrefix("SIGQUIT: quit\nPC=0x"), r.err)
        XCTAssertFalse(r.err.contains("goroutine "), r.err)
    }

    func testAProcessStartedWithSigquitIgnoredKeepsIgnoringIt() throws {
        let r = try quit(shellPrefix: "trap '' QUIT;", waitSeconds: 1)
        XCTAssertTrue(r.out.contains("ready"), "stdout: \(r.out) stderr: \(r.err)")
        XCTAssertFalse(r.ended, "the SIGQUIT was not ignored: status \(r.status), stderr: \(r.err)")
        XCTAssertFalse(r.err.contains("SIGQUIT"), r.err)
    }
}
