// compare(): A/A comparisons, an injected slowdown, thresholds, warnings and geometric means.
import XCTest
@testable import GobenchKit

final class CompareTests: XCTestCase {
    func testAAComparisonOfIdenticalDistributionsHasNoRegression() {
        // Many A/A pairs from the same distribution: no regression in any (each cell is
        // beyond the 5% threshold only if the noise were larger than 5%, and it is 2%).
        for seed in 1...20 as ClosedRange<UInt64> {
            let base = StatsFixtures.rows(StatsFixtures.noisy(300, count: 10, spreadPercent: 2, seed: seed))
            let new = StatsFixtures.rows(StatsFixtures.noisy(300, count: 10, spreadPercent: 2, seed: seed + 1000), runPrefix: "n")
            let report = compare(base: base, new: new)
            XCTAssertFalse(report.hasRegression, "seed \(seed)")
            XCTAssertTrue(report.isComparable)
            XCTAssertEqual(report.cells.count, 1)
        }
        // The very same samples: p = 1, "~".
        let same = StatsFixtures.rows(StatsFixtures.noisy(300))
        let report = compare(base: same, new: same)
        XCTAssertEqual(report.cells[0].verdict, .insignificant)
        XCTAssertEqual(report.cells[0].test?.pValue, 1)
        XCTAssertEqual(report.cells[0].changePercent, 0)
    }

    func testInjectedTwentyPercentSlowdownIsARegression() throws {
        let baseValues = StatsFixtures.noisy(300, count: 10, spreadPercent: 2, seed: 7)
        let base = StatsFixtures.rows(baseValues)
        let new = StatsFixtures.rows(StatsFixtures.noisy(360, count: 10, spreadPercent: 2, seed: 8), runPrefix: "n")
        let report = compare(base: base, new: new)
        XCTAssertTrue(report.hasRegression)
        let cell = try XCTUnwrap(report.cells.first)
        XCTAssertEqual(cell.verdict, .regression)
        XCTAssertEqual(try XCTUnwrap(cell.changePercent), 20, accuracy: 3)
        XCTAssertLessThan(try XCTUnwrap(cell.test?.pValue), 0.001)
        XCTAssertEqual(cell.test?.method, .exact)
        XCTAssertNotNil(cell.base.interval)
        // The same change in a higher-is-better metric is an improvement.
        let up = compare(base: StatsFixtures.rows(baseValues, metric: "ops_per_sec", unit: "ops/s", direction: "higher"),
                         new: StatsFixtures.rows(StatsFixtures.noisy(360, seed: 8), metric: "ops_per_sec", unit: "ops/s", direction: "higher", runPrefix: "n"))
        XCTAssertEqual(up.cells.first?.verdict, .improvement)
        XCTAssertFalse(up.hasRegression)
        // ... and in a `none` metric, only a change.
        let none = compare(base: StatsFixtures.rows(baseValues, metric: "steals", unit: "count", direction: "none"),
                           new: StatsFixtures.rows(StatsFixtures.noisy(360, seed: 8), metric: "steals", unit: "count", direction: "none", runPrefix: "n"))
        XCTAssertEqual(none.cells.first?.verdict, .changed)
        XCTAssertFalse(none.hasRegression)
    }

    func testSignificantButSmallChangeIsWithinThreshold() {
        let base = StatsFixtures.rows(StatsFixtures.noisy(300, count: 12, spreadPercent: 0.5, seed: 3))
        let new = StatsFixtures.rows(StatsFixtures.noisy(309, count: 12, spreadPercent: 0.5, seed: 4), runPrefix: "n")
        let report = compare(base: base, new: new)  // +3%, default threshold 5%
        XCTAssertEqual(report.cells.first?.verdict, .withinThreshold)
        XCTAssertFalse(report.hasRegression)
        // With a 2% rule for this workload and no minimum effect, the same change regresses;
        // the default minimum effect (10%) keeps it within threshold.
        let strict = ThresholdTable(rules: [Threshold(workload: "chan-pingpong", metric: "*", relativePercent: 2)])
        XCTAssertEqual(compare(base: base, new: new, thresholds: strict, gate: GateOptions(minEffectPercent: 0)).cells.first?.verdict, .regression)
        XCTAssertEqual(compare(base: base, new: new, thresholds: strict).cells.first?.verdict, .withinThreshold)
        // An absolute floor larger than the change keeps it within threshold.
        let floor = ThresholdTable(rules: [Threshold(workload: "*", metric: "ns_per_op", relativePercent: 2, absolute: 50)])
        XCTAssertEqual(compare(base: base, new: new, thresholds: floor).cells.first?.verdict, .withinThreshold)
    }

