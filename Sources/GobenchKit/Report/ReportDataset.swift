// The rows of every input file gathered into cells (samples per setting and metric),
// machines, and runs that did not finish, ready for the report's sections.
import Foundation

/// One results file read for the report.
public struct ReportInput {
    public var path: String
    public var rows: [ResultRow]

    public init(path: String, rows: [ResultRow]) { self.path = path; self.rows = rows }

    /// Reads `path` with `ResultsCSV.read`; a file without a single row is an error, since
    /// a report of nothing would look like a report of a run that measured nothing.
    public static func read(path: String) throws -> ReportInput {
        let rows = try ResultsCSV.read(path: path)
        guard !rows.isEmpty else {
            throw ReportError("\(path): no result rows (only a header)")
        }
        return ReportInput(path: path, rows: rows)
    }
}

/// A run whose status is not `ok`, with the file it came from.
public struct ReportRunOutcome: Equatable {
    public var source: String
    public var row: ResultRow
}

/// The settings of a cell except `procs`: what one line of a throughput chart shares.
public struct ReportVariant: Hashable, Comparable {
    public var workload: String
    public var params: String
    public var scavenge: String
    public var placement: String

    public static func < (a: ReportVariant, b: ReportVariant) -> Bool {
        if a.workload != b.workload { return a.workload < b.workload }
        if a.params != b.params { return a.params < b.params }
        // The baseline settings (placement none, scavenger off) first.
        if a.placement != b.placement { return a.placement == "none" || (b.placement != "none" && a.placement < b.placement) }
        if a.scavenge != b.scavenge, a.scavenge == "off" || b.scavenge == "off" { return a.scavenge == "off" }
        return ScavengeAxisValue(a.scavenge) < ScavengeAxisValue(b.scavenge)
    }
}

/// Every input file's rows, grouped for the report.
public struct ReportDataset {
    public private(set) var inputs: [ReportInput]
    /// The values of `ok` rows per cell, in file order.
    public private(set) var samples: [CellKey: [Double]] = [:]
    /// The unit and direction of each metric, from its first row.
    public private(set) var metricUnits: [String: String] = [:]
    public private(set) var metricDirections: [String: String] = [:]
    /// Runs with status `error`, `crashed`, `timeout` or `garbage`.
    public private(set) var failedRuns: [ReportRunOutcome] = []
    /// Runs with status `not_applicable`.
    public private(set) var notApplicableRuns: [ReportRunOutcome] = []
    /// The distinct machines, in the order first seen.
    public private(set) var machines: [MachineInfo] = []

    public init(inputs: [ReportInput]) {
        self.inputs = inputs
        var seenRuns = Set<String>()
        for input in inputs {
            for row in input.rows {
                if !machines.contains(row.machine) { machines.append(row.machine) }
                if row.status == "ok" {
                    guard let value = row.value, !row.metric.isEmpty else { continue }
                    var key = row.cellKey
                    key.env = ""  // the charts have no env dimension: looked up without it
                    samples[key, default: []].append(value)
                    if metricUnits[row.metric] == nil { metricUnits[row.metric] = row.unit }
                    if metricDirections[row.metric] == nil { metricDirections[row.metric] = row.direction }
                } else {
                    // One row per run that is not ok (PROTOCOL.md section 3); a run id seen
                    // twice in the same file is listed once.
                    guard seenRuns.insert(input.path + "\u{0}" + row.runID).inserted else { continue }
                    let outcome = ReportRunOutcome(source: input.path, row: row)
                    if row.status == "not_applicable" { notApplicableRuns.append(outcome) }
                    else { failedRuns.append(outcome) }
                }
            }
        }
    }

    public var rowCount: Int { inputs.reduce(0) { $0 + $1.rows.count } }

    public func summary(_ key: CellKey) -> SampleSummary? {
        samples[key].flatMap { SampleSummary(samples: $0) }
    }

    /// Distinct values of the given field over the cells of `metric` that pass `filter`.
    public func cells(metric: String, where filter: (CellKey) -> Bool = { _ in true }) -> [CellKey] {
        samples.keys.filter { $0.metric == metric && filter($0) }.sorted()
    }

    /// Workloads with at least one measured value or one run, sorted by name.
    public var workloads: [String] {
        var names = Set(samples.keys.map(\.workload))
        for outcome in failedRuns + notApplicableRuns { names.insert(outcome.row.workload) }
        return names.sorted()
    }

    /// Engines in the report's fixed order (swift, go, swift-concurrency), then others.
    public static func orderedEngines(_ engines: Set<String>) -> [String] {
        let known = ["swift", "go", "swift-concurrency"]
        return known.filter(engines.contains) + engines.subtracting(known).sorted()
    }
}
