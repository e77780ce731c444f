// The CI gate of compare: only primary metrics gate, the error rate holds across cells
// (Benjamini-Hochberg), a minimum effect, and bimodal cells warned about, not regressions.
import Foundation
import XCTest
@testable import GobenchKit

final class CompareGateTests: XCTestCase {
    /// `configurations` cells of ns_per_op (one workload name each), 5 samples a side from
    /// one noise source: `shifted` of them 20% slower in new.
    func manyCells(_ configurations: Int, shifted: Set<Int> = []) -> (base: [ResultRow], new: [ResultRow]) {
        var base: [ResultRow] = [], new: [ResultRow] = []
        for i in 0..<configurations {
            let factor = shifted.contains(i) ? 1.2 : 1.0
            base += StatsFixtures.rows(StatsFixtures.noisy(1000, count: 5, spreadPercent: 3, seed: UInt64(2 * i + 1)),
                                       workload: "w\(i)")
            new += StatsFixtures.rows(StatsFixtures.noisy(1000 * factor, count: 5, spreadPercent: 3, seed: UInt64(2 * i + 2)),
                                      workload: "w\(i)", runPrefix: "n")
        }
        return (base, new)
    }

    /// Only statistics decide here: no threshold, no minimum effect.
    let noFloor = ThresholdTable(rules: [Threshold(workload: "*", metric: "*", relativePercent: 0)])

    func testTheErrorRateHoldsAcrossCells() {
        let (base, new) = manyCells(300)
        // Each cell at 0.05 on its own: with 300 unchanged cells some are "significant".
        let uncorrected = compare(base: base, new: new, thresholds: noFloor,
                                  gate: GateOptions(minEffectPercent: 0, correction: .none))
        XCTAssertGreaterThan(uncorrected.regressions.count + uncorrected.improvements.count, 0,
                             "the uncorrected gate must show false alarms, or this test proves nothing")
        // Adjusted over the cells (Benjamini-Hochberg, or Holm), nothing that did not change gates.
        for correction in [GateOptions.Correction.benjaminiHochberg, .holm] {
            let report = compare(base: base, new: new, thresholds: noFloor,
                                 gate: GateOptions(minEffectPercent: 0, correction: correction))
            XCTAssertFalse(report.hasRegression, "\(correction): \(report.regressions.map(\.key))")
            XCTAssertTrue(report.cells.allSatisfy { $0.adjustedP! >= $0.gateEstimate!.pValue })
        }
    }

    func testARealSlowdownIsStillCaughtAmongManyCells() {
        let (base, new) = manyCells(300, shifted: [17])
        let report = compare(base: base, new: new)  // the defaults: BH, min effect 10%
        XCTAssertEqual(report.regressions.map(\.key.workload), ["w17"])
        XCTAssertTrue(report.hasRegression)
        let text = CompareRender.text(report)
        XCTAssertTrue(text.contains("300 cells gate"), text)
        XCTAssertTrue(text.contains("(q="), text)
    }

    func testBenjaminiHochbergAndHolmAdjustments() {
        let p = [0.01, 0.04, 0.03, 0.005]
        let bh = WelchTest.benjaminiHochberg(p)
        XCTAssertEqual(bh, [0.02, 0.04, 0.04, 0.02].map { $0 }, accuracy: 1e-12)
        XCTAssertEqual(WelchTest.holm(p), [0.03, 0.06, 0.06, 0.02], accuracy: 1e-12)
        // The t distribution: P(T > 2.776) = 0.025 with 4 degrees of freedom.
        XCTAssertEqual(StudentT.survival(2.776445, degreesOfFreedom: 4), 0.025, accuracy: 1e-5)
        XCTAssertEqual(StudentT.quantile(0.975, degreesOfFreedom: 10), 2.228139, accuracy: 1e-5)
    }