    func testTooFewSamplesAreReportedAndCannotRegress() throws {
        let base = StatsFixtures.rows([100, 101, 102])
        let new = StatsFixtures.rows([200, 201, 202], runPrefix: "n")
        let report = compare(base: base, new: new)
        XCTAssertEqual(report.cells.first?.verdict, .insignificant)
        XCTAssertFalse(report.hasRegression)
        guard case let .tooFewSamples(_, b, n, smallest, _)? = report.warnings.first else {
            return XCTFail("expected a too-few-samples warning, got \(report.warnings)")
        }
        XCTAssertEqual(b, 3); XCTAssertEqual(n, 3)
        XCTAssertEqual(smallest, 0.1, accuracy: 1e-12)
        XCTAssertTrue(report.warnings[0].description.contains("cannot reach p < 0.05"))
        // Four a side can: no warning, and a clear doubling is a regression.
        let four = compare(base: StatsFixtures.rows([100, 101, 102, 103]),
                           new: StatsFixtures.rows([200, 201, 202, 203], runPrefix: "n"))
        XCTAssertTrue(four.warnings.isEmpty, "\(four.warnings)")
        XCTAssertEqual(four.cells.first?.verdict, .regression)
    }

    func testWarningsForMachinesOneSidedCellsAndFailedRuns() {
        var other = StatsFixtures.machine
        other.host = "bench2"
        let base = StatsFixtures.rows(StatsFixtures.noisy(300))
            + StatsFixtures.rows(StatsFixtures.noisy(50), workload: "spawn-storm")
            + StatsFixtures.rows(StatsFixtures.noisy(70), workload: "mutex-contention")
        let new = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 2), machine: other, runPrefix: "n")
            + StatsFixtures.rows(StatsFixtures.noisy(80), workload: "timer-storm", machine: other, runPrefix: "n")
            + StatsFixtures.rows(StatsFixtures.noisy(70, count: 8), workload: "mutex-contention", machine: other, runPrefix: "n")
            + [StatsFixtures.failedRun(status: "crashed", workload: "mutex-contention", id: "c1"),
               StatsFixtures.failedRun(status: "timeout", workload: "mutex-contention", id: "c2")]
        let report = compare(base: base, new: new)
        let text = report.warnings.map(\.description).joined(separator: "\n")
        XCTAssertTrue(text.contains("different machines"), text)
        XCTAssertTrue(text.contains("1 cell only in base, not compared: spawn-storm"), text)
        XCTAssertTrue(text.contains("1 cell only in new, not compared: timer-storm"), text)
        XCTAssertTrue(text.contains("failed runs (base: none; new: 1 crashed, 1 timeout)"), text)
        XCTAssertEqual(report.cells.count, 2)
        let mutex = report.cells.first { $0.key.workload == "mutex-contention" }
        XCTAssertEqual(mutex?.newFailedRuns, 2)
        XCTAssertEqual(mutex?.baseFailedRuns, 0)
        // mutex-contention ran cleanly in base and now crashes: a regression.
        XCTAssertEqual(report.newlyFailing.map(\.workload), ["mutex-contention"])
        XCTAssertTrue(report.hasRegression)
    }

    func testChangedUnitIsWarned() {
        let report = compare(base: StatsFixtures.rows([1, 2, 3, 4]),
                             new: StatsFixtures.rows([1, 2, 3, 4], unit: "s", runPrefix: "n"))
        XCTAssertTrue(report.warnings.contains(.definitionChanged(report.cells[0].key, base: "ns lower", new: "s lower")), "\(report.warnings)")
    }

    func testMarkdownStaysShortForLargeSweeps() {
        let base = (0..<400).flatMap { StatsFixtures.rows([1, 2, 3, 4], procs: $0 + 1) }
        let new = (0..<400).flatMap { StatsFixtures.rows([1, 2, 3, 4], procs: $0 + 1, runPrefix: "n") }
        let md = CompareRender.markdown(compare(base: base, new: new))
        XCTAssertTrue(md.contains("150 more cells left out"), md)
        XCTAssertLessThan(md.count, 65_000)
    }

    func testNoCellInCommonIsIncomparable() {
        let report = compare(base: StatsFixtures.rows([1, 2, 3, 4]),
                             new: StatsFixtures.rows([1, 2, 3, 4], workload: "spawn-storm"))
        XCTAssertFalse(report.isComparable)
        XCTAssertFalse(compare(base: [], new: []).isComparable)
    }

    func testOnlyOkRowsAreSamples() {
        var base = StatsFixtures.rows([100, 101, 102, 103, 104])
        var bogus = StatsFixtures.failedRun(status: "error", id: "e1")
        bogus.metric = "ns_per_op"; bogus.value = 1_000_000  // a failed run's value is not a sample
        base.append(bogus)
        let report = compare(base: base, new: StatsFixtures.rows([100, 101, 102, 103, 104], runPrefix: "n"))
        XCTAssertEqual(report.cells.first?.base.count, 5)
    }

    func testGeometricMeanPerMetric() throws {
        let base = StatsFixtures.rows([100, 100, 100, 100]) + StatsFixtures.rows([400, 400, 400, 400], workload: "spawn-storm")
        let new = StatsFixtures.rows([200, 200, 200, 200], runPrefix: "n") + StatsFixtures.rows([200, 200, 200, 200], workload: "spawn-storm", runPrefix: "n")
        let report = compare(base: base, new: new)
        let g = try XCTUnwrap(report.geometricMeans.first)
        XCTAssertEqual(g.metric, "ns_per_op")
        XCTAssertEqual(g.cellCount, 2)
        XCTAssertEqual(g.ratio, 1, accuracy: 1e-12)  // x2 and x0.5
    }

    func testRenderings() throws {
        let base = StatsFixtures.rows(StatsFixtures.noisy(300, seed: 7), params: "buffer=10|x")
            + StatsFixtures.rows(StatsFixtures.noisy(1000, seed: 9), metric: "final_rss_bytes", unit: "bytes")
        let new = StatsFixtures.rows(StatsFixtures.noisy(360, seed: 8), params: "buffer=10|x", runPrefix: "n")
            + StatsFixtures.rows(StatsFixtures.noisy(1000, seed: 10), metric: "final_rss_bytes", unit: "bytes", runPrefix: "n")
        let report = compare(base: base, new: new)

        let text = CompareRender.text(report, baseLabel: "results/base.csv", newLabel: "new.csv")
        XCTAssertTrue(text.contains("REGRESSION (threshold 10%, the minimum effect)"), text)
        XCTAssertTrue(text.contains("ns_per_op (ns)"), text)
        XCTAssertTrue(text.contains("1 regression, 0 improvements"), text)
        // Columns are aligned: every row of a table has the same position of "±".
        let tableLines = text.split(separator: "\n").filter { $0.contains("chan-pingpong") }
        XCTAssertEqual(tableLines.count, 2)

        let md = CompareRender.markdown(report)
        XCTAssertTrue(md.hasPrefix("### ❌ gobench compare: 1 regression"), md)
        XCTAssertTrue(md.contains("<details>"), md)
        XCTAssertTrue(md.contains("buffer=10\\|x"), "pipes escaped: \(md)")
        let significantPart = md.components(separatedBy: "<details>")[0]
        XCTAssertTrue(significantPart.contains("ns_per_op"))
        XCTAssertFalse(significantPart.contains("final_rss_bytes"))

        let csv = CompareRender.csv(report)
        let records = try CSVRecordReader.records(in: csv)
        XCTAssertEqual(records[0].fields, CompareRender.csvColumns)
        XCTAssertEqual(records.count, 3)
        let regression = try XCTUnwrap(records.first { $0.fields.contains("regression") })
        XCTAssertEqual(regression.fields[5], "buffer=10|x")
        XCTAssertEqual(Double(regression.fields[17]) ?? 0, report.cells.first { $0.verdict == .regression }!.changePercent!, accuracy: 1e-9)
    }

    func testValueFormat() {
        XCTAssertEqual(ValueFormat.string(301.25, unit: "ns"), "301.2 ns")
        XCTAssertEqual(ValueFormat.string(1_204_000, unit: "ns"), "1.204 ms")
        XCTAssertEqual(ValueFormat.string(0.0025, unit: "s"), "2.5 ms")
        XCTAssertEqual(ValueFormat.string(12.5 * 1024 * 1024, unit: "bytes"), "12.5 MiB")
        XCTAssertEqual(ValueFormat.string(3_410_000, unit: "ops/s"), "3.41 M ops/s")
        XCTAssertEqual(ValueFormat.string(12, unit: "count"), "12")
        XCTAssertEqual(ValueFormat.string(.infinity, unit: "ns"), "inf s")  // no crash on overflowed medians
    }
}
