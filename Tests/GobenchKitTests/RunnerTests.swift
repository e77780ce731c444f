// Tests of child runs and sweeps with fake children (shell scripts that succeed, crash, hang,
// print garbage or exit non-zero), of the results file under failure, and of SIGTERM mid-sweep.
import XCTest
@testable import GobenchKit
#if canImport(Glibc)
import Glibc
#endif

/// A shell script standing in for a child; the behaviour is its first argument.
enum FakeChild {
    static let script = """
    #!/bin/sh
    ulimit -c 0
    ok='{"gobench_result":1,"status":"ok","workload":"w","engine":"go","ops":10,"metrics":[{"name":"ns_per_op","value":12.5,"unit":"ns","direction":"lower"},{"name":"ops","value":10,"unit":"count","direction":"none"}]}'
    case "$1" in
      ok) echo "warming up"; echo "$ok" ;;
      slow) sleep 0.3; echo "$ok" ;;
      crash) echo "half a line"; echo "fatal error: stack overflow" >&2; kill -SEGV $$ ;;
      hang) sleep 30; echo "$ok" ;;
      stubborn) trap '' TERM; sleep 30; echo "$ok" ;;
      garbage) echo "hello"; echo "{not json" ;;
      empty) ;;
      exit3) echo "panic: oops" >&2; exit 3 ;;
      error) echo '{"gobench_result":1,"status":"error","error":"out of memory"}'; exit 1 ;;
      na) echo '{"gobench_result":1,"status":"not_applicable","reason":"no Task equivalent"}' ;;
      orphan) sleep 30 & echo "$ok" ;;
    esac
    """

    static func path() throws -> String {
        let directory = NSTemporaryDirectory() + "gobench-fake-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/child.sh"
        if !FileManager.default.fileExists(atPath: path) {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    /// Each workload gets a behaviour; unlisted workloads succeed.
    static func launcher(_ behaviours: [String: String] = [:], default behaviour: String = "ok") throws -> EngineLauncher {
        let script = try path()
        return EngineLauncher { settings in ["/bin/sh", script, behaviours[settings.workload] ?? behaviour] }
    }
}

let testMachine = MachineInfo(host: "testhost", cpuModel: "Test CPU", cores: 2, numaNodes: 1, kernel: "6.1",
                              swiftVersion: "6.3.1", goVersion: "go1.27", gobenchVersion: "0.1.0",
                              gobenchCommit: "abc1234")

final class RunnerTests: XCTestCase {
    let settings = RunSettings(workload: "chan-pingpong", engine: .go, procs: 2, scavenge: .off,
                               placement: .none, params: params("n=10"))

    func run(_ behaviour: String, timeout: Double = 5) throws -> ChildOutcome {
        let runner = ChildRunner(launcher: try FakeChild.launcher(default: behaviour), timeoutSeconds: timeout,
                                 killGraceSeconds: 0.5)
        return runner.run(settings)
    }

    func testOkRunGetsChildMetricsAndRusage() throws {
        let outcome = try run("ok")
        XCTAssertEqual(outcome.status, .ok, outcome.error)
        let names = outcome.metrics.map(\.name)
        XCTAssertEqual(Array(names.prefix(2)), ["ns_per_op", "ops"])
        for added in ["user_cpu_seconds", "sys_cpu_seconds", "peak_rss_bytes", "voluntary_ctx_switches",
                      "involuntary_ctx_switches", "exit_status"] {
            XCTAssertTrue(names.contains(added), added)
        }
        XCTAssertEqual(outcome.metrics.first { $0.name == "ns_per_op" }?.value, 12.5)
        XCTAssertGreaterThan(outcome.metrics.first { $0.name == "peak_rss_bytes" }!.value, 100_000)
        let rows = outcome.rows(settings: settings, rep: 2, runID: "id", timestamp: "t", machine: testMachine)
        XCTAssertEqual(rows.count, names.count)
        XCTAssertTrue(rows.allSatisfy { $0.status == "ok" && $0.rep == 2 && $0.runID == "id" })
    }

    func testCrashIsRecordedWithTheSignalAndStderr() throws {
        let outcome = try run("crash")
        XCTAssertEqual(outcome.status, .crashed)
        XCTAssertTrue(outcome.error.contains("signal 11 (SIGSEGV)"), outcome.error)
        XCTAssertTrue(outcome.error.contains("stack overflow"), outcome.error)
        let rows = outcome.rows(settings: settings, rep: 0, runID: "id", timestamp: "t", machine: testMachine)
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0].metric, "")
        XCTAssertNil(rows[0].value)
    }

