// Compares two results files cell by cell: medians with confidence intervals, the
// Mann-Whitney U test, thresholds and a verdict per cell, warnings, and geometric means.
import Foundation

/// One cell (workload, engine, settings, metric) present in both files.
public struct CellComparison: Equatable, Sendable {
    public enum Verdict: String, Equatable, Sendable {
        /// Not significant at alpha (benchstat's `~`).
        case insignificant = "~"
        /// Significant, beyond the threshold, in the good direction.
        case improvement
        /// Significant, beyond the threshold, in the bad direction.
        case regression
        /// Significant but not beyond the threshold.
        case withinThreshold = "within threshold"
        /// Significant change of a metric whose direction is `none` (informational).
        case changed
    }

    public var key: CellKey
    public var unit: String
    /// `lower`, `higher` or `none`.
    public var direction: String
    public var base: MedianSummary
    public var new: MedianSummary
    /// (new median - base median) / base median in percent; nil when the base median is 0.
    public var changePercent: Double?
    /// nil only when a side has no samples (cannot happen for cells built by `compare`).
    public var test: MannWhitneyResult?
    public var threshold: Threshold
    public var verdict: Verdict
    /// Failed runs (error, crashed, timeout, garbage) of this cell's configuration per side;
    /// they are not samples.
    public var baseFailedRuns: Int = 0
    public var newFailedRuns: Int = 0

    /// True for a regression, an improvement or a change of an informational metric.
    public var isSignificantChange: Bool {
        verdict == .regression || verdict == .improvement || verdict == .changed
    }
}

/// Something the reader of a comparison should know before trusting it.
public enum ComparisonWarning: Equatable, Sendable, CustomStringConvertible {
    /// A configuration whose sample counts cannot give p < alpha.
    case tooFewSamples(configuration: CellKey, baseCount: Int, newCount: Int,
                       smallestPossiblePValue: Double, alpha: Double)
    /// The files (or rows inside one file) come from different machines.
    case differentMachines(base: [MachineInfo], new: [MachineInfo])
    /// Cells that only one file has.
    case onlyInBase([CellKey])
    case onlyInNew([CellKey])
    /// A cell whose unit or direction differs between the files: its numbers may not compare.
    case definitionChanged(CellKey, base: String, new: String)
    /// Runs that failed (status error, crashed, timeout, garbage), counted per status.
    case failedRuns(configuration: CellKey, base: [String: Int], new: [String: Int])

    public var description: String {
        switch self {
        case let .tooFewSamples(configuration, baseCount, newCount, smallest, alpha):
            return "\(configuration): \(baseCount) base and \(newCount) new samples cannot reach p < \(alpha) (the smallest possible p is \(ComparisonReport.format(p: smallest))); use at least 4 repetitions a side, 10 or more to detect small changes"
        case let .differentMachines(base, new):
            let b = base.map(\.summary).joined(separator: "; ")
            let n = new.map(\.summary).joined(separator: "; ")
            return "results come from different machines (base: \(b); new: \(n)): differences may be the machine's, not the code's"
        case let .onlyInBase(keys):
            return "\(keys.count) cell\(keys.count == 1 ? "" : "s") only in base, not compared: \(ComparisonReport.list(keys))"
        case let .onlyInNew(keys):
            return "\(keys.count) cell\(keys.count == 1 ? "" : "s") only in new, not compared: \(ComparisonReport.list(keys))"
        case let .definitionChanged(key, base, new):
            return "\(key): unit and direction changed from '\(base)' to '\(new)'; the comparison may be meaningless"
        case let .failedRuns(configuration, base, new):
            func counts(_ c: [String: Int]) -> String {
                c.isEmpty ? "none" : c.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            }
            return "\(configuration): failed runs (base: \(counts(base)); new: \(counts(new)))"
        }
    }
}

/// The geometric mean of new/base median ratios over the cells of one metric.
public struct MetricGeometricMean: Equatable, Sendable {
    public var metric: String
    public var unit: String
    public var direction: String
    /// Cells that took part (both medians positive).
    public var cellCount: Int
    /// The geometric mean of new median / base median.
    public var ratio: Double
    public var changePercent: Double { (ratio - 1) * 100 }
}

/// The whole comparison of two results files.
public struct ComparisonReport: Equatable, Sendable {
    public var alpha: Double
    public var confidence: Double
    /// Cells present in both files, sorted by key.
    public var cells: [CellComparison]
    public var warnings: [ComparisonWarning]
    public var geometricMeans: [MetricGeometricMean]
    /// Configurations with failed runs in new and none in base: counted as regressions
    /// (a benchmark that starts to crash or time out is worse, whatever its numbers).
    public var newlyFailing: [CellKey]
    /// The distinct machines of each file (by `MachineInfo.sameMachine`).
    public var baseMachines: [MachineInfo]
    public var newMachines: [MachineInfo]

    public var regressions: [CellComparison] { cells.filter { $0.verdict == .regression } }
    public var improvements: [CellComparison] { cells.filter { $0.verdict == .improvement } }

