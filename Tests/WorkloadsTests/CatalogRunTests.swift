// Every workload of the catalog on every engine at a small size: plausible metrics (an
// operation count that matches the parameters, positive times), the Go peer's rows in the
// same schema, and clear errors for unknown workloads, engines and parameters.
import Foundation
import GobenchKit
import XCTest
@testable import Workloads

final class CatalogRunTests: XCTestCase {
    /// Tiny parameters per workload and the operation count they must give.
    static let tiny: [(workload: String, params: [String: String], ops: Int)] = [
        ("spawn-storm", ["n": "1000"], 1000),
        ("spawn-storm", ["n": "1001", "mode": "all"], 1001),
        ("spawn-storm", ["n": "500", "mode": "chain"], 500),
        ("live-goroutines", ["n": "1000"], 1000),
        ("steal-imbalance", ["n": "1000", "work": "10"], 1000),
        ("gosched-pingpong", ["n": "1000", "mode": "lone"], 2000),
        ("chan-pingpong", ["n": "1000"], 1000),
        ("chan-prodcons", ["n": "1001", "buffer": "0", "pairs": "3"], 1001),
        ("chan-prodcons", ["n": "1000", "buffer": "100"], 1000),
        ("pingpong-hog", ["n": "100"], 100),
        ("pingpong-hog", ["n": "100", "hog_ms": "1"], 100),
        ("syscall-heavy", ["goroutines": "3", "n": "50"], 150),
        ("syscall-heavy", ["goroutines": "2", "n": "20", "kind": "nanosleep"], 40),
        ("syscall-heavy", ["goroutines": "2", "n": "5", "kind": "fsync"], 10),
        ("locked-thread", ["n": "100"], 100),
        ("locked-thread", ["n": "100", "mode": "mixed", "unlocked": "4"], 100),
        ("deep-recursion", ["depth": "10000"], 10000),
        ("deep-recursion", ["depth": "10000", "frame": "512"], 10000),
        ("mutex-contention", ["n": "10001", "goroutines": "7"], 10001),
        ("timer-storm", ["n": "20", "sleep_us": "100", "rounds": "3"], 60),
        ("parallel-compute", ["work": "100003", "tasks": "7"], 100003),
        ("scavenger-burst", ["n": "1000", "idle_ms": "20", "sample_ms": "5"], 1000),
        ("select", ["n": "1000"], 1000),
    ]

    func testEveryWorkloadIsCovered() {
        XCTAssertEqual(Set(CatalogRunTests.tiny.map(\.workload)), Set(Catalog.names))
    }