    func testTracesAreForwardedWhenAsked() throws {
        XCTAssertFalse(ChildRunner.tracesRequested([:]))
        XCTAssertTrue(ChildRunner.tracesRequested(["GOBENCH_SCHEDTRACE": "100"]))
        XCTAssertFalse(ChildRunner.tracesRequested(["GOBENCH_SCHEDTRACE": "0"]))
        XCTAssertFalse(ChildRunner.tracesRequested(["GOBENCH_SCHEDTRACE": "soon"]))
        XCTAssertTrue(ChildRunner.tracesRequested(["GODEBUG": "madvdontneed=1,schedtrace=50"]))
        XCTAssertTrue(ChildRunner.tracesRequested(["GODEBUG": "scavtrace=1"]))
        XCTAssertFalse(ChildRunner.tracesRequested(["GODEBUG": "schedtrace=0,gctrace=1"]))
        // Forwarded as it comes, and still captured (the error column reads it).
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]) }
        let execution = try ProcessExecution.run(["/bin/sh", "-c", "echo 'SCHED 0ms: one' >&2; echo 'SCHED 10ms: two' >&2"],
                                                 timeoutSeconds: 5, forwardStandardErrorTo: fds[1])
        close(fds[1])
        var forwarded = Data()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n <= 0 { break }
            forwarded.append(contentsOf: chunk[0..<n])
        }
        XCTAssertEqual(String(decoding: forwarded, as: UTF8.self), "SCHED 0ms: one\nSCHED 10ms: two\n")
        XCTAssertEqual(String(decoding: execution.standardError, as: UTF8.self), "SCHED 0ms: one\nSCHED 10ms: two\n")
    }

    func testHangIsKilledAtTheTimeout() throws {
        let start = Date()
        let outcome = try run("hang", timeout: 0.5)
        XCTAssertEqual(outcome.status, .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testChildIgnoringSIGTERMGetsSIGKILL() throws {
        let start = Date()
        let outcome = try run("stubborn", timeout: 0.3)
        XCTAssertEqual(outcome.status, .timeout)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testGrandchildHoldingStdoutDoesNotStallTheRun() throws {
        let start = Date()
        let outcome = try run("orphan", timeout: 10)
        XCTAssertEqual(outcome.status, .ok, outcome.error)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testGarbageEmptyNonZeroErrorAndNotApplicable() throws {
        let garbage = try run("garbage")
        XCTAssertEqual(garbage.status, .garbage)
        XCTAssertTrue(garbage.error.contains("{not json"), garbage.error)
        XCTAssertEqual(try run("empty").status, .garbage)
        let exit3 = try run("exit3")
        XCTAssertEqual(exit3.status, .crashed)
        XCTAssertTrue(exit3.error.contains("status 3") && exit3.error.contains("panic: oops"), exit3.error)
        let error = try run("error")
        XCTAssertEqual(error.status, .error)
        XCTAssertEqual(error.error, "out of memory")
        let na = try run("na")
        XCTAssertEqual(na.status, .notApplicable)
        XCTAssertEqual(na.error, "no Task equivalent")
    }

    func testMissingBinaryIsAnErrorRun() {
        let runner = ChildRunner(launcher: EngineLauncher { _ in ["/nonexistent/gobench-go"] }, timeoutSeconds: 5)
        let outcome = runner.run(settings)
        XCTAssertEqual(outcome.status, .error)
        XCTAssertTrue(outcome.error.contains("/nonexistent/gobench-go"), outcome.error)
    }

    func testResultLineParsing() {
        XCTAssertNoThrow(try ChildResult.parse(#"{"gobench_result":1,"status":"ok","metrics":[{"name":"x","value":1}]}"#).get())
        for bad in [#"{"status":"ok","metrics":[]}"#, #"{"gobench_result":1,"status":"fine"}"#,
                    #"{"gobench_result":1,"status":"ok","metrics":[{"name":"x","value":"fast"}]}"#,
                    #"{"gobench_result":1,"status":"ok","metrics":[{"name":"x","value":1,"direction":"up"}]}"#,
                    #"{"gobench_result":1,"status":"ok","metrics":[]}"#, "[1,2]", ""] {
            XCTAssertThrowsError(try ChildResult.parse(bad).get(), bad)
        }
    }

    func testStandardLauncherCommandLines() {
        let launcher = EngineLauncher.standard(gobenchExecutable: "/bin/gobench", goPeerExecutable: "/bin/gobench-go")
        var s = RunSettings(workload: "chan-prodcons", engine: .go, procs: 4,
                            scavenge: ScavengeSetting(intervalNanoseconds: 10_000_000), placement: .nodes([1, 0]),
                            params: params("buffer=0;n=5"))
        // One encoding for both: Go's flag package reads --name as -name.
        XCTAssertEqual(try launcher.commandLine(s), ["/bin/gobench-go", "--workload", "chan-prodcons",
                                                     "--engine", "go", "--procs", "4", "--scavenge", "10ms",
                                                     "--placement", "nodes=1,0", "--param", "buffer=0", "--param", "n=5"])
        s.engine = .swiftConcurrency
        XCTAssertEqual(try launcher.commandLine(s), ["/bin/gobench", "child", "--workload", "chan-prodcons",
                                                     "--engine", "swift-concurrency", "--procs", "4", "--scavenge", "10ms",
                                                     "--placement", "nodes=1,0", "--param", "buffer=0", "--param", "n=5"])
    }
}

final class SweepRunnerTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gobench-sweep-test-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func sweep(_ plan: SweepPlan, to path: String, launcher: EngineLauncher, timeout: Double = 5,
               resume: Bool = false, interrupt: InterruptMonitor? = nil) throws -> SweepSummary {
        let (appender, _) = try ResultsAppender.open(path: path, resume: resume)
        let runner = SweepRunner(childRunner: ChildRunner(launcher: launcher, timeoutSeconds: timeout, killGraceSeconds: 0.3),
                                 machine: testMachine, interrupt: interrupt)
        var lines: [String] = []
        let progress = ProgressReporter(total: plan.runs.count, isTerminal: false) { lines.append($0) }
        let summary = try runner.run(plan, into: appender, progress: progress)
        XCTAssertEqual(lines.count, summary.completed)
        return summary
    }

    func cells(_ names: String, procs: [Int] = [1, 2]) throws -> [RunSettings] {
        try SweepGrid(workloads: try Catalog.workloads(fromList: names), engines: [.go], procs: procs,
                      scavenges: [.off], placements: [.none]).cells()
    }

    func testFailuresAreRecordedAndTheSweepCarriesOn() throws {
        let launcher = try FakeChild.launcher(["spawn-storm": "crash", "timer-storm": "hang", "live-goroutines": "garbage",
                                               "steal-imbalance": "exit3", "mutex-contention": "error"])
        let all = try cells("chan-pingpong,spawn-storm,timer-storm,live-goroutines,steal-imbalance,mutex-contention", procs: [1])
        let plan = SweepPlan(allCells: all, reps: 2, seed: 3)
        let path = directory + "/failures.csv"
        let summary = try sweep(plan, to: path, launcher: launcher, timeout: 0.5)
        XCTAssertEqual(summary.completed, 12)
        XCTAssertEqual(summary.countsByStatus, [.ok: 2, .crashed: 4, .timeout: 2, .garbage: 2, .error: 2])
        let rows = try ResultsCSV.read(path: path)
        func statuses(_ workload: String) -> Set<String> { Set(rows.filter { $0.workload == workload }.map(\.status)) }
        XCTAssertEqual(statuses("spawn-storm"), ["crashed"])
        XCTAssertEqual(statuses("timer-storm"), ["timeout"])
        XCTAssertEqual(statuses("live-goroutines"), ["garbage"])
        XCTAssertEqual(statuses("steal-imbalance"), ["crashed"])
        XCTAssertEqual(statuses("mutex-contention"), ["error"])
        XCTAssertEqual(statuses("chan-pingpong"), ["ok"])
        // Each failed run is one row with the reason; each ok run has its metrics.
        XCTAssertEqual(rows.filter { $0.status != "ok" }.count, 10)
        XCTAssertTrue(rows.filter { $0.status != "ok" }.allSatisfy { $0.metric.isEmpty && !$0.error.isEmpty })
        XCTAssertEqual(Set(rows.filter { $0.status == "ok" }.map(\.runID)).count, 2)
        XCTAssertEqual(SweepPlan.doneRuns(in: rows), Set(plan.runs))
    }

    func testExistingFileIsRefusedWithoutResumeAndResumeSkipsDoneRuns() throws {
        let launcher = try FakeChild.launcher()
        let all = try cells("chan-pingpong,spawn-storm")
        let path = directory + "/resume.csv"
        let first = SweepPlan(allCells: all, reps: 1, seed: 1)
        XCTAssertEqual(try sweep(first, to: path, launcher: launcher).completed, 4)
        let before = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertThrowsError(try ResultsAppender.open(path: path, resume: false)) { error in
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), before)

        let existing = try ResultsCSV.read(path: path)
        let second = SweepPlan(allCells: all, reps: 3, seed: 1, done: SweepPlan.doneRuns(in: existing))
        XCTAssertEqual(second.alreadyDone, 4)
        XCTAssertEqual(try sweep(second, to: path, launcher: launcher, resume: true).completed, 8)
        let rows = try ResultsCSV.read(path: path)
        XCTAssertEqual(SweepPlan.doneRuns(in: rows).count, 12)
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).hasPrefix(before))
    }

    func testResumeRefusesAFileThatIsNotAResultsFile() throws {
        let path = directory + "/other.csv"
        try "name,age\nbob,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsAppender.open(path: path, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("not a gobench results file"), "\(error)")
        }
    }

    func testUnwritablePathIsAClearError() throws {
        let path = directory + "/blocker"
        try "x".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsAppender.open(path: path + "/sub/out.csv", resume: false)) { error in
            XCTAssertTrue("\(error)".contains("cannot create the directory"), "\(error)")
        }
    }

    func testAFailedWriteLeavesTheFileAtAWholeRun() throws {
        let path = directory + "/full.csv"
        let (appender, _) = try ResultsAppender.open(path: path, resume: false)
        let outcome = ChildOutcome(status: .ok, metrics: [RunMetric(name: "ns_per_op", value: 1, unit: "ns", direction: .lower)])
        let settings = RunSettings(workload: "chan-pingpong", engine: .go, procs: 1, scavenge: .off, placement: .none, params: params("n=1"))
        try appender.append(outcome.rows(settings: settings, rep: 0, runID: "a", timestamp: "t", machine: testMachine))
        let good = try String(contentsOfFile: path, encoding: .utf8)

        // A file size limit stands in for a full disk: the next write fails part way.
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        var limit = saved
        limit.rlim_cur = rlim_t(good.utf8.count + 50)
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit)
        let many = (0..<20).map { RunMetric(name: "metric_\($0)", value: Double($0), unit: "ns", direction: .lower) }
        let big = ChildOutcome(status: .ok, metrics: many)
        XCTAssertThrowsError(try appender.append(big.rows(settings: settings, rep: 1, runID: "b", timestamp: "t",
                                                          machine: testMachine))) { error in
            XCTAssertTrue("\(error)".contains("cannot write"), "\(error)")
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, previousHandler)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), good)
        XCTAssertEqual(try ResultsCSV.read(path: path).count, 1)
    }

    func testSIGTERMMidSweepLeavesAValidFileThatResumeCompletes() throws {
        let monitor = InterruptMonitor.installed
        monitor.reset()
        defer { monitor.reset() }
        let launcher = try FakeChild.launcher(default: "slow")
        let all = try cells("chan-pingpong,spawn-storm,mutex-contention")
        let plan = SweepPlan(allCells: all, reps: 2, seed: 7)
        let path = directory + "/interrupted.csv"
        let pid = getpid()
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.0) { kill(pid, SIGTERM) }
        let summary = try sweep(plan, to: path, launcher: launcher, interrupt: monitor)
        XCTAssertEqual(summary.stoppedBySignal, SIGTERM)
        XCTAssertGreaterThan(summary.completed, 0)
        XCTAssertLessThan(summary.completed, plan.runs.count)
        XCTAssertEqual(summary.completed + summary.remaining, plan.runs.count)
        let rows = try ResultsCSV.read(path: path)
        XCTAssertEqual(SweepPlan.doneRuns(in: rows).count, summary.completed)
        XCTAssertTrue(rows.allSatisfy { $0.status == "ok" }, "the interrupted run must not be recorded")

        monitor.reset()
        let rest = SweepPlan(allCells: all, reps: 2, seed: 7, done: SweepPlan.doneRuns(in: rows))
        XCTAssertEqual(rest.runs.count, summary.remaining)
        let second = try sweep(rest, to: path, launcher: launcher, resume: true, interrupt: monitor)
        XCTAssertNil(second.stoppedBySignal)
        XCTAssertEqual(SweepPlan.doneRuns(in: try ResultsCSV.read(path: path)), Set(plan.runs))
    }
}

