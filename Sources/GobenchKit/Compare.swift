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
        /// A metric that does not gate (not the workload's primary one) got significantly
        /// worse beyond its threshold: reported, never a regression.
        case worseNotGating = "worse (not gating)"
        /// A gating cell that would be a regression, but whose samples fall in two clusters
        /// on one side: a warning, not a regression (a mode switch is not a code change).
        case bimodal
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
    /// True when this cell can fail the comparison: the workload's primary metric (or every
    /// metric with `GateOptions.gateAllMetrics`).
    public var gating: Bool = false
    /// For gating cells: Welch's t-test on the logarithms (ratio of geometric means).
    public var gateEstimate: LogRatioEstimate? = nil
    /// For gating cells: the p of `gateEstimate` adjusted over every gating cell
    /// (`GateOptions.correction`); the verdict of a gating cell compares it with alpha.
    public var adjustedP: Double? = nil
    /// The samples of a side fall in two clusters (`Bimodality.isBimodal`).
    public var bimodal: Bool = false

    /// True for a regression, an improvement or a change of an informational metric.
    public var isSignificantChange: Bool {
        verdict == .regression || verdict == .improvement || verdict == .changed
            || verdict == .worseNotGating || verdict == .bimodal
    }
}

/// How the comparison as a whole decides that something regressed (the CI gate).
public struct GateOptions: Equatable, Sendable {
    public enum Correction: String, CaseIterable, Sendable {
        /// Benjamini-Hochberg: false discovery rate alpha over the gating cells (when nothing
        /// changed, also the chance of any false alarm).
        case benjaminiHochberg = "bh"
        /// Holm: family-wise error rate alpha.
        case holm
        /// No correction: each gating cell at alpha on its own.
        case none
    }

    /// No change smaller than this (percent of the base, in either direction) gates,
    /// whatever the thresholds say.
    public var minEffectPercent: Double
    /// Gate on every metric instead of each workload's primary metric.
    public var gateAllMetrics: Bool
    public var correction: Correction
    /// Add the between-files spread of the gating cells' changes to each cell's variance.
    public var accountForDrift: Bool

    public init(minEffectPercent: Double = GateOptions.defaultMinEffectPercent, gateAllMetrics: Bool = false,
                correction: Correction = .benjaminiHochberg, accountForDrift: Bool = true) {
        self.minEffectPercent = minEffectPercent; self.gateAllMetrics = gateAllMetrics
        self.correction = correction; self.accountForDrift = accountForDrift
    }

    /// The fewest gating cells from which the between-files spread is estimated; with fewer,
    /// it is taken as 0.
    public static let minimumCellsForDrift = 8

    /// The standard deviation of the cells' log changes between the files beyond their own
    /// standard errors: (1.4826 x the median absolute deviation of the log ratios around
    /// their median)^2 minus the median squared standard error, at least 0.
    public static func betweenFilesDeviation(_ estimates: [LogRatioEstimate]) -> Double {
        guard estimates.count >= minimumCellsForDrift,
              let center = Statistics.median(estimates.map(\.logRatio)),
              let mad = Statistics.median(estimates.map { abs($0.logRatio - center) }),
              let within = Statistics.median(estimates.map { $0.standardError * $0.standardError }) else { return 0 }
        let spread = 1.4826 * mad
        return max(0, spread * spread - within).squareRoot()
    }

    public static let defaultMinEffectPercent = 10.0
    public static let `default` = GateOptions()

    /// The primary metric of `workload` (the catalog's), `ns_per_op` for one it does not know.
    public static func primaryMetric(of workload: String) -> String {
        (try? Catalog.workload(named: workload))?.primaryMetric ?? "ns_per_op"
    }
}