    private func check(_ line: String, _ status: Int32, _ what: String, ops: Int) {
        guard case .success(let result) = ChildResult.parse(line) else {
            return XCTFail("\(what): result line does not parse: \(line)")
        }
        if result.status == .notApplicable { XCTAssertEqual(status, 0, what); return }
        XCTAssertEqual(result.status, .ok, "\(what): \(line)")
        XCTAssertEqual(status, 0, what)
        let m = Dictionary(result.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(m["ops"], Double(ops), "\(what): ops")
        XCTAssertGreaterThan(m["ns_per_op"] ?? 0, 0, "\(what): ns_per_op")
        XCTAssertGreaterThan(m["wall_seconds"] ?? 0, 0, "\(what): wall_seconds")
        XCTAssertGreaterThan(m["ops_per_sec"] ?? 0, 0, "\(what): ops_per_sec")
        // The CPU time of the measured section (PROTOCOL.md section 2), on every engine.
        XCTAssertGreaterThan(m["cpu_ns_per_op"] ?? 0, 0, "\(what): cpu_ns_per_op")
        XCTAssertGreaterThan(m["cpu_utilisation"] ?? 0, 0, "\(what): cpu_utilisation")
        for metric in result.metrics {
            XCTAssertFalse(metric.unit.isEmpty, "\(what): \(metric.name) unit")
        }
    }

    func testEveryWorkloadOnTheSwiftEngine() {
        for c in CatalogRunTests.tiny {
            let (line, status) = WorkloadsTestSupport.runChild(workload: c.workload, engine: "swift", procs: 2,
                                                    scavenge: "off", placement: "none", overrides: c.params)
            check(line, status, "swift \(c.workload) \(c.params)", ops: c.ops)
        }
    }

    func testEveryWorkloadOnSwiftConcurrency() {
        let procs = ProcessInfo.processInfo.activeProcessorCount
        var ran = 0
        for c in CatalogRunTests.tiny {
            let (line, status) = WorkloadsTestSupport.runChild(workload: c.workload, engine: "swift-concurrency", procs: procs,
                                                    scavenge: "off", placement: "none", overrides: c.params)
            check(line, status, "swift-concurrency \(c.workload) \(c.params)", ops: c.ops)
            if line.contains("\"status\":\"ok\"") { ran += 1 }
        }
        XCTAssertGreaterThanOrEqual(ran, 6, "spawn, yield, channels, mutex and compute have an equal on the Task pool")
    }

    func testSwiftConcurrencyAtAnotherWidthIsNotApplicable() {
        let procs = ProcessInfo.processInfo.activeProcessorCount + 1
        let (line, status) = WorkloadsTestSupport.runChild(workload: "spawn-storm", engine: "swift-concurrency", procs: procs,
                                                scavenge: "off", placement: "none", overrides: ["n": "10"])
        XCTAssertEqual(status, 0)
        XCTAssertTrue(line.contains("\"status\":\"not_applicable\""), line)
    }

    func testEveryWorkloadOnTheGoPeer() throws {
        let peer = try WorkloadsTestSupport.goPeer()
        for c in CatalogRunTests.tiny {
            let (_, last, status) = try WorkloadsTestSupport.run(
                peer, ["-workload", c.workload, "-procs", "2"] + c.params.flatMap { ["-param", "\($0.key)=\($0.value)"] })
            check(last, status, "go \(c.workload) \(c.params)", ops: c.ops)
        }
    }

    /// What the engines must agree on beyond the op count (PROTOCOL.md): an odd number of
    /// unlocked goroutines in mixed mode is an error on both (they ping-pong in pairs); the
    /// burst's released fraction is in [0, 1]; the latency workloads report percentiles.
    func testSwiftAgreesWithTheGoPeerOnParametersAndMetrics() {
        let (odd, oddStatus) = WorkloadsTestSupport.runChild(workload: "locked-thread", engine: "swift", procs: 2, scavenge: "off",
                                                  placement: "none", overrides: ["n": "10", "mode": "mixed", "unlocked": "3"])
        XCTAssertEqual(oddStatus, 1, odd)
        XCTAssertTrue(odd.contains("must be even"), odd)
        let (burst, _) = WorkloadsTestSupport.runChild(workload: "scavenger-burst", engine: "swift", procs: 2, scavenge: "10ms",
                                            placement: "none", overrides: ["n": "2000", "idle_ms": "60", "sample_ms": "5"])
        guard case .success(let b) = ChildResult.parse(burst) else { return XCTFail(burst) }
        let fraction = b.metrics.first { $0.name == "rss_released_fraction" }?.value ?? -1
        XCTAssertTrue((0...1).contains(fraction), "released fraction \(fraction) outside [0, 1]: \(burst)")
        for workload in ["chan-pingpong", "locked-thread", "syscall-heavy"] {
            let (line, _) = WorkloadsTestSupport.runChild(workload: workload, engine: "swift", procs: 2, scavenge: "off",
                                               placement: "none", overrides: workload == "syscall-heavy" ? ["goroutines": "2", "n": "50"] : ["n": "200"])
            guard case .success(let r) = ChildResult.parse(line) else { XCTFail(line); continue }
            let p50 = r.metrics.first { $0.name == "latency_p50_ns" }?.value ?? 0
            let p99 = r.metrics.first { $0.name == "latency_p99_ns" }?.value ?? 0
            XCTAssertGreaterThan(p50, 0, "\(workload): \(line)")
            XCTAssertGreaterThanOrEqual(p99, p50, "\(workload): \(line)")
        }
    }

    func testBadInputIsAClearError() {
        let cases: [(String, String, [String: String], String)] = [
            ("no-such-workload", "swift", [:], "no-such-workload"),
            ("spawn-storm", "cobol", [:], "cobol"),
            ("spawn-storm", "swift", ["bogus": "1"], "bogus"),
            ("spawn-storm", "swift", ["n": "-5"], "n=-5"),
        ]
        for (w, e, params, needle) in cases {
            let (line, status) = WorkloadsTestSupport.runChild(workload: w, engine: e, procs: 1, scavenge: "off",
                                                    placement: "none", overrides: params)
            XCTAssertEqual(status, 1, line)
            guard case .success(let r) = ChildResult.parse(line) else { XCTFail(line); continue }
            XCTAssertEqual(r.status, .error, line)
            XCTAssertTrue(line.contains(needle), "the error names the bad part: \(line)")
        }
    }

    func testPlacementOnAMissingNodeIsAnErrorNotAnUnplacedRun() {
        // No machine this runs on has node 4000; the runtime must not run unplaced and
        // report ok under placement nodes=4000.
        for placement in ["nodes=4000", "nodes=0,4000", "everywhere"] {
            let (line, status) = WorkloadsTestSupport.runChild(workload: "spawn-storm", engine: "swift", procs: 1, scavenge: "off",
                                                    placement: placement, overrides: ["n": "10"])
            XCTAssertEqual(status, 1, line)
            guard case .success(let r) = ChildResult.parse(line) else { XCTFail(line); continue }
            XCTAssertEqual(r.status, .error, line)
            XCTAssertTrue(line.contains(placement), "the error names the placement: \(line)")
        }
        let (line, status) = WorkloadsTestSupport.runChild(workload: "spawn-storm", engine: "swift", procs: 1, scavenge: "off",
                                                placement: "nodes=0", overrides: ["n": "10"])
        XCTAssertEqual(status, 0, "node 0 exists everywhere: \(line)")
    }

    func testInjectedWorkPercentIsValidated() {
        XCTAssertEqual(try ComputeWorkloads.injectedWorkPercent([:]).get(), 0)
        XCTAssertEqual(try ComputeWorkloads.injectedWorkPercent(["GOBENCH_INJECT_WORK_PERCENT": ""]).get(), 0)
        XCTAssertEqual(try ComputeWorkloads.injectedWorkPercent(["GOBENCH_INJECT_WORK_PERCENT": "20"]).get(), 20)
        XCTAssertEqual(try ComputeWorkloads.injectedWorkPercent(["GOBENCH_INJECT_WORK_PERCENT": "0"]).get(), 0)
        for bad in ["abc", "-5", "20%", " 20", "1e3", "10001", "99999999999999999999"] {
            switch ComputeWorkloads.injectedWorkPercent(["GOBENCH_INJECT_WORK_PERCENT": bad]) {
            case .success(let value): XCTFail("\(bad) read as \(value)")
            case .failure(let error):
                XCTAssertTrue(error.description.contains("GOBENCH_INJECT_WORK_PERCENT") && error.description.contains(bad),
                              "the error names the variable and the value: \(error)")
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
    }

    func testInvalidInjectedWorkPercentFailsTheRun() {
        setenv("GOBENCH_INJECT_WORK_PERCENT", "abc", 1)
        defer { unsetenv("GOBENCH_INJECT_WORK_PERCENT") }
        let (line, status) = WorkloadsTestSupport.runChild(workload: "parallel-compute", engine: "swift", procs: 1, scavenge: "off",
                                                placement: "none", overrides: ["work": "1000", "tasks": "2"])
        XCTAssertEqual(status, 1, line)
        guard case .success(let r) = ChildResult.parse(line) else { return XCTFail(line) }
        XCTAssertEqual(r.status, .error, line)
        XCTAssertTrue(line.contains("GOBENCH_INJECT_WORK_PERCENT") && line.contains("abc"), line)
    }
}
