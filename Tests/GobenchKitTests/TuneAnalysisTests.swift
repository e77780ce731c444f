// TuneAnalysis on synthetic sweeps whose answer is known.
import XCTest
@testable import GobenchKit

final class TuneAnalysisTests: XCTestCase {
    /// A sweep of one workload: `centers[procs]` is the true ns_per_op, 10 reps, ±1% noise.
    func sweep(_ workload: String, _ centers: [Int: Double], placement: String = "none",
               metric: String = "ns_per_op", unit: String = "ns", direction: String = "lower") -> [ResultRow] {
        centers.sorted { $0.key < $1.key }.flatMap { procs, center in
            StatsFixtures.rows(StatsFixtures.noisy(center, count: 10, spreadPercent: 1, seed: UInt64(procs * 31 + workload.count)),
                               workload: workload, procs: procs, placement: placement, metric: metric,
                               unit: unit, direction: direction, runPrefix: "\(workload)-\(placement)")
        }
    }

    func testClearBestIsRecommendedWithItsGain() throws {
        let rows = sweep("parallel-compute", [1: 1000, 2: 600, 4: 400, 8: 420])
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 8, quotaCPUs: nil)
        let w = try XCTUnwrap(r.workloads.first)
        XCTAssertEqual(w.best, TuneCandidate(procs: 4, placement: "none"))
        XCTAssertEqual(w.runnerUp, TuneCandidate(procs: 8, placement: "none"))
        XCTAssertEqual(w.defaultCandidate, TuneCandidate(procs: 8, placement: "none"))
        XCTAssertTrue(w.significantlyBetterThanDefault)
        XCTAssertTrue(w.significantlyBetterThanRunnerUp)
        XCTAssertEqual(w.recommended, w.best)
        let gain = try XCTUnwrap(w.gainVersusDefault)
        let trueGain = (1 - 400.0 / 420.0) * 100  // 4.76%
        XCTAssertEqual(gain.percent, trueGain, accuracy: 1.5)
        XCTAssertLessThanOrEqual(try XCTUnwrap(gain.lowerPercent), gain.percent)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(gain.upperPercent), gain.percent)
        XCTAssertGreaterThan(try XCTUnwrap(gain.lowerPercent), 0)
        XCTAssertEqual(r.overall?.candidate, TuneCandidate(procs: 4, placement: "none"))
        XCTAssertTrue(r.render().contains("recommendation: procs=4 placement=none"))
    }

    func testNoSignificantGainKeepsTheDefault() throws {
        // 4 and 8 are the same distribution; 4 may come out a hair ahead by noise.
        var rows = sweep("chan-pingpong", [1: 900, 2: 500])
        rows += StatsFixtures.rows(StatsFixtures.noisy(300, count: 10, spreadPercent: 1, seed: 5), procs: 4)
        rows += StatsFixtures.rows(StatsFixtures.noisy(300, count: 10, spreadPercent: 1, seed: 6), procs: 8, runPrefix: "d")
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 8, quotaCPUs: nil)
        let w = try XCTUnwrap(r.workloads.first)
        XCTAssertTrue([4, 8].contains(w.best.procs))
        XCTAssertFalse(w.significantlyBetterThanDefault && w.best.procs != 8)
        XCTAssertEqual(w.recommended, TuneCandidate(procs: 8, placement: "none"))
    }

    func testTheDefaultBeingBestHasZeroGain() throws {
        let r = TuneAnalysis.recommend(rows: sweep("spawn-storm", [1: 100, 2: 150, 4: 200]), defaultProcs: 1)
        let w = try XCTUnwrap(r.workloads.first)
        XCTAssertEqual(w.best.procs, 1)
        XCTAssertEqual(w.recommended.procs, 1)
        XCTAssertEqual(w.gainVersusDefault?.percent, 0)
        XCTAssertEqual(r.overall?.gainPercentVersusDefault, 0)
    }

    func testQuotaWarning() throws {
        let rows = sweep("parallel-compute", [2: 800, 4: 500, 8: 300])
        let limited = TuneAnalysis.recommend(rows: rows, defaultProcs: 2, quotaCPUs: 3.5)
        XCTAssertEqual(limited.workloads.first?.recommended.procs, 8)
        let warning = try XCTUnwrap(limited.workloads.first?.quotaWarning)
        XCTAssertTrue(warning.contains("exceeds the CPU quota of 3.5 CPUs (ceil = 4)"), warning)
        XCTAssertNotNil(limited.overall?.quotaWarning)
        XCTAssertNil(TuneAnalysis.recommend(rows: rows, defaultProcs: 2, quotaCPUs: 8).workloads.first?.quotaWarning)
        XCTAssertNil(TuneAnalysis.recommend(rows: rows, defaultProcs: 2, quotaCPUs: 7.2).workloads.first?.quotaWarning)
    }

    func testHigherIsBetterMetricWhenNoNsPerOp() throws {
        let rows = sweep("live-goroutines", [1: 100, 2: 300, 4: 200], metric: "ops_per_sec", unit: "ops/s", direction: "higher")
        let w = try XCTUnwrap(TuneAnalysis.recommend(rows: rows, defaultProcs: 1).workloads.first)
        XCTAssertEqual(w.metric, "ops_per_sec")
        XCTAssertEqual(w.best.procs, 2)
        XCTAssertEqual(try XCTUnwrap(w.gainVersusDefault?.percent), 200, accuracy: 10)  // 3x throughput
    }

    func testOverallUsesTheGeometricMeanAcrossWorkloads() throws {
        // A: procs=4 halves the time, B: procs=4 costs 10%; the default 8 is best for B.
        let rows = sweep("a", [4: 500, 8: 1000]) + sweep("b", [4: 1100, 8: 1000])
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 8)
        XCTAssertEqual(r.workloads.map(\.best.procs), [4, 8])
        let overall = try XCTUnwrap(r.overall)
        XCTAssertEqual(overall.candidate.procs, 4)
        XCTAssertTrue(overall.relativeToDefault)
        XCTAssertEqual(overall.geometricMeanRatios.first?.ratio ?? 0, (0.5 * 1.1).squareRoot(), accuracy: 0.02)
        XCTAssertEqual(try XCTUnwrap(overall.gainPercentVersusDefault), (1 - (0.5 * 1.1).squareRoot()) * 100, accuracy: 2)
    }

    func testPlacementsAreCandidatesToo() throws {
        let rows = sweep("chan-prodcons", [4: 400, 8: 500]) + sweep("chan-prodcons", [4: 300, 8: 450], placement: "compact")
        let w = try XCTUnwrap(TuneAnalysis.recommend(rows: rows, defaultProcs: 8).workloads.first)
        XCTAssertEqual(w.best, TuneCandidate(procs: 4, placement: "compact"))
        XCTAssertEqual(w.defaultCandidate, TuneCandidate(procs: 8, placement: "none"))
        XCTAssertEqual(w.ranking.count, 4)
    }

    func testMissingDefaultAndFailedRunsAreWarned() throws {
        var rows = sweep("a", [2: 500, 4: 400])
        rows.append(StatsFixtures.failedRun(status: "crashed", workload: "a", procs: 4, id: "x1"))
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 8)
        XCTAssertNil(r.workloads.first?.defaultCandidate)
        XCTAssertEqual(r.workloads.first?.recommended.procs, 4)
        XCTAssertTrue(r.warnings.contains { $0.contains("default procs=8 was not swept") }, "\(r.warnings)")
        XCTAssertTrue(r.warnings.contains { $0.contains("1 failed run") }, "\(r.warnings)")
        XCTAssertEqual(r.overall?.relativeToDefault, false)
        XCTAssertTrue(TuneAnalysis.recommend(rows: [], defaultProcs: 2).workloads.isEmpty)
    }
}