/// Two clusters in a handful of samples: sorted, the widest gap between neighbours splits
/// them into two groups of at least two samples each (one of at least a fifth of them when
/// there are 10 or more), the gap is at least 10% of the median and at least twice the
/// spread inside either group.
public enum Bimodality {
    public static func isBimodal(_ samples: [Double]) -> Bool {
        let x = samples.sorted()
        guard x.count >= 4, let median = Statistics.median(x), median != 0 else { return false }
        let minimumGroup = max(2, x.count / 5)
        var best: (gap: Double, at: Int)? = nil
        for i in minimumGroup...(x.count - minimumGroup) {
            let gap = x[i] - x[i - 1]
            if best == nil || gap > best!.gap { best = (gap, i) }
        }
        guard let split = best else { return false }
        let lowSpread = x[split.at - 1] - x[0], highSpread = x[x.count - 1] - x[split.at]
        return split.gap >= 0.1 * abs(median) && split.gap >= 2 * max(lowSpread, highSpread)
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
    /// A gating cell whose change would be a regression but whose samples are bimodal.
    case bimodal(CellKey, changePercent: Double?)
    /// The files were measured with different recorded settings (the env column): cells
    /// were matched without it.
    case differentSettings(base: [String], new: [String])
    /// The files were measured with different toolchains (swift_version, go_version).
    case differentToolchains(base: [String], new: [String])

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
        case let .bimodal(key, change):
            let c = change.map { String(format: "%+.1f%%", $0) } ?? "a change"
            return "\(key): samples in two clusters (bimodal); \(c) is not called a regression: look at the runs, or rerun with more reps"
        case let .differentSettings(base, new):
            func text(_ s: [String]) -> String { s.map { $0.isEmpty ? "(none)" : $0 }.joined(separator: " | ") }
            return "the files were measured with different recorded settings (env: base \(text(base)); new \(text(new))): cells are matched without them, so differences may be the settings', not the code's"
        case let .differentToolchains(base, new):
            return "the files were measured with different toolchains (base: \(base.joined(separator: " | ")); new: \(new.joined(separator: " | "))): differences may be the toolchain's"
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
    public var gate: GateOptions = .default
    /// The between-files standard deviation of the gating cells' log changes that the gate
    /// added to each cell's variance (GateOptions.accountForDrift); 0 when none.
    public var cellDriftDeviation: Double = 0
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
        let worse = cells.filter { $0.verdict == .worseNotGating }.count
        if worse > 0 { parts.append("\(worse) worse in metrics that do not gate") }
        let bimodal = cells.filter { $0.verdict == .bimodal }.count
        if bimodal > 0 { parts.append("\(bimodal) bimodal (not gated)") }
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
                    alpha: Double = 0.05, confidence: Double = 0.95,
                    gate: GateOptions = .default) -> ComparisonReport {
    ComparisonBuilder(alpha: alpha, confidence: confidence, thresholds: thresholds, gate: gate)
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
                    alpha: Double = 0.05, confidence: Double = 0.95,
                    gate: GateOptions = .default) -> ComparisonReport {
    ComparisonBuilder(alpha: alpha, confidence: confidence, thresholds: thresholds, gate: gate)
        .build(base: base.side, new: new.side)
}

/// The work of `compare`, one side's rows at a time.
struct ComparisonBuilder {
    var alpha: Double
    var confidence: Double
    var thresholds: ThresholdTable
    var gate: GateOptions = .default

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
        /// The recorded settings (`env`) of the rows.
        var envs: Set<String> = []
        /// The toolchains of the rows ("swift V, go V").
        var toolchains: Set<String> = []

        init() {}

        init(_ rows: [ResultRow]) {
            for row in rows { add(row) }
        }

        /// One row, as a file is read (memory grows with cells and runs, not rows).
        mutating func add(_ row: ResultRow) {
            if !machines.contains(where: { $0.sameMachine(as: row.machine) }) {
                machines.append(row.machine)
            }
            envs.insert(row.env)
            toolchains.insert("swift \(row.machine.swiftVersion.isEmpty ? "?" : row.machine.swiftVersion), go \(row.machine.goVersion.isEmpty ? "?" : row.machine.goVersion)")
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

        /// The same side with every cell's `env` cleared (samples of cells that then meet
        /// are joined).
        func withoutEnv() -> Side {
            func strip(_ key: CellKey) -> CellKey { var k = key; k.env = ""; return k }
            var side = Side()
            side.machines = machines; side.envs = [""]; side.toolchains = toolchains
            for (k, v) in samples { side.samples[strip(k), default: []] += v }
            for (k, v) in unit where side.unit[strip(k)] == nil { side.unit[strip(k)] = v }
            for (k, v) in direction where side.direction[strip(k)] == nil { side.direction[strip(k)] = v }
            for (k, v) in failedRuns {
                for (status, runs) in v { side.failedRuns[strip(k), default: [:]][status, default: []].formUnion(runs) }
            }
            for (k, v) in okRuns { side.okRuns[strip(k), default: []].formUnion(v) }
            return side
        }

        func failureCounts(_ configuration: CellKey) -> [String: Int] {
            (failedRuns[configuration] ?? [:]).mapValues(\.count)
        }
    }

    func build(base baseRows: [ResultRow], new newRows: [ResultRow]) -> ComparisonReport {
        build(base: Side(baseRows), new: Side(newRows))
    }

