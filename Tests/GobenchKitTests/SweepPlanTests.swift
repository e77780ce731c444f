// Tests of sweep planning: grid size, dimensions per workload, interleaving, shards, resume.
import XCTest
@testable import GobenchKit

final class SweepPlanTests: XCTestCase {
    func grid(_ names: String, engines: [BenchmarkEngine] = [.swift, .go], procs: [Int] = [1, 2, 4],
              placements: [PlacementPolicy] = [.none], params: [String: String] = [:]) throws -> SweepGrid {
        SweepGrid(workloads: try Catalog.workloads(fromList: names), engines: engines, procs: procs,
                  scavenges: ScavengeSetting.sweepDefault, placements: placements,
                  parameterAssignments: params)
    }

    func testGridSizeFollowsEachWorkloadsDimensions() throws {
        let cells = try grid("chan-pingpong,pingpong-hog,scavenger-burst", placements: [.none, .compact]).cells()
        // chan-pingpong: 2 engines x 3 procs x 2 placements; pingpong-hog: 2 engines only;
        // scavenger-burst: 2 engines x 3 procs x 3 scavenge x 2 placements.
        XCTAssertEqual(cells.count, 12 + 2 + 36)
        XCTAssertEqual(Set(cells).count, cells.count)
        XCTAssertEqual(cells, cells.sorted())
        XCTAssertTrue(cells.filter { $0.workload == "pingpong-hog" }.allSatisfy {
            $0.procs == 1 && $0.scavenge == .off && $0.placement == .none })
        XCTAssertEqual(Set(cells.filter { $0.workload == "chan-pingpong" }.map(\.scavenge)), [.off])
    }

    func testEnginesThatDoNotApplyAreLeftOut() throws {
        let cells = try grid("chan-pingpong,timer-storm", engines: [.swiftConcurrency], procs: [2]).cells()
        XCTAssertEqual(cells.map(\.workload), ["chan-pingpong"])
    }

    func testDefaultSweepSize() throws {
        let cells = try grid("all").cells()
        XCTAssertEqual(cells.count, 118) // select: 6 cells (2 engines x 3 procs)
        XCTAssertEqual(SweepPlan(allCells: cells, reps: 5, seed: 1).runs.count, 590)
    }

    func testParamListsAddADimensionAndTyposAreCaught() throws {
        let cells = try grid("chan-prodcons,chan-pingpong", procs: [2], params: ["buffer": "0,10,100"]).cells()
        XCTAssertEqual(cells.filter { $0.workload == "chan-prodcons" }.count, 6)
        XCTAssertEqual(Set(cells.filter { $0.workload == "chan-prodcons" }.map(\.params.canonical)),
                       ["buffer=0;n=200000;pairs=0", "buffer=10;n=200000;pairs=0", "buffer=100;n=200000;pairs=0"])
        let scoped = try grid("chan-prodcons,chan-pingpong", procs: [2], params: ["chan-pingpong.n": "7"]).cells()
        XCTAssertEqual(Set(scoped.filter { $0.workload == "chan-pingpong" }.map(\.params.canonical)), ["n=7"])
        XCTAssertEqual(Set(scoped.filter { $0.workload == "chan-prodcons" }.map(\.params.canonical)), ["buffer=10;n=200000;pairs=0"])
        XCTAssertThrowsError(try grid("chan-pingpong", params: ["buffer": "0"]).cells()) { error in
            XCTAssertTrue("\(error)".contains("no workload in this sweep has a parameter called buffer"), "\(error)")
        }
        XCTAssertThrowsError(try grid("chan-pingpong", params: ["n": "-1"]).cells())
    }

    func testInterleavingRunsEveryCellOfARepBeforeTheNext() throws {
        let cells = try grid("all").cells()
        let plan = SweepPlan(allCells: cells, reps: 3, seed: 42)
        XCTAssertEqual(plan.runs.count, cells.count * 3)
        for rep in 0..<3 {
            let slice = plan.runs[(rep * cells.count)..<((rep + 1) * cells.count)]
            XCTAssertTrue(slice.allSatisfy { $0.rep == rep })
            XCTAssertEqual(Set(slice.map(\.settings)), Set(cells))
        }
        // Shuffled, differently for each rep, and the same again for the same seed.
        XCTAssertNotEqual(plan.runs[0..<cells.count].map(\.settings), cells)
        XCTAssertNotEqual(plan.runs[0..<cells.count].map(\.settings), plan.runs[cells.count..<(2 * cells.count)].map(\.settings))
        XCTAssertEqual(plan.runs, SweepPlan(allCells: cells, reps: 3, seed: 42).runs)
        XCTAssertNotEqual(plan.runs, SweepPlan(allCells: cells, reps: 3, seed: 43).runs)
    }

    func testShardsPartitionTheCellsExactlyOnce() throws {
        let cells = try grid("all", placements: [.none, .spread]).cells()
        for count in [1, 2, 3, 7] {
            var seen: [RunSettings: Int] = [:]
            for index in 1...count {
                let plan = SweepPlan(allCells: cells, reps: 2, seed: 9, shard: ShardSetting(index: index, count: count))
                XCTAssertEqual(plan.runs.count, plan.cells.count * 2)
                for cell in plan.cells { seen[cell, default: 0] += 1 }
                // Sizes differ by at most one.
                XCTAssertLessThanOrEqual(abs(plan.cells.count - cells.count / count), 1)
            }
            XCTAssertEqual(Set(seen.keys), Set(cells), "count \(count)")
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "count \(count)")
        }
    }

    func testResumeSkipsDoneRuns() throws {
        let cells = try grid("chan-pingpong,spawn-storm").cells()
        let full = SweepPlan(allCells: cells, reps: 3, seed: 5)
        let done = Set(full.runs.prefix(10))
        let resumed = SweepPlan(allCells: cells, reps: 3, seed: 5, done: done)
        XCTAssertEqual(resumed.alreadyDone, 10)
        XCTAssertEqual(resumed.runs, Array(full.runs.dropFirst(10)))

        // Done runs are read back from rows: one run writes several rows, all with one rep.
        let machine = MachineInfo(host: "h", cpuModel: "c", cores: 2, numaNodes: 1, kernel: "k",
                                  swiftVersion: "6.3", goVersion: "go1.27", gobenchVersion: "0.1.0", gobenchCommit: "x")
        let run = full.runs[3]
        let outcome = ChildOutcome(status: .ok, metrics: [RunMetric(name: "a", value: 1, unit: "", direction: .none),
                                                          RunMetric(name: "b", value: 2, unit: "", direction: .none)])
        let rows = outcome.rows(settings: run.settings, rep: run.rep, runID: "r", timestamp: "t", machine: machine)
        XCTAssertEqual(SweepPlan.doneRuns(in: rows), [run])
    }
}
