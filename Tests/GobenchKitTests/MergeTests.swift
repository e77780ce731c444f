// Tests of merging results files: shards merge to the unsharded set, duplicates are refused.
import XCTest
@testable import GobenchKit
#if canImport(Glibc)
import Glibc
#endif

final class MergeTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gobench-merge-test-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func sweep(shard: ShardSetting, to path: String) throws {
        let cells = try SweepGrid(workloads: try Catalog.workloads(fromList: "chan-pingpong,spawn-storm,pingpong-hog"),
                                  engines: [.go, .swift], procs: [1, 2], scavenges: [.off],
                                  placements: [.none]).cells()
        let plan = SweepPlan(allCells: cells, reps: 2, seed: 11, shard: shard)
        let (appender, _) = try ResultsAppender.open(path: path, resume: false)
        let runner = SweepRunner(childRunner: ChildRunner(launcher: try FakeChild.launcher(["spawn-storm": "exit3"]),
                                                          timeoutSeconds: 5),
                                 machine: testMachine, interrupt: nil)
        _ = try runner.run(plan, into: appender, progress: ProgressReporter(total: plan.runs.count, isTerminal: false) { _ in })
    }

    func samples(_ rows: [ResultRow]) -> Set<String> {
        Set(rows.map { "\($0.cellKey) rep=\($0.rep) status=\($0.status)" })
    }

    func testMergedShardsEqualTheUnshardedSweep() throws {
        try sweep(shard: .whole, to: directory + "/all.csv")
        for i in 1...3 { try sweep(shard: ShardSetting(index: i, count: 3), to: directory + "/shard\(i).csv") }
        let merged = try ResultsMerge.merge(paths: (1...3).map { directory + "/shard\($0).csv" })
        XCTAssertTrue(merged.warnings.isEmpty)
        let whole = try ResultsCSV.read(path: directory + "/all.csv")
        XCTAssertEqual(merged.rows.count, whole.count)
        XCTAssertEqual(samples(merged.rows), samples(whole))

        let out = directory + "/merged.csv"
        try ResultsMerge.writeAtomically(ResultsCSV.render(merged.rows), to: out)
        XCTAssertEqual(try ResultsCSV.read(path: out), merged.rows)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }, [])
    }

    func testDuplicatesAreRefused() throws {
        try sweep(shard: ShardSetting(index: 1, count: 2), to: directory + "/a.csv")
        XCTAssertThrowsError(try ResultsMerge.merge(paths: [directory + "/a.csv", directory + "/a.csv"])) { error in
            XCTAssertTrue("\(error)".contains("duplicate sample"), "\(error)")
        }
        // The same shard run twice (different run ids, same samples) is refused too.
        try sweep(shard: ShardSetting(index: 1, count: 2), to: directory + "/b.csv")
        XCTAssertThrowsError(try ResultsMerge.merge(paths: [directory + "/a.csv", directory + "/b.csv"])) { error in
            XCTAssertTrue("\(error)".contains("in both"), "\(error)")
        }
    }

    func testBadInputIsNamed() throws {
        let bad = directory + "/bad.csv"
        try "schema_version,run_id\n1,x\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsMerge.merge(paths: [bad])) { error in
            XCTAssertTrue("\(error)".contains(bad), "\(error)")
        }
        XCTAssertThrowsError(try ResultsMerge.merge(paths: [directory + "/missing.csv"]))
    }

    func testDifferentMachinesWarn() throws {
        try sweep(shard: ShardSetting(index: 1, count: 2), to: directory + "/a.csv")
        var rows = try ResultsCSV.read(path: directory + "/a.csv")
        let first = rows
        for i in rows.indices { rows[i].machine.host = "elsewhere"; rows[i].rep += 10; rows[i].runID += "x" }
        let merged = try ResultsMerge.merge([("a.csv", first), ("b.csv", rows)])
        XCTAssertEqual(merged.warnings.count, 1)
        XCTAssertTrue(merged.warnings[0].contains("elsewhere"), merged.warnings[0])
    }

    func testAtomicWriteFailureLeavesTheOldFile() throws {
        let out = directory + "/missing-dir/out.csv"
        XCTAssertThrowsError(try ResultsMerge.writeAtomically("x", to: out)) { error in
            XCTAssertTrue("\(error)".contains("nothing was changed"), "\(error)")
        }
    }
}
