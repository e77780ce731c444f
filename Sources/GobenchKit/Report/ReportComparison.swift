// The comparison section's data: each cell measured in both the base and the new files,
// its median change and whether that change is significant.
import Foundation

/// One cell of the comparison between a base file and the report's files.
public struct ReportComparisonEntry: Equatable {
    public enum Verdict: Equatable {
        /// Significant, in the metric's good direction.
        case improved
        /// Significant, in the metric's bad direction.
        case regressed
        /// Not significant ("~").
        case unchanged
        /// Direction `none`: shown, never judged.
        case informational
    }

    public var key: CellKey
    public var base: SampleSummary
    public var new: SampleSummary
    /// (new - base) / base of the medians; nil when the base median is 0.
    public var deltaFraction: Double?
    public var verdict: Verdict
    /// How the verdict was reached, e.g. "intervals overlap" or "n < 6".
    public var note: String
}

/// Compares two datasets cell by cell. A change counts as significant only when both
/// sides reach a 95 % interval for their medians and the two intervals do not overlap:
/// a conservative test (non-overlapping 95 % intervals imply p < 0.05, not the reverse),
/// so this reports fewer changes than a Mann-Whitney U test would, never more.
public enum ReportComparison {
    public static func entries(base: ReportDataset, new: ReportDataset) -> [ReportComparisonEntry] {
        var entries: [ReportComparisonEntry] = []
        for key in new.samples.keys.sorted() {
            guard let b = base.summary(key), let n = new.summary(key) else { continue }
            let direction = new.metricDirections[key.metric] ?? base.metricDirections[key.metric] ?? "none"
            let delta = b.median != 0 ? (n.median - b.median) / abs(b.median) : nil
            var verdict = ReportComparisonEntry.Verdict.unchanged
            var note = ""
            if direction != "lower" && direction != "higher" {
                verdict = .informational
                note = "direction none"
            } else if !b.confident || !n.confident {
                note = "too few samples for a 95 % interval (need 6)"
            } else if n.low > b.high || n.high < b.low {
                let up = n.median > b.median
                verdict = (up == (direction == "higher")) ? .improved : .regressed
                note = "95 % intervals do not overlap"
            } else {
                note = "95 % intervals overlap"
            }
            entries.append(ReportComparisonEntry(key: key, base: b, new: n, deltaFraction: delta,
                                                 verdict: verdict, note: note))
        }
        return entries
    }
}