    /// True when a cell regressed or a configuration newly fails.
    public var hasRegression: Bool { !regressions.isEmpty || !newlyFailing.isEmpty }

    /// False when the files have no cell in common: nothing was compared.
    public var isComparable: Bool { !cells.isEmpty }

    /// One line: `2 regressions, 1 improvement, 37 unchanged of 40 cells`.
    public var summaryLine: String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        var parts = [plural(regressions.count, "regression"), plural(improvements.count, "improvement")]
        let changed = cells.filter { $0.verdict == .changed }.count
        if changed > 0 { parts.append("\(changed) informational change\(changed == 1 ? "" : "s")") }
        let within = cells.filter { $0.verdict == .withinThreshold }.count
        if within > 0 { parts.append("\(within) within threshold") }
        parts.append("\(cells.filter { $0.verdict == .insignificant }.count) not significant")
        var s = parts.joined(separator: ", ") + " of \(plural(cells.count, "cell"))"
        if !newlyFailing.isEmpty { s += "; \(newlyFailing.count) configuration\(newlyFailing.count == 1 ? "" : "s") newly failing" }
        return s
    }

    static func format(p: Double) -> String {
        p < 0.001 ? String(format: "%.1e", p) : String(format: "%.3f", p)
    }

    static func list(_ keys: [CellKey], limit: Int = 5) -> String {
        let shown = keys.prefix(limit).map(\.description).joined(separator: "; ")
        return keys.count > limit ? shown + "; and \(keys.count - limit) more" : shown
    }
}

/// Compares `base` with `new`. Only `ok` rows are samples; a cell is compared when both
/// files have samples for it. See `CellComparison.Verdict` for the verdicts: a regression
/// must be significant (p < `alpha`), beyond the cell's threshold, and in the bad direction
/// of the metric.
public func compare(base: [ResultRow], new: [ResultRow],
                    thresholds: ThresholdTable = ThresholdTable(),
                    alpha: Double = 0.05, confidence: Double = 0.95) -> ComparisonReport {
    ComparisonBuilder(alpha: alpha, confidence: confidence, thresholds: thresholds)
        .build(base: base, new: new)
}

/// A results file read for `compare`: its samples per cell, failed runs and machines, read
/// row by row so that memory grows with the cells and runs, not the rows.
public struct ComparisonSide {
    let side: ComparisonBuilder.Side
    /// Reads `path`; errors as `ResultsCSV.read`.
    public init(path: String) throws { side = try ComparisonBuilder.Side(path: path) }
    /// Cells with samples.
    public var cellCount: Int { side.cellCount }
}

/// `compare` of two files read row by row.
public func compare(base: ComparisonSide, new: ComparisonSide,
                    thresholds: ThresholdTable = ThresholdTable(),
                    alpha: Double = 0.05, confidence: Double = 0.95) -> ComparisonReport {
    ComparisonBuilder(alpha: alpha, confidence: confidence, thresholds: thresholds)
        .build(base: base.side, new: new.side)
}

/// The work of `compare`, one side's rows at a time.
struct ComparisonBuilder {
    var alpha: Double
    var confidence: Double
    var thresholds: ThresholdTable

    /// One file's rows grouped by cell.
    struct Side {
        var samples: [CellKey: [Double]] = [:]
        var unit: [CellKey: String] = [:]
        var direction: [CellKey: String] = [:]
        /// Per configuration, the runs (by run id) seen with each status.
        var failedRuns: [CellKey: [String: Set<String>]] = [:]
        /// Per configuration, the ok runs (by run id).
        var okRuns: [CellKey: Set<String>] = [:]
        var machines: [MachineInfo] = []

        init() {}

        init(_ rows: [ResultRow]) {
            for row in rows { add(row) }
        }

        /// One row, as a file is read (memory grows with cells and runs, not rows).
        mutating func add(_ row: ResultRow) {
            if !machines.contains(where: { $0.sameMachine(as: row.machine) }) {
                machines.append(row.machine)
            }
            let key = row.cellKey
            if row.isFailedRun {
                failedRuns[key.configuration, default: [:]][row.status, default: []].insert(row.runID)
            }
            guard row.isSample, let value = row.value else { return }
            samples[key, default: []].append(value)
            if unit[key] == nil { unit[key] = row.unit }
            if direction[key] == nil { direction[key] = row.direction }
            okRuns[key.configuration, default: []].insert(row.runID)
        }

        /// The file at `path`, read row by row.
        init(path: String) throws {
            var side = Side()
            try ResultsCSV.forEachRow(path: path) { side.add($0) }
            self = side
        }

        /// Cells with samples.
        var cellCount: Int { samples.count }

        func failureCounts(_ configuration: CellKey) -> [String: Int] {
            (failedRuns[configuration] ?? [:]).mapValues(\.count)
        }
    }

    func build(base baseRows: [ResultRow], new newRows: [ResultRow]) -> ComparisonReport {
        build(base: Side(baseRows), new: Side(newRows))
    }