    func testOnlyThePrimaryMetricGatesByDefault() {
        let base = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 1))
            + StatsFixtures.rows(StatsFixtures.noisy(2, seed: 3), metric: "wall_seconds", unit: "s")
        let new = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 2), runPrefix: "n")
            + StatsFixtures.rows(StatsFixtures.noisy(3, seed: 4), metric: "wall_seconds", unit: "s", runPrefix: "n")
        let report = compare(base: base, new: new)
        let wall = report.cells.first { $0.key.metric == "wall_seconds" }
        XCTAssertEqual(wall?.verdict, .worseNotGating)
        XCTAssertEqual(wall?.gating, false)
        XCTAssertEqual(report.cells.first { $0.key.metric == "ns_per_op" }?.gating, true)
        XCTAssertFalse(report.hasRegression)
        XCTAssertTrue(report.summaryLine.contains("1 worse in metrics that do not gate"), report.summaryLine)
        // --gate all: the same +50% is a regression.
        let all = compare(base: base, new: new, gate: GateOptions(gateAllMetrics: true))
        XCTAssertEqual(all.regressions.map(\.key.metric), ["wall_seconds"])
        // A memory workload gates on its own primary metric.
        XCTAssertEqual(GateOptions.primaryMetric(of: "live-goroutines"), "bytes_per_goroutine")
        XCTAssertEqual(GateOptions.primaryMetric(of: "chan-pingpong"), "ns_per_op")
    }

    func testNoChangeBelowTheMinimumEffectGates() {
        // +7%, far beyond the noise and the 5% threshold.
        let base = StatsFixtures.rows(StatsFixtures.noisy(300, count: 10, spreadPercent: 0.5, seed: 5))
        let new = StatsFixtures.rows(StatsFixtures.noisy(321, count: 10, spreadPercent: 0.5, seed: 6), runPrefix: "n")
        XCTAssertEqual(compare(base: base, new: new).cells.first?.verdict, .withinThreshold)
        XCTAssertEqual(compare(base: base, new: new, gate: GateOptions(minEffectPercent: 5)).cells.first?.verdict, .regression)
        let text = CompareRender.text(compare(base: base, new: new))
        XCTAssertTrue(text.contains("within threshold (10%, the minimum effect)"), text)
    }

    func testBimodalCellsAreWarnedAboutNotRegressions() throws {
        let base = StatsFixtures.rows([100, 101, 100, 102, 101, 100, 101, 102])
        let new = StatsFixtures.rows([100, 101, 160, 161, 160, 162, 161, 160], runPrefix: "n")
        XCTAssertTrue(Bimodality.isBimodal([100, 101, 160, 161, 160, 162, 161, 160]))
        XCTAssertFalse(Bimodality.isBimodal([100, 101, 100, 102, 101, 100, 101, 102]))
        XCTAssertFalse(Bimodality.isBimodal([100, 110, 120, 130, 140, 150]))  // spread, not clusters
        let report = compare(base: base, new: new)
        let cell = try XCTUnwrap(report.cells.first)
        XCTAssertLessThan(try XCTUnwrap(cell.adjustedP), 0.05, "significant: only the bimodality stops it")
        XCTAssertEqual(cell.verdict, .bimodal)
        XCTAssertFalse(report.hasRegression)
        XCTAssertTrue(report.warnings.contains { if case .bimodal = $0 { return true } else { return false } })
        // The same shift without the two fast samples is a regression.
        let unimodal = compare(base: base, new: StatsFixtures.rows([160, 161, 160, 162, 161, 160, 161, 160], runPrefix: "n"))
        XCTAssertEqual(unimodal.cells.first?.verdict, .regression)
    }

    func testDifferentRecordedSettingsAndToolchainsAreWarnedAbout() {
        var base = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 1))
        var new = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 2), runPrefix: "n")
        for i in new.indices { new[i].env = "GOGC=50"; new[i].machine.goVersion = "go1.26" }
        let report = compare(base: base, new: new)
        XCTAssertEqual(report.cells.count, 1, "one setting a side: matched without it")
        let text = report.warnings.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("different recorded settings") && text.contains("GOGC=50"), text)
        XCTAssertTrue(text.contains("different toolchains") && text.contains("go1.26"), text)
        // Same settings, same toolchain: neither warning.
        for i in base.indices { base[i].env = "GOGC=50"; base[i].machine.goVersion = "go1.26" }
        XCTAssertTrue(compare(base: base, new: new).warnings.isEmpty)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}

final class CompareDriftTests: XCTestCase {
    /// 30 cells whose true values move between the files by up to ±`driftPercent` (as under
    /// another load), with ±1% noise inside each file.
    func drifted(_ driftPercent: Double, slowed: Int? = nil) -> (base: [ResultRow], new: [ResultRow]) {
        var base: [ResultRow] = [], new: [ResultRow] = []
        var x: UInt64 = 0x9E3779B97F4A7C15
        for i in 0..<30 {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let drift = 1 + (Double(x % 2001) / 1000 - 1) * driftPercent / 100
            let factor = drift * (slowed == i ? 2 : 1)
            base += StatsFixtures.rows(StatsFixtures.noisy(1000, count: 5, spreadPercent: 1, seed: UInt64(2 * i + 1)), workload: "w\(i)")
            new += StatsFixtures.rows(StatsFixtures.noisy(1000 * factor, count: 5, spreadPercent: 1, seed: UInt64(2 * i + 2)),
                                      workload: "w\(i)", runPrefix: "n")
        }
        return (base, new)
    }

    func testDriftBetweenFilesDoesNotGateButAChangeBeyondItDoes() {
        let (base, new) = drifted(20)
        // Each cell's own noise alone calls many of the drifted cells regressions...
        let naive = compare(base: base, new: new, gate: GateOptions(accountForDrift: false))
        XCTAssertTrue(naive.hasRegression, "the premise: the drift beats the within-file noise")
        // ... the between-files term takes the drift into account.
        let report = compare(base: base, new: new)
        XCTAssertFalse(report.hasRegression, "\(report.regressions.map(\.key.workload))")
        XCTAssertGreaterThan(report.cellDriftDeviation, 0.05)
        XCTAssertTrue(CompareRender.text(report).contains("between-files spread"))
        // A doubling of one cell stands out of a ±20% drift.
        let (b2, n2) = drifted(20, slowed: 7)
        XCTAssertEqual(compare(base: b2, new: n2).regressions.map(\.key.workload), ["w7"])
        // Without drift the term is 0 and changes nothing.
        XCTAssertEqual(GateOptions.betweenFilesDeviation([LogRatioEstimate(logRatio: 0, standardError: 0.01, degreesOfFreedom: 8)]), 0)
    }
}
