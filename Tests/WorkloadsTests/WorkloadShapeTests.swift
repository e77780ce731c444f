// The measured sections' shapes that PROTOCOL.md section 1 promises, checked with the
// runtime's statistics: gosched-pingpong's pairs make every Gosched switch, pingpong-hog's
// hog really runs inside the timed section, and the CPU time is the section's.
import Foundation
import GobenchKit
import XCTest
@testable import Workloads

final class WorkloadShapeTests: XCTestCase {
    private func metrics(_ workload: String, procs: Int, _ params: [String: String]) throws -> [String: Double] {
        let (line, status) = WorkloadsTestSupport.runChild(workload: workload, engine: "swift", procs: procs, scavenge: "off",
                                                placement: "none", overrides: params)
        XCTAssertEqual(status, 0, line)
        guard case .success(let result) = ChildResult.parse(line), result.status == .ok else {
            throw XCTSkip("no ok result: \(line)")
        }
        return Dictionary(result.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// mode=pairs: two goroutines per P, so that a yield finds another goroutine to switch
    /// to. Every Gosched goes through the global queue, as Go's does (a Gosched with nothing
    /// else to run puts the G there and takes it straight back): the global-queue puts
    /// equal the calls at every GOMAXPROCS.
    func testEveryGoschedOfPairsSwitches() throws {
        let n = 5000
        let one = try metrics("gosched-pingpong", procs: 1, ["n": "\(n)", "mode": "pairs"])
        XCTAssertEqual(one["ops"], Double(2 * n))
        // One put more than the calls at most: the main goroutine's first start.
        let puts = one["global_queue_puts"] ?? 0
        XCTAssertTrue(puts == Double(2 * n) || puts == Double(2 * n + 1),
                      "GOMAXPROCS 1: every Gosched must switch, \(puts) puts for \(2 * n) calls")
        for procs in [2, 4] {
            let m = try metrics("gosched-pingpong", procs: procs, ["n": "\(n)", "mode": "pairs"])
            let calls = Double(2 * procs * n)
            XCTAssertEqual(m["ops"], calls, "procs \(procs)")
            // Every call goes through the global queue, as Go's; a few more puts may come
            // from the start (main's first run, a spawner's overflow).
            let puts = m["global_queue_puts"] ?? 0
            XCTAssertTrue(puts >= calls && puts <= calls + Double(4 * procs),
                          "procs \(procs): every Gosched must go through the global queue, \(puts) puts for \(calls) calls")
        }
    }

    /// mode=lone keeps the old shape: two goroutines in all (ops = 2n) at any GOMAXPROCS.
    func testLoneModeHasTwoGoroutines() throws {
        let m = try metrics("gosched-pingpong", procs: 2, ["n": "1000", "mode": "lone"])
        XCTAssertEqual(m["ops"], 2000)
    }

    /// pingpong-hog: the hog is queued before the pair and the clock starts before the
    /// pinger exists, so a run long enough for sysmon's 10 ms slices preempts the hog or
    /// the pair inside the timed section.
    func testPingPongHogIsPreemptedInsideTheSection() throws {
        let m = try metrics("pingpong-hog", procs: 1, ["n": "200000"])
        // The hog makes no runtime call: only a forced (signal) preemption stops it.
        XCTAssertGreaterThan(m["async_preemptions"] ?? 0, 0, "the hog must have run and been preempted by signal: \(m)")
        XCTAssertGreaterThanOrEqual(m["wall_seconds"] ?? 0, 0.02, "the hog held the P for at least one slice")
    }

    /// The CPU time is the measured section's only: a workload that sleeps (timer-storm)
    /// uses far less CPU than wall time, and a compute workload at GOMAXPROCS 1 no more than
    /// about one CPU.
    func testCPUTimeIsTheSections() throws {
        let sleeping = try metrics("timer-storm", procs: 1, ["n": "10", "sleep_us": "20000", "rounds": "3"])
        XCTAssertLessThan(sleeping["cpu_utilisation"] ?? 1, 0.5, "sleeping goroutines burn no CPU: \(sleeping)")
        XCTAssertGreaterThan(sleeping["cpu_ns_per_op"] ?? 0, 0)
        let compute = try metrics("parallel-compute", procs: 1, ["work": "20000000", "tasks": "4"])
        XCTAssertGreaterThan(compute["cpu_ns_per_op"] ?? 0, 0)
        XCTAssertLessThan(compute["cpu_utilisation"] ?? 9, 1.6, "one P uses about one CPU: \(compute)")
    }

    /// deep-recursion's frames take the same stack bytes on both engines (`frame_bytes`):
    /// the release build's frames (a debug build's are larger) against the Go peer's.
    func testFramesTakeTheSameStackBytesOnBothEngines() throws {
        let root = WorkloadsTestSupport.root
        // scripts/test.sh runs this test again after its NUMA stage has built a static release
        // gobench, with GOBENCH_RELEASE_BINARY naming it and GOBENCH_REQUIRE_RELEASE=1, so that
        // a missing or stale binary fails there instead of skipping.
        let environment = ProcessInfo.processInfo.environment
        let required = environment["GOBENCH_REQUIRE_RELEASE"] == "1"
        let release = environment["GOBENCH_RELEASE_BINARY"] ?? root.appendingPathComponent(".build/release/gobench").path
        let peer = environment["GOBENCH_GO_PEER"] ?? root.appendingPathComponent("peers/go/bin/gobench-go").path
        func unusable(_ why: String) throws -> Never {
            if required { XCTFail(why); throw XCTSkip(why) }
            throw XCTSkip(why)
        }
        guard FileManager.default.isExecutableFile(atPath: release), FileManager.default.isExecutableFile(atPath: peer) else {
            try unusable("needs the release build (swift build -c release) and the Go peer (scripts/go-env.sh)")
        }
        // A release binary older than the workload or runtime sources measures other code.
        func modified(_ path: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
        }
        let built = modified(release)
        for folder in ["Sources/Workloads", "Sources/Runtime"] {
            let base = root.appendingPathComponent(folder).path
            for file in FileManager.default.enumerator(atPath: base)?.compactMap({ $0 as? String }) ?? []
            where file.hasSuffix(".swift") && modified(base + "/" + file) > built {
                try unusable("\(release) is older than \(folder)/\(file): rebuild it (swift build -c release)")
            }
        }
        func frameBytes(_ executable: String, _ arguments: [String]) throws -> Double {
            let last = try WorkloadsTestSupport.run(executable, arguments).lastLine
            guard case .success(let result) = ChildResult.parse(last) else { throw XCTSkip("no result line: \(last)") }
            return result.metrics.first { $0.name == "frame_bytes" }?.value ?? -1
        }
        for frame in ["64", "150", "512"] {
            let swift = try frameBytes(release, ["child", "--workload", "deep-recursion", "--engine", "swift", "--procs", "1",
                                                 "--scavenge", "off", "--placement", "none",
                                                 "--param", "depth=5000", "--param", "frame=\(frame)"])
            let go = try frameBytes(peer, ["-workload", "deep-recursion", "-procs", "1", "-param", "depth=5000", "-param", "frame=\(frame)"])
            XCTAssertGreaterThan(swift, 0)
            XCTAssertEqual(swift, go, "frame=\(frame): \(swift) stack bytes per frame here, \(go) in Go")
        }
    }
}