    func build(base: Side, new: Side) -> ComparisonReport {
        var cells: [CellComparison] = []
        var warnings: [ComparisonWarning] = []

        let common = Set(base.samples.keys).intersection(new.samples.keys).sorted()
        for key in common {
            cells.append(cell(key, base: base, new: new))
        }

        // Units or directions that changed.
        for key in common {
            let b = "\(base.unit[key] ?? "") \(base.direction[key] ?? "")"
            let n = "\(new.unit[key] ?? "") \(new.direction[key] ?? "")"
            if b != n { warnings.append(.definitionChanged(key, base: b, new: n)) }
        }

        // Machines.
        let allSame = (base.machines + new.machines).allSatisfy { m in
            (base.machines + new.machines).allSatisfy { $0.sameMachine(as: m) }
        }
        if !allSame { warnings.append(.differentMachines(base: base.machines, new: new.machines)) }

        // Too few samples, per configuration (every metric of a run has the same count).
        var warnedConfigurations = Set<CellKey>()
        for c in cells {
            guard let test = c.test else { continue }
            let smallest = MannWhitney.smallestPossiblePValue(firstCount: test.firstCount,
                                                             secondCount: test.secondCount)
            if smallest >= alpha, warnedConfigurations.insert(c.key.configuration).inserted {
                warnings.append(.tooFewSamples(configuration: c.key.configuration,
                                               baseCount: test.firstCount, newCount: test.secondCount,
                                               smallestPossiblePValue: smallest, alpha: alpha))
            }
        }

        // Cells on one side only.
        let onlyBase = Set(base.samples.keys).subtracting(new.samples.keys).sorted()
        let onlyNew = Set(new.samples.keys).subtracting(base.samples.keys).sorted()
        if !onlyBase.isEmpty { warnings.append(.onlyInBase(onlyBase)) }
        if !onlyNew.isEmpty { warnings.append(.onlyInNew(onlyNew)) }

        // Failed runs, per configuration.
        let failing = Set(base.failedRuns.keys).union(new.failedRuns.keys).sorted()
        var newlyFailing: [CellKey] = []
        for configuration in failing {
            let b = base.failureCounts(configuration), n = new.failureCounts(configuration)
            warnings.append(.failedRuns(configuration: configuration, base: b, new: n))
            // Newly failing: new fails where base ran (ok or failed) without failures.
            let baseRan = base.okRuns[configuration] != nil
            if b.isEmpty && !n.isEmpty && baseRan { newlyFailing.append(configuration) }
        }

        return ComparisonReport(alpha: alpha, confidence: confidence, cells: cells,
                                warnings: warnings, geometricMeans: geometricMeans(cells),
                                newlyFailing: newlyFailing, baseMachines: base.machines,
                                newMachines: new.machines)
    }

    func cell(_ key: CellKey, base: Side, new: Side) -> CellComparison {
        let baseSamples = base.samples[key] ?? [], newSamples = new.samples[key] ?? []
        let unit = base.unit[key] ?? new.unit[key] ?? ""
        let direction = base.direction[key] ?? new.direction[key] ?? "none"
        let baseSummary = MedianSummary(samples: baseSamples, confidence: confidence)
        let newSummary = MedianSummary(samples: newSamples, confidence: confidence)
        let test = MannWhitney.test(baseSamples, newSamples)
        let threshold = thresholds.threshold(workload: key.workload, metric: key.metric, unit: unit)
        var change: Double? = nil
        if let b = baseSummary.median, let n = newSummary.median, b != 0 {
            change = (n - b) / abs(b) * 100
        }
        let verdict: CellComparison.Verdict
        if let t = test, t.pValue < alpha, let b = baseSummary.median, let n = newSummary.median {
            if direction != "lower" && direction != "higher" {
                verdict = .changed
            } else if !threshold.isExceeded(base: b, new: n) {
                verdict = .withinThreshold
            } else {
                let worse = direction == "lower" ? n > b : n < b
                verdict = worse ? .regression : .improvement
            }
        } else {
            verdict = .insignificant
        }
        return CellComparison(key: key, unit: unit, direction: direction, base: baseSummary,
                              new: newSummary, changePercent: change, test: test,
                              threshold: threshold, verdict: verdict,
                              baseFailedRuns: base.failureCounts(key.configuration).values.reduce(0, +),
                              newFailedRuns: new.failureCounts(key.configuration).values.reduce(0, +))
    }

    /// Per metric, the geometric mean of new/base medians over cells with positive medians.
    func geometricMeans(_ cells: [CellComparison]) -> [MetricGeometricMean] {
        var ratios: [String: [Double]] = [:]
        var info: [String: (unit: String, direction: String)] = [:]
        for c in cells {
            guard let b = c.base.median, let n = c.new.median, b > 0, n > 0 else { continue }
            ratios[c.key.metric, default: []].append(n / b)
            if info[c.key.metric] == nil { info[c.key.metric] = (c.unit, c.direction) }
        }
        return ratios.keys.sorted().compactMap { metric in
            guard let r = ratios[metric], let g = Statistics.geometricMean(r), let i = info[metric] else { return nil }
            return MetricGeometricMean(metric: metric, unit: i.unit, direction: i.direction,
                                       cellCount: r.count, ratio: g)
        }
    }
}
