// Tests of the user's workloads (--go-test, --command), the CPU quota dimension (--cpu-quota),
// Go's benchmark format (export/import) and tune's container answer. The CLI tests run the
// built gobench on the Go package Tests/Fixtures/gobenchfixture, each in a child process with
// a time limit; those that need a Go toolchain or a writable cgroup skip with the reason.
import XCTest
@testable import GobenchKit
#if canImport(Glibc)
import Glibc
#endif

final class UserWorkloadTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let fixture = "Tests/Fixtures/gobenchfixture"

    // MARK: Go's benchmark format

    func testParsesResultLines() throws {
        let r = try XCTUnwrap(BenchFormat.parseResult("BenchmarkSizes/size=100-2   \t 1000\t  551.0 ns/op\t 181.49 MB/s\t 50.00 items/op\t 112 B/op\t 1 allocs/op"))
        XCTAssertEqual(r.name, "BenchmarkSizes/size=100")
        XCTAssertEqual(r.procs, 2)
        XCTAssertEqual(r.iterations, 1000)
        XCTAssertEqual(r.values.map(\.unit), ["ns/op", "MB/s", "items/op", "B/op", "allocs/op"])
        XCTAssertEqual(r.values[0].value, 551)
        XCTAssertEqual(r.topLevel, "BenchmarkSizes")
        XCTAssertEqual(r.subLevels, ["size=100"])
        // No suffix at GOMAXPROCS=1; a suffix that is not the expected procs stays in the name.
        XCTAssertNil(BenchFormat.parseResult("BenchmarkX 10 5 ns/op")?.procs)
        XCTAssertEqual(BenchFormat.parseResult("BenchmarkX/n-3-2 10 5 ns/op", expectedProcs: 2)?.name, "BenchmarkX/n-3")
        XCTAssertEqual(BenchFormat.parseResult("BenchmarkX/n-3 10 5 ns/op", expectedProcs: 2)?.name, "BenchmarkX/n-3")
        for notResult in ["PASS", "BenchmarkX", "BenchmarkX 10", "Benchmarking 10 5 ns/op", "BenchmarkX ten 5 ns/op",
                          "BenchmarkX 10 5", "BenchmarkX 10 five ns/op", "--- FAIL: BenchmarkX", "ok  example.com/p 1.2s"] {
            XCTAssertNil(BenchFormat.parseResult(notResult), notResult)
        }
    }

    func testMetricNamesDirectionsAndParameters() {
        XCTAssertEqual(BenchFormat.metricName(forUnit: "ns/op"), "ns_per_op")
        XCTAssertEqual(BenchFormat.metricName(forUnit: "MB/s"), "MB_per_s")
        XCTAssertEqual(BenchFormat.metricName(forUnit: "p99-latency"), "p99_latency")
        XCTAssertEqual(BenchFormat.direction(forUnit: "ns/op"), .lower)
        XCTAssertEqual(BenchFormat.direction(forUnit: "items/op"), .lower)
        XCTAssertEqual(BenchFormat.direction(forUnit: "MB/s"), .higher)
        XCTAssertEqual(BenchFormat.direction(forUnit: "req/s"), .higher)
        XCTAssertEqual(BenchFormat.parameters(ofSubLevels: ["size=100", "fast", "mode=a;b"]).canonical,
                       "mode=a_b;size=100;sub2=fast")
        XCTAssertEqual(BenchFormat.exactPattern("BenchmarkX/a.b(c)"), "^BenchmarkX$/^a\\.b\\(c\\)$")
        XCTAssertEqual(GoTestEngine.levels(ofPattern: "Sizes/size=[0-9/]+"), ["Sizes", "size=[0-9/]+"])
        XCTAssertEqual(GoTestEngine.levels(ofPattern: "A\\/B/(x/y)"), ["A\\/B", "(x/y)"])
    }

    func testExportImportRoundTripKeepsCellsValuesUnitsAndDirections() throws {
        func row(_ workload: String, _ engine: String, _ procs: Int, _ params: String, _ rep: Int, _ run: String,
                 _ metric: String, _ value: Double, _ unit: String, _ direction: String) -> ResultRow {
            ResultRow(runID: run, timestamp: "2026-12-07T00:00:00.000Z", workload: workload, engine: engine, procs: procs,
                      scavenge: "off", placement: "none", params: params, rep: rep, status: "ok", metric: metric,
                      value: value, unit: unit, direction: direction, machine: testMachine)
        }
        let go = "go-test:example.com/p:BenchmarkSizes"
        var rows: [ResultRow] = []
        for rep in 0..<2 {
            rows += [row(go, "go-test", 2, "cpu_quota=1.5;size=100", rep, "a\(rep)", "iterations", 1000, "count", "none"),
                     row(go, "go-test", 2, "cpu_quota=1.5;size=100", rep, "a\(rep)", "ns_per_op", 551.5 + Double(rep), "ns/op", "lower"),
                     row(go, "go-test", 2, "cpu_quota=1.5;size=100", rep, "a\(rep)", "MB_per_s", 181.49, "MB/s", "higher"),
                     row(go, "go-test", 2, "cpu_quota=1.5;size=100", rep, "a\(rep)", "nr_throttled", 3, "count", "lower"),
                     row("chan-pingpong", "go", 1, "n=10", rep, "b\(rep)", "ns_per_op", 120.25, "ns", "lower"),
                     row("chan-pingpong", "go", 1, "n=10", rep, "b\(rep)", "voluntary_ctx_switches", 7, "count", "none")]
        }
        var failed = row("chan-pingpong", "go", 1, "n=10", 2, "c", "", 0, "", "")
        failed.status = "crashed"; failed.value = nil
        let (text, skipped) = BenchFormat.export(rows + [failed])
        XCTAssertEqual(skipped, 1)
        XCTAssertTrue(text.contains("pkg: example.com/p"))
        XCTAssertTrue(text.contains("BenchmarkSizes/cpu_quota=1.5/size=100-2\t1000\t551.5 ns/op\t181.49 MB/s\t3 nr_throttled"), text)
        XCTAssertTrue(text.contains("BenchmarkGobench/workload=chan-pingpong/n=10-1\t1\t120.25 ns_per_op"), text)
        var n = 0
        let back = try BenchFormat.importRows(text, source: "t", machine: testMachine, timestamp: "x") { n += 1; return "r\(n)" }
        func key(_ r: ResultRow) -> String {
            "\(r.workload)|\(r.engine)|\(r.procs)|\(r.scavenge)|\(r.placement)|\(r.params)|\(r.rep)|\(r.metric)|\(r.value!)|\(r.unit)|\(r.direction)|\(r.machine.host)"
        }
        XCTAssertEqual(back.map(key).sorted(), rows.map(key).sorted())
        XCTAssertEqual(n, 4)
    }

    func testImportsPlainGoTestOutput() throws {
        let text = """
        goos: linux
        goarch: amd64
        pkg: example.com/q
        cpu: Test CPU
        BenchmarkA-4   \t 200\t 5000 ns/op\t 10.5 MB/s
        BenchmarkA-4   \t 210\t 4900 ns/op\t 10.7 MB/s
        --- FAIL: BenchmarkB
        PASS
        ok  \texample.com/q\t1.0s
        """
        let rows = try BenchFormat.importRows(text, source: "t", machine: testMachine, timestamp: "x") { UUID().uuidString }
        XCTAssertEqual(Set(rows.map(\.workload)), ["go-test:example.com/q:BenchmarkA"])
        XCTAssertEqual(rows.filter { $0.metric == "ns_per_op" }.map(\.rep), [0, 1])
        XCTAssertEqual(rows.first { $0.metric == "MB_per_s" }?.direction, "higher")
        XCTAssertEqual(rows.first?.procs, 4)
        XCTAssertEqual(rows.first?.machine.cpuModel, "Test CPU")
    }

    // MARK: Classifying runs

    func execution(_ script: String) throws -> ProcessExecution {
        try ProcessExecution.run(["/bin/sh", "-c", script], timeoutSeconds: 30, killGraceSeconds: 1)
    }

    func testClassifiesGoTestRuns() throws {
        let ok = GoTestEngine.classify(try execution("printf 'pkg: p\\nBenchmarkA/x=1-2 \\t 10\\t 50 ns/op\\t 3 things/op\\nPASS\\n'"),
                                       benchmark: "BenchmarkA/x=1", procs: 2, timeoutSeconds: 30)
        XCTAssertEqual(ok.status, .ok)
        XCTAssertEqual(ok.metrics.first { $0.name == "ns_per_op" }?.value, 50)
        XCTAssertEqual(ok.metrics.first { $0.name == "things_per_op" }?.direction, .lower)
        XCTAssertEqual(ok.metrics.first { $0.name == "iterations" }?.value, 10)
        XCTAssertNotNil(ok.metrics.first { $0.name == "peak_rss_bytes" })

        let failed = GoTestEngine.classify(try execution("printf -- '--- FAIL: BenchmarkA\\n    a_test.go:9: boom\\nFAIL\\n'; exit 1"),
                                           benchmark: "BenchmarkA", procs: 1, timeoutSeconds: 30)
        XCTAssertEqual(failed.status, .error)
        XCTAssertEqual(failed.error, "BenchmarkA: failed: a_test.go:9: boom")

        let panicked = GoTestEngine.classify(try execution("printf 'panic: runtime error: index out of range\\n\\ngoroutine 1\\n' >&2; exit 2"),
                                             benchmark: "BenchmarkA", procs: 1, timeoutSeconds: 30)
        XCTAssertEqual(panicked.status, .error)
        XCTAssertEqual(panicked.error, "BenchmarkA: panic: runtime error: index out of range")

        let silent = GoTestEngine.classify(try execution("echo PASS"), benchmark: "BenchmarkA", procs: 1, timeoutSeconds: 30)
        XCTAssertEqual(silent.status, .error)
        XCTAssertEqual(silent.error, "BenchmarkA: printed no result line")

        // A result line of another benchmark (or at other procs) is not this run's result.
        let other = GoTestEngine.classify(try execution("echo 'BenchmarkB-2 10 5 ns/op'"), benchmark: "BenchmarkA", procs: 2, timeoutSeconds: 30)
        XCTAssertEqual(other.status, .error)
    }

    func testClassifiesCommandRuns() throws {
        let ok = GoTestEngine.classifyCommand(try execution("echo 'BenchmarkLoad-2 1 2500000 ns/op 400 req/s'"), name: "load", procs: 2, timeoutSeconds: 30)
        XCTAssertEqual(ok.status, .ok)
        XCTAssertNotNil(ok.metrics.first { $0.name == "wall_seconds" && $0.direction == .lower })
        XCTAssertEqual(ok.metrics.first { $0.name == "req_per_s" }?.direction, .higher)
        let failed = GoTestEngine.classifyCommand(try execution("echo bad >&2; exit 4"), name: "load", procs: 1, timeoutSeconds: 30)
        XCTAssertEqual(failed.status, .error)
        XCTAssertEqual(failed.error, "command load exited with status 4: bad")
    }

    // MARK: Quotas and cgroups

    func testQuotaValues() throws {
        XCTAssertEqual(try CPUQuotaSetting.parseList("none,1,1.5,1500m,0.5", cpuCount: 2).map(\.description), ["none", "1", "1.5", "0.5"])
        for bad in ["0", "-1", "abc", "", "2001", "0.001", "1.5.2", "nan", "inf"] {
            XCTAssertThrowsError(try CPUQuotaSetting.parse(bad, cpuCount: 2), bad)
        }
        XCTAssertThrowsError(try CPUQuotaSetting.parseList("1,,2", cpuCount: 2))
        XCTAssertEqual(CPUQuotaSetting.split(params: params("cpu_quota=1.5;size=100")).quota, CPUQuotaSetting(cpus: 1.5))
        XCTAssertEqual(CPUQuotaSetting.split(params: params("cpu_quota=1.5;size=100")).rest, params("size=100"))
        XCTAssertNil(CPUQuotaSetting.split(params: params("size=100")).quota)
        XCTAssertEqual(try CPUQuotaSetting.adding(.none, to: params("size=100;a=1")).canonical, "a=1;cpu_quota=none;size=100")
    }

    func testDefaultProcsRules() {
        // Go 1.25+: min(CPUs, max(2, ceil(quota))); automaxprocs: min(CPUs, max(1, floor(quota))).
        XCTAssertEqual(CPUQuotaSetting.goDefaultProcs(affinityCPUs: 2, quotaCPUs: 1), 2)
        XCTAssertEqual(CPUQuotaSetting.automaxprocsProcs(affinityCPUs: 2, quotaCPUs: 1), 1)
        XCTAssertEqual(CPUQuotaSetting.goDefaultProcs(affinityCPUs: 64, quotaCPUs: 1.5), 2)
        XCTAssertEqual(CPUQuotaSetting.automaxprocsProcs(affinityCPUs: 64, quotaCPUs: 1.5), 1)
        XCTAssertEqual(CPUQuotaSetting.goDefaultProcs(affinityCPUs: 64, quotaCPUs: 3.2), 4)
        XCTAssertEqual(CPUQuotaSetting.automaxprocsProcs(affinityCPUs: 64, quotaCPUs: 3.2), 3)
        XCTAssertEqual(CPUQuotaSetting.automaxprocsProcs(affinityCPUs: 64, quotaCPUs: 0.5), 1)
        XCTAssertEqual(CPUQuotaSetting.goDefaultProcs(affinityCPUs: 1, quotaCPUs: 0.5), 1)
        XCTAssertEqual(CPUQuotaSetting.goDefaultProcs(affinityCPUs: 8, quotaCPUs: nil), 8)
    }

    func testThrottlingOfBothVersions() {
        let v1 = CgroupThrottling.parse(cpuStat: "nr_periods 25\nnr_throttled 22\nthrottled_time 877720413\nnr_bursts 0\n")
        XCTAssertEqual(v1, CgroupThrottling(periods: 25, throttledPeriods: 22, throttledMicroseconds: 877720))
        let v2 = CgroupThrottling.parse(cpuStat: "usage_usec 100\nuser_usec 90\nsystem_usec 10\nnr_periods 4\nnr_throttled 2\nthrottled_usec 1500\n")
        XCTAssertEqual(v2, CgroupThrottling(periods: 4, throttledPeriods: 2, throttledMicroseconds: 1500))
    }

    /// Leftover groups of dead (or pid-reused) processes go; this process's and a live
    /// gobench's stay. (Plain directories stand in for cgroups.)
    func testRemovesLeftoversOfDeadProcessesOnly() throws {
        let parent = NSTemporaryDirectory() + "gobench-cg-test-\(getpid())"
        try? FileManager.default.removeItem(atPath: parent)
        defer { try? FileManager.default.removeItem(atPath: parent) }
        // A pid that is surely dead: a child that has exited and been reaped.
        let dead = try ProcessExecution.run(["/bin/sh", "-c", "echo $$"], timeoutSeconds: 10, killGraceSeconds: 1)
        let deadPID = String(decoding: dead.standardOutput, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let names = ["gobench-\(deadPID)-1", "gobench-\(deadPID)-2", "gobench-\(getpid())-1", "gobench-1-1", "other"]
        for name in names { try FileManager.default.createDirectory(atPath: parent + "/" + name, withIntermediateDirectories: true) }
        let runner = CgroupQuotaRunner(parent: parent, version: .v1)
        let removed = runner.removeLeftovers().map { ($0 as NSString).lastPathComponent }
        // pid 1 is alive but not gobench: its group is a leftover too (the pid was reused).
        XCTAssertEqual(Set(removed), ["gobench-\(deadPID)-1", "gobench-\(deadPID)-2", "gobench-1-1"])
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: parent)), ["gobench-\(getpid())-1", "other"])
    }

    // MARK: The CLI, end to end

    struct CLI { var status: Int32; var stdout: String; var stderr: String; var timedOut: Bool }

    /// Runs the built gobench in the repository root with a time limit (a hang fails).
    static func gobench(_ arguments: [String], environment extra: [String: String] = [:], timeout: Double = 300) throws -> CLI {
        let binary = try GobenchBinary.url().path
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in extra { environment[k] = v }
        let execution = try ProcessExecution.run(["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", root, binary] + arguments,
                                                 environment: environment, timeoutSeconds: timeout, killGraceSeconds: 2)
        var status: Int32 = -1
        if case .exited(let s) = execution.termination { status = s }
        return CLI(status: status, stdout: String(decoding: execution.standardOutput, as: UTF8.self),
                   stderr: String(decoding: execution.standardError, as: UTF8.self), timedOut: execution.timedOut)
    }

    static func requireGo() throws {
        if (try? GoTestEngine.toolchain(directory: root)) == nil {
            throw XCTSkip("no Go toolchain (run scripts/go-env.sh or set GOBENCH_GO): the --go-test tests need one")
        }
    }

    /// The cgroup controller, or a skip naming why there is none.
    static func requireCgroup() throws -> CgroupQuotaRunner {
        do { return try CgroupQuotaRunner.open() } catch {
            throw XCTSkip("no writable cgroup cpu controller on this machine (\(error)): the quota tests need root")
        }
    }

    func temporaryFile(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "gobench-usercode-\(getpid())-\(name)"
        unlink(path)
        addTeardownBlock { unlink(path) }
        return path
    }

    func errorLines(_ text: String) -> [Substring] {
        text.split(separator: "\n").filter { $0.contains("error") }
    }

    func testGoTestSweepRecordsEveryBenchmark() throws {
        try Self.requireGo()
        let csv = temporaryFile("gotest.csv")
        let r = try Self.gobench(["sweep", "--go-test", Self.fixture, "--benchtime", "20x", "--procs", "1,2", "--reps", "1", "-o", csv])
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.status, 3, r.stderr)  // BenchmarkFails failed: recorded, and the sweep went on
        let rows = try ResultsCSV.read(path: csv)
        let prefix = "go-test:example.com/gobenchfixture:"
        let ok = rows.filter { $0.status == "ok" }
        for name in ["BenchmarkParallelSpin", "BenchmarkSerialSpin", "BenchmarkChanPingPong"] {
            for procs in [1, 2] {
                let ns = ok.filter { $0.workload == prefix + name && $0.procs == procs && $0.metric == "ns_per_op" }
                XCTAssertEqual(ns.count, 1, "\(name) procs=\(procs)")
                XCTAssertEqual(ns.first?.unit, "ns/op")
                XCTAssertEqual(ns.first?.engine, "go-test")
                XCTAssertEqual(ok.first { $0.workload == prefix + name && $0.procs == procs && $0.metric == "iterations" }?.value, 20)
            }
        }
        for size in ["100", "1000"] {
            let sub = ok.filter { $0.workload == prefix + "BenchmarkSizes" && $0.params == "size=\(size)" && $0.procs == 2 }
            XCTAssertEqual(sub.first { $0.metric == "items_per_op" }?.value, Double(size)! / 2)
            XCTAssertEqual(sub.first { $0.metric == "items_per_op" }?.direction, "lower")
            XCTAssertEqual(sub.first { $0.metric == "MB_per_s" }?.direction, "higher")
            XCTAssertNotNil(sub.first { $0.metric == "allocs_per_op" })
            XCTAssertEqual(sub.first { $0.metric == "default_gomaxprocs" }?.value, Double(MachineProbe.affinityCPUCount()))
        }
        let failures = rows.filter { $0.workload == prefix + "BenchmarkFails" }
        XCTAssertEqual(failures.count, 2)
        for f in failures {
            XCTAssertEqual(f.status, "error")
            XCTAssertEqual(f.error, "BenchmarkFails: failed: fixture_test.go:33: intentional failure")
        }

        // The file converts to Go's benchmark format and back to the same samples.
        let text = temporaryFile("gotest.txt"), back = temporaryFile("back.csv")
        let export = try Self.gobench(["export", "--format", "benchfmt", csv, "-o", text])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stderr.contains("2 runs not ok"), export.stderr)
        let imported = try Self.gobench(["import", text, "-o", back])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        func key(_ r: ResultRow) -> String { "\(r.cellKey)|\(r.rep)|\(r.value!)|\(r.unit)|\(r.direction)" }
        XCTAssertEqual(try ResultsCSV.read(path: back).map(key).sorted(), ok.map(key).sorted())
        // Importing over an existing file is refused.
        let again = try Self.gobench(["import", text, "-o", back])
        XCTAssertEqual(again.status, 1)
    }

    func testGoTestBadInputIsOneLineAndKeepsTheResultsFile() throws {
        try Self.requireGo()
        let csv = temporaryFile("keep.csv")
        let original = ResultsCSV.render([ResultRow(runID: "r", timestamp: "t", workload: "chan-pingpong", engine: "go", procs: 1,
                                                    scavenge: "off", placement: "none", params: "", rep: 0, status: "ok",
                                                    metric: "ns_per_op", value: 1, unit: "ns", direction: "lower", machine: testMachine)])
        try original.write(toFile: csv, atomically: true, encoding: .utf8)
        let broken = try Self.gobench(["sweep", "--go-test", "Tests/Fixtures/gobenchbroken", "--resume", "-o", csv])
        XCTAssertEqual(broken.status, 1)
        XCTAssertEqual(errorLines(broken.stderr), ["gobench sweep: error: go-test Tests/Fixtures/gobenchbroken: does not compile: ./broken_test.go:6:2: undefined: undefinedFunction"])
        let none = try Self.gobench(["sweep", "--go-test", Self.fixture, "--bench", "NoSuchBenchmark", "--resume", "-o", csv])
        XCTAssertEqual(none.status, 1)
        XCTAssertEqual(errorLines(none.stderr).count, 1)
        XCTAssertTrue(none.stderr.contains("no benchmark matches --bench 'NoSuchBenchmark' (the package has BenchmarkParallelSpin,"), none.stderr)
        let benchtime = try Self.gobench(["sweep", "--go-test", Self.fixture, "--benchtime", "0x", "-o", csv + ".new"])
        XCTAssertEqual(benchtime.status, 1)
        XCTAssertEqual(try String(contentsOfFile: csv, encoding: .utf8), original)
    }

    func testCommandSweepTimesTheProcessAndReadsBenchmarkLines() throws {
        let csv = temporaryFile("command.csv")
        let script = temporaryFile("load.sh")
        try "#!/bin/sh\necho \"procs=$GOMAXPROCS\" >&2\necho \"BenchmarkLoad-$GOMAXPROCS 1 $((1000 * GOMAXPROCS)) ns/op 12 req/s\"\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        let r = try Self.gobench(["sweep", "--command", "load=sh \(script)", "--command", "broken=exit 7", "--procs", "1,2",
                                  "--reps", "2", "-o", csv])
        XCTAssertEqual(r.status, 3, r.stderr)
        let rows = try ResultsCSV.read(path: csv)
        for procs in [1, 2] {
            let load = rows.filter { $0.workload == "command:load" && $0.procs == procs && $0.status == "ok" }
            XCTAssertEqual(load.filter { $0.metric == "ns_per_op" }.map(\.value), [Double(1000 * procs), Double(1000 * procs)])
            XCTAssertEqual(load.first { $0.metric == "req_per_s" }?.direction, "higher")
            XCTAssertEqual(load.filter { $0.metric == "wall_seconds" }.count, 2)
            XCTAssertEqual(load.filter { $0.metric == "user_cpu_seconds" }.count, 2)
            XCTAssertEqual(load.filter { $0.metric == "peak_rss_bytes" }.count, 2)
            XCTAssertTrue(load.allSatisfy { $0.engine == "command" })
        }
        let broken = rows.filter { $0.workload == "command:broken" }
        XCTAssertEqual(broken.count, 4)
        XCTAssertTrue(broken.allSatisfy { $0.status == "error" && $0.error == "command broken exited with status 7" })
    }

    func testBadQuotaValuesAreOneLineAndExitOne() throws {
        for bad in ["0", "-1", "abc", "2001", "none,,1"] {
            let r = try Self.gobench(["sweep", "--command", "t=true", "--cpu-quota=\(bad)", "-o", temporaryFile("q.csv")])
            XCTAssertEqual(r.status, 1, bad)
            XCTAssertEqual(errorLines(r.stderr).count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("gobench sweep: error: cpu-quota"), r.stderr)
        }
    }

    /// Simulated machines without a usable cgroup: no controller at the path, and a
    /// controller where groups cannot be made (its `gobench` is a file).
    func testQuotaRefusedWithoutAWritableCgroup() throws {
        let fake = NSTemporaryDirectory() + "gobench-fakecg-\(getpid())"
        try? FileManager.default.removeItem(atPath: fake)
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: fake) }
        for root in ["/nonexistent/cgroup", fake] {
            let r = try Self.gobench(["sweep", "--command", "t=true", "--cpu-quota", "1", "-o", temporaryFile("r.csv")],
                                     environment: ["GOBENCH_CGROUP_ROOT": root])
            XCTAssertEqual(r.status, 1)
            XCTAssertEqual(errorLines(r.stderr).count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("the --cpu-quota dimension needs a writable cgroup cpu controller"), r.stderr)
        }
        try "-1\n".write(toFile: fake + "/cpu.cfs_quota_us", atomically: true, encoding: .utf8)
        try "".write(toFile: fake + "/gobench", atomically: true, encoding: .utf8)
        let r = try Self.gobench(["sweep", "--command", "t=true", "--cpu-quota", "1", "-o", temporaryFile("r.csv")],
                                 environment: ["GOBENCH_CGROUP_ROOT": fake])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(errorLines(r.stderr).count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot create \(fake)/gobench/gobench-"), r.stderr)
    }

    /// A CPU-bound benchmark under a small quota is throttled and slower per op than without:
    /// at quota 0.05 always (it binds even when 20 runnable threads share the 2 CPUs, giving
    /// each 0.1), and at quota 0.5 as much slower as the unlimited run's share of a CPU over
    /// 0.5 (twice on an idle machine; below 0.65 of a CPU that check is skipped).
    func testQuotaThrottlesACPUBoundBenchmark() throws {
        try Self.requireGo()
        _ = try Self.requireCgroup()
        let csv = temporaryFile("quota.csv")
        let r = try Self.gobench(["sweep", "--go-test", Self.fixture, "--bench", "SerialSpin", "--benchtime", "300ms",
                                  "--procs", "2", "--reps", "3", "--cpu-quota", "none,0.5,0.05", "-o", csv])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try ResultsCSV.read(path: csv)
        func median(_ quota: String, _ metric: String) -> Double? {
            Statistics.median(rows.filter { $0.params == "cpu_quota=\(quota)" && $0.metric == metric }.compactMap(\.value))
        }
        let limited = try XCTUnwrap(median("0.05", "ns_per_op")), free = try XCTUnwrap(median("none", "ns_per_op"))
        XCTAssertGreaterThan(try XCTUnwrap(median("0.05", "nr_throttled")), 0)
        XCTAssertGreaterThan(try XCTUnwrap(median("0.05", "throttled_usec")), 0)
        XCTAssertEqual(median("none", "nr_throttled"), 0)
        XCTAssertGreaterThan(limited / free, 1.5, "ns/op at quota 0.05: \(limited), without: \(free)")
        // Go's default inside a 0.05-CPU group on this machine: max(2, ceil(0.05)) capped at the CPUs.
        XCTAssertEqual(median("0.05", "default_gomaxprocs"), Double(min(2, MachineProbe.affinityCPUCount())))
        // Quota 0.5: the CPU the unlimited runs got (user + system over wall time, of the
        // whole test process) says whether half a CPU is a limit at all.
        let freeCPU = (median("none", "user_cpu_seconds") ?? 0) + (median("none", "sys_cpu_seconds") ?? 0)
        let freeShare = freeCPU / (median("none", "wall_seconds") ?? .infinity)
        guard freeShare >= 0.65 else {
            throw XCTSkip("the unlimited runs got \(freeShare) of a CPU: a 0.5 quota hardly binds on a machine this loaded")
        }
        // A run that had a share s of a CPU takes s / 0.5 times as long under the quota
        // (about twice as long on an idle machine).
        let half = try XCTUnwrap(median("0.5", "ns_per_op"))
        let expected = freeShare / 0.5
        XCTAssertGreaterThan(try XCTUnwrap(median("0.5", "nr_throttled")), 0)
        XCTAssertEqual(half / free, expected, accuracy: 0.3 * expected,
                       "ns/op at quota 0.5: \(half), without: \(free) (with \(freeShare) of a CPU)")
    }

    /// SIGKILL of gobench mid-run leaves its cgroup (and the child in it); the next run that
    /// uses the dimension kills the child and removes the group.
    func testLeftoverCgroupIsRemovedAfterSIGKILL() throws {
        let controller = try Self.requireCgroup()
        let binary = try GobenchBinary.url().path
        let csv = temporaryFile("killed.csv")
        // Started with ProcessExecution on another thread (Foundation's Process waits for
        // the orphaned grandchild too); the pid is read from the group's name.
        let done = DispatchSemaphore(value: 0)
        let arguments = [binary, "sweep", "--command", "hang=sleep 60", "--cpu-quota", "1", "--procs", "1", "--reps", "1", "-o", csv]
        Thread.detachNewThread {
            _ = try? ProcessExecution.run(arguments, timeoutSeconds: 120, killGraceSeconds: 1)
            done.signal()
        }
        var pid: Int32 = 0
        let start = Date().addingTimeInterval(60)
        while pid == 0 && Date() < start {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: controller.parent)) ?? []
            for name in names where name.hasPrefix("gobench-") {
                let parts = name.split(separator: "-")
                if parts.count == 3, let p = Int32(parts[1]), p != getpid(), CgroupQuotaRunner.isLiveGobench(p) { pid = p }
            }
            if pid == 0 { usleep(50_000) }
        }
        XCTAssertNotEqual(pid, 0, "no gobench group appeared")
        // The run's group: gobench-<pid>-<n> (n counts this process's groups, a trial one first).
        var group = ""
        func members() -> [Int32] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: controller.parent)) ?? []
            guard let name = names.first(where: { $0.hasPrefix("gobench-\(pid)-") }) else { return [] }
            group = controller.parent + "/" + name
            return ((try? String(contentsOfFile: group + "/cgroup.procs", encoding: .utf8)) ?? "").split(separator: "\n").compactMap { Int32($0) }
        }
        let deadline = Date().addingTimeInterval(60)
        while members().isEmpty && Date() < deadline { usleep(50_000) }
        let inside = members()
        XCTAssertFalse(inside.isEmpty, "the hanging command never joined \(group)")
        let killedAt = Date()
        kill(pid, SIGKILL)
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 20)
        XCTAssertTrue(FileManager.default.fileExists(atPath: group))

        let r = try Self.gobench(["sweep", "--command", "t=true", "--cpu-quota", "1", "--procs", "1", "--reps", "1", "-o", temporaryFile("next.csv")])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("removed 1 leftover cgroup") && r.stderr.contains(group), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: group))
        // Gone, or a zombie waiting for whatever adopted it to reap it.
        for child in inside {
            let stat = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first ?? "gone"
            XCTAssertTrue(state == "gone" || state == "Z", "pid \(child) of the killed sweep is still in state \(state)")
        }
    }

    func testTuneAnswersTheContainerQuestion() throws {
        try Self.requireGo()
        _ = try Self.requireCgroup()
        let r = try Self.gobench(["tune", "--go-test", Self.fixture, "--bench", "SerialSpin", "--benchtime", "20x",
                                  "--procs", "1,2", "--reps", "2", "--cpu-quota", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cpus = MachineProbe.affinityCPUCount()
        XCTAssertTrue(r.stdout.contains("Go 1.25+ default:        GOMAXPROCS=\(min(cpus, 2))"), r.stdout)
        XCTAssertTrue(r.stdout.contains("automaxprocs:            GOMAXPROCS=1"), r.stdout)
        XCTAssertTrue(r.stdout.contains("throttling per candidate"), r.stdout)
        XCTAssertTrue(r.stdout.contains("procs=1: "), r.stdout)
        XCTAssertNotNil(r.stdout.range(of: #"export GOMAXPROCS=[12]\n"#, options: .regularExpression), r.stdout)
        XCTAssertTrue(r.stdout.contains("cpu: \"1000m\""), r.stdout)
        XCTAssertNotNil(r.stdout.range(of: #"- name: GOMAXPROCS\n    value: "[12]""#, options: .regularExpression), r.stdout)
        let two = try Self.gobench(["tune", "--command", "t=true", "--cpu-quota", "1,2"])
        XCTAssertEqual(two.status, 1)
        XCTAssertTrue(two.stderr.contains("tune takes one --cpu-quota value"), two.stderr)
    }

    /// The README's CI recipe, run locally in the same order on a tiny grid.
    func testCIRecipeRunsLocally() throws {
        let binary = try GobenchBinary.url().path
        var environment = ProcessInfo.processInfo.environment
        environment["GOBENCH"] = binary
        let execution = try ProcessExecution.run([Self.root + "/scripts/ci-recipe-check.sh"], environment: environment,
                                                 timeoutSeconds: 600, killGraceSeconds: 2)
        let stderr = String(decoding: execution.standardError, as: UTF8.self)
        XCTAssertFalse(execution.timedOut)
        XCTAssertEqual(execution.termination, .exited(0), stderr)
        XCTAssertTrue(String(decoding: execution.standardOutput, as: UTF8.self).contains("ci-recipe-check.sh: ok"))
    }

    /// A command gets GOMAXPROCS in its environment and, with a placement, the CPU affinity of
    /// the first procs Ps (compact at procs=1: one CPU).
    func testCommandGetsGOMAXPROCSAndPlacement() throws {
        let csv = temporaryFile("placement.csv")
        let r = try Self.gobench(["sweep", "--command", "show=echo \"$GOMAXPROCS $(grep Cpus_allowed_list /proc/self/status | cut -f2)\" >&2; exit 1",
                                  "--procs", "1", "--placements", "none,compact", "--reps", "1", "-o", csv])
        XCTAssertEqual(r.status, 3, r.stderr)
        let rows = try ResultsCSV.read(path: csv)
        let all = try XCTUnwrap(rows.first { $0.placement == "none" }?.error)
        let compact = try XCTUnwrap(rows.first { $0.placement == "compact" }?.error)
        XCTAssertTrue(compact.hasPrefix("command show exited with status 1: 1 "), compact)
        let pinned = compact.split(separator: " ").last.map(String.init) ?? ""
        XCTAssertFalse(pinned.contains(",") || pinned.contains("-"), "compact at procs=1 pinned to \(pinned)")
        if MachineProbe.affinityCPUCount() > 1 { XCTAssertNotEqual(all, compact) }
    }
}
