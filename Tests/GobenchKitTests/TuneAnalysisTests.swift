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
    /// A sweep with `count` reps a candidate and ±`spread`% noise.
    func noisySweep(_ workload: String, _ centers: [Int: Double], count: Int, spread: Double) -> [ResultRow] {
        centers.sorted { $0.key < $1.key }.flatMap { procs, center in
            StatsFixtures.rows(StatsFixtures.noisy(center, count: count, spreadPercent: spread, seed: UInt64(procs * 97 + workload.count * 7)),
                               workload: workload, procs: procs, runPrefix: workload)
        }
    }

    func testWorkloadsThatDisagreeShowTheTradeOff() throws {
        // The case: one workload best at procs=1, the other at the default 2.
        let rows = sweep("chan-prodcons", [1: 500, 2: 1000]) + sweep("parallel-compute", [1: 2000, 2: 1000])
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 2, cpus: 2)
        XCTAssertTrue(r.workloadsDisagree)
        XCTAssertEqual(r.workloads.map(\.best.procs), [1, 2])
        let text = r.render()
        XCTAssertTrue(text.contains("the workloads disagree"), text)
        XCTAssertTrue(text.contains("+50.") && text.contains("-100."), text)  // the trade-off at procs=1
        // Over both, procs=1 is no better than the default (x0.5 and x2): the default stands.
        XCTAssertEqual(r.overall?.candidate.procs, 2)
        XCTAssertNotNil(r.overall?.keptDefaultBecause)
    }

    func testAGeometricMeanWinWithoutSignificanceKeepsTheDefault() throws {
        // procs=3 is 1-2% faster on both, within ±5% noise and 5 reps.
        let rows = noisySweep("chan-prodcons", [1: 1300, 2: 1000, 3: 985], count: 5, spread: 5)
            + noisySweep("parallel-compute", [1: 1900, 2: 1000, 3: 990], count: 5, spread: 5)
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 2, cpus: 2)
        let overall = try XCTUnwrap(r.overall)
        XCTAssertEqual(overall.geometricMeanRatios.first?.candidate.procs, 3, "the premise: procs=3 wins the geometric mean")
        XCTAssertEqual(overall.candidate.procs, 2, "but not significantly: the default stands")
        let e = try XCTUnwrap(overall.evidence.first { $0.candidate.procs == 3 })
        XCTAssertGreaterThanOrEqual(e.adjustedP, 0.05)
        XCTAssertLessThan(try XCTUnwrap(e.gain.lowerPercent), 0, "the interval of the gain includes 0")
        XCTAssertGreaterThan(try XCTUnwrap(e.gain.upperPercent), 0)
        XCTAssertTrue(r.render().contains("the default stands: procs=3 placement=none has the best geometric mean"), r.render())
        XCTAssertNil(overall.cpuWarning)
    }

    func testACandidateAboveTheCPUCountNeedsEvidenceAndGetsAWarning() throws {
        // procs=4 on 2 CPUs: clearly better on both workloads.
        let clear = sweep("a", [2: 1000, 4: 700]) + sweep("b", [2: 1000, 4: 800])
        let r = TuneAnalysis.recommend(rows: clear, defaultProcs: 2, cpus: 2)
        XCTAssertEqual(r.overall?.candidate.procs, 4)
        XCTAssertTrue(r.overall?.cpuWarning?.contains("more than the 2 CPUs") ?? false, "\(String(describing: r.overall))")
        let e = try XCTUnwrap(r.overall?.evidence.first { $0.candidate.procs == 4 })
        XCTAssertLessThan(e.adjustedP, 0.05)
        XCTAssertGreaterThan(try XCTUnwrap(e.gain.lowerPercent), 0)
        // The same candidate, better by noise only: not recommended, no warning.
        let noise = noisySweep("a", [2: 1000, 4: 990], count: 5, spread: 5) + noisySweep("b", [2: 1000, 4: 995], count: 5, spread: 5)
        let n = TuneAnalysis.recommend(rows: noise, defaultProcs: 2, cpus: 2)
        XCTAssertEqual(n.overall?.candidate.procs, 2)
        XCTAssertNil(n.overall?.cpuWarning)
    }

    func testTooFewSamplesSayHowManyAreNeeded() throws {
        let rows = noisySweep("a", [1: 900, 2: 1000], count: 1, spread: 1) + noisySweep("b", [1: 800, 2: 1000], count: 1, spread: 1)
        let r = TuneAnalysis.recommend(rows: rows, defaultProcs: 2, cpus: 2)
        let text = r.render()
        XCTAssertFalse(text.contains("∞"), text)
        XCTAssertTrue(text.contains("a CI needs \(Statistics.minimumSampleCountForMedianInterval())"), text)
        XCTAssertTrue(text.contains("it needs at least 4 samples a side"), text)
        XCTAssertEqual(r.overall?.candidate.procs, 2)
        XCTAssertTrue(r.overall?.keptDefaultBecause?.contains("too few samples") ?? false, text)
        XCTAssertEqual(TuneAnalysis.samplesNeededForShiftInterval(confidence: 0.95), 4)
    }
}