    func build(base originalBase: Side, new originalNew: Side) -> ComparisonReport {
        var warnings: [ComparisonWarning] = []
        // Recorded settings: one setting a side, different between the sides, is compared
        // cell by cell without it, with a warning; several in one file stay separate cells.
        var base = originalBase, new = originalNew
        let baseEnvs = base.envs.sorted(), newEnvs = new.envs.sorted()
        if baseEnvs != newEnvs, !baseEnvs.isEmpty, !newEnvs.isEmpty {
            warnings.append(.differentSettings(base: baseEnvs, new: newEnvs))
            if baseEnvs.count == 1 && newEnvs.count == 1 {
                base = base.withoutEnv()
                new = new.withoutEnv()
            }
        }
        let baseToolchains = base.toolchains.sorted(), newToolchains = new.toolchains.sorted()
        if baseToolchains != newToolchains, !baseToolchains.isEmpty, !newToolchains.isEmpty {
            warnings.append(.differentToolchains(base: baseToolchains, new: newToolchains))
        }

        var cells: [CellComparison] = []

        let common = Set(base.samples.keys).intersection(new.samples.keys).sorted()
        for key in common {
            cells.append(cell(key, base: base, new: new))
        }
        var cellDriftDeviation = 0.0
        decideGatingCells(&cells, drift: &cellDriftDeviation)
        for c in cells where c.verdict == .bimodal {
            warnings.append(.bimodal(c.key, changePercent: c.changePercent))
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

        var report = ComparisonReport(alpha: alpha, confidence: confidence, gate: gate, cells: cells,
                                      warnings: warnings, geometricMeans: geometricMeans(cells),
                                      newlyFailing: newlyFailing, baseMachines: base.machines,
                                      newMachines: new.machines)
        report.cellDriftDeviation = cellDriftDeviation
        return report
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
        var result = CellComparison(key: key, unit: unit, direction: direction, base: baseSummary,
                                    new: newSummary, changePercent: change, test: test,
                                    threshold: threshold, verdict: verdict,
                                    baseFailedRuns: base.failureCounts(key.configuration).values.reduce(0, +),
                                    newFailedRuns: new.failureCounts(key.configuration).values.reduce(0, +))
        result.gateEstimate = WelchTest.logRatio(base: baseSamples, new: newSamples)
        result.bimodal = Bimodality.isBimodal(baseSamples) || Bimodality.isBimodal(newSamples)
        return result
    }

    /// The gate: which cells gate, their Welch tests adjusted over all gating cells, and
    /// their verdicts (significant after the adjustment, beyond max(threshold, min effect),
    /// not bimodal). Every other cell keeps its Mann-Whitney verdict, a regression there
    /// becoming `worseNotGating`.
    func decideGatingCells(_ cells: inout [CellComparison], drift cellDriftDeviation: inout Double) {
        var tested: [Int] = []
        for i in cells.indices {
            let key = cells[i].key
            cells[i].gating = gate.gateAllMetrics || key.metric == GateOptions.primaryMetric(of: key.workload)
            guard cells[i].gating, cells[i].direction == "lower" || cells[i].direction == "higher" else {
                if cells[i].verdict == .regression { cells[i].verdict = .worseNotGating }
                cells[i].gating = false
                continue
            }
            // As few samples as the Mann-Whitney test cannot judge (fewer than 4 a side at
            // 0.05) do not gate either: the too-few-samples warning says so.
            guard let mw = cells[i].test, cells[i].gateEstimate != nil,
                  MannWhitney.smallestPossiblePValue(firstCount: mw.firstCount, secondCount: mw.secondCount) < alpha else { continue }
            tested.append(i)
        }
        // Between two files, cells also move for reasons no rep inside a file sees (the load
        // of the machine during each sweep): the spread of the changes over all gating cells,
        // beyond what their own standard errors explain, is added to each cell's variance
        // (a random-effects term, estimated robustly so that a few real changes leave it be).
        let betweenFiles = gate.accountForDrift
            ? GateOptions.betweenFilesDeviation(tested.map { cells[$0].gateEstimate! }) : 0
        for i in tested where betweenFiles > 0 {
            let e = cells[i].gateEstimate!
            let within = e.standardError * e.standardError, between = betweenFiles * betweenFiles
            // Satterthwaite: the between-files part is estimated from all the tested cells.
            let df = (within + between) * (within + between)
                / (within * within / max(e.degreesOfFreedom, 1) + between * between / Double(max(tested.count - 1, 1)))
            cells[i].gateEstimate = LogRatioEstimate(logRatio: e.logRatio, standardError: (within + between).squareRoot(),
                                                     degreesOfFreedom: df)
        }
        cellDriftDeviation = betweenFiles
        let raw = tested.map { cells[$0].gateEstimate!.pValue }
        let adjusted: [Double]
        switch gate.correction {
        case .benjaminiHochberg: adjusted = WelchTest.benjaminiHochberg(raw)
        case .holm: adjusted = WelchTest.holm(raw)
        case .none: adjusted = raw
        }
        for (i, p) in zip(tested, adjusted) { cells[i].adjustedP = p }
        for i in cells.indices where cells[i].gating {
            let c = cells[i]
            guard let p = c.adjustedP, p < alpha, let b = c.base.median, let n = c.new.median else {
                cells[i].verdict = .insignificant
                continue
            }
            let floor = Threshold(workload: c.threshold.workload, metric: c.threshold.metric,
                                  relativePercent: max(c.threshold.relativePercent, gate.minEffectPercent),
                                  absolute: c.threshold.absolute)
            if !floor.isExceeded(base: b, new: n) {
                cells[i].verdict = .withinThreshold
            } else if c.direction == "lower" ? n > b : n < b {
                cells[i].verdict = c.bimodal ? .bimodal : .regression
            } else {
                cells[i].verdict = .improvement
            }
        }
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