final class MachineProbeTests: XCTestCase {
    func testParsers() throws {
        XCTAssertEqual(MachineProbe.cpuModel(cpuinfo: "processor\t: 0\nmodel name\t: Intel(R)  Xeon(R) CPU @ 2.20GHz\n"),
                       "Intel(R) Xeon(R) CPU @ 2.20GHz")
        XCTAssertEqual(MachineProbe.cpuModel(cpuinfo: "processor : 0\n"), "unknown")
        XCTAssertEqual(MachineProbe.parseSwiftVersion("Swift version 6.3.1 (swift-6.3.1-RELEASE)\nTarget: x"), "6.3.1")
        XCTAssertEqual(MachineProbe.parseGoVersion("go version go1.27.3 linux/amd64"), "go1.27.3")
        XCTAssertEqual(MachineProbe.parseGoVersion("peers/go/bin/gobench-go: go1.27.3"), "go1.27.3")
        XCTAssertEqual(MachineProbe.affinityCPUCount(status: "Name:\tx\nCpus_allowed_list:\t0-3,8,10-11\n"), 7)
    }

    func testNumaNodesFromSysfs() throws {
        let root = NSTemporaryDirectory() + "gobench-nodes-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for name in ["node0", "node1", "node12", "nodes", "possible"] {
            try FileManager.default.createDirectory(atPath: root + "/" + name, withIntermediateDirectories: true)
        }
        XCTAssertEqual(MachineProbe.numaNodeCount(root: root), 3)
        XCTAssertEqual(MachineProbe.numaNodeCount(root: root + "/missing"), 1)
    }

    func testProbeFillsEveryColumn() {
        let machine = MachineProbe.probe()
        XCTAssertFalse(machine.host.isEmpty)
        XCTAssertGreaterThanOrEqual(machine.cores, 1)
        XCTAssertGreaterThanOrEqual(machine.numaNodes, 1)
        XCTAssertFalse(machine.kernel.isEmpty)
        XCTAssertTrue(machine.swiftVersion.hasPrefix("6."), machine.swiftVersion)
        XCTAssertEqual(machine.gobenchVersion, GobenchVersion.string)
    }
}
