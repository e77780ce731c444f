// The rows of every input file gathered into cells (samples per setting and metric),
// machines, runs that did not finish, and each file's counts, ready for the report's
// sections. Files are read row by row: what is kept is a number per sample, the runs that
// are not ok, and a run id per run, so that memory grows with the cells and reps, not with
// the text of the rows.
import Foundation

/// One results file as the report lists it: its rows, runs and the time span of its runs.
public struct ReportInput: Equatable {
    public var path: String
    public private(set) var rowCount = 0
    /// Distinct run ids.
    public private(set) var runCount = 0
    /// Runs whose first row's status is not `ok`.
    public private(set) var notOKRunCount = 0
    /// The smallest and largest non-empty timestamps ("" when none).
    public private(set) var firstTimestamp = ""
    public private(set) var lastTimestamp = ""
    /// The run ids seen while the file is read (emptied when it has been).
    private var runIDs: Set<String> = []

    public init(path: String) { self.path = path }

    mutating func add(_ row: ResultRow) {
        rowCount += 1
        if runIDs.insert(row.runID).inserted {
            runCount += 1
            if row.status != "ok" { notOKRunCount += 1 }
        }
        if !row.timestamp.isEmpty {
            if firstTimestamp.isEmpty || row.timestamp < firstTimestamp { firstTimestamp = row.timestamp }
            if lastTimestamp.isEmpty || row.timestamp > lastTimestamp { lastTimestamp = row.timestamp }
        }
    }

    mutating func finish() { runIDs = [] }
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
    /// The files read, in order.
    public private(set) var inputs: [ReportInput] = []
    /// The values of `ok` rows per cell (without `env`: the charts have no env dimension),
    /// in file order.
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
    /// The rows as `compare` groups them (cells with `env`, runs per configuration), for the
    /// comparison section.
    private(set) var comparisonSide = ComparisonBuilder.Side()
    /// Runs not ok already listed, by file and run id: one row per run that is not ok
    /// (PROTOCOL.md section 3), a run id seen twice in the same file listed once.
    private var seenRuns = Set<String>()

    public init() {}

    /// Files whose rows are already in memory (tests), in order.
    public init(files: [(path: String, rows: [ResultRow])]) {
        for file in files {
            var input = ReportInput(path: file.path)
            for row in file.rows { add(row, to: &input) }
            input.finish()
            inputs.append(input)
        }
    }

    /// Reads the files at `paths` row by row (`ResultsCSV.forEachRow`). A file without a
    /// single row is an error, since a report of nothing would look like a report of a run
    /// that measured nothing.
    public static func read(paths: [String]) throws -> ReportDataset {
        var dataset = ReportDataset()
        for path in paths { try dataset.read(path: path) }
        return dataset
    }

    /// Adds the file at `path`, read row by row.
    public mutating func read(path: String) throws {
        var input = ReportInput(path: path)
        try ResultsCSV.forEachRow(path: path) { add($0, to: &input) }
        guard input.rowCount > 0 else {
            throw ReportError("\(path): no result rows (only a header)")
        }
        input.finish()
        inputs.append(input)
    }

    private mutating func add(_ row: ResultRow, to input: inout ReportInput) {
        input.add(row)
        comparisonSide.add(row)
        if !machines.contains(row.machine) { machines.append(row.machine) }
        if row.status == "ok" {
            guard let value = row.value, !row.metric.isEmpty else { return }
            var key = row.cellKey
            key.env = ""  // the charts have no env dimension: looked up without it
            samples[key, default: []].append(value)
            if metricUnits[row.metric] == nil { metricUnits[row.metric] = row.unit }
            if metricDirections[row.metric] == nil { metricDirections[row.metric] = row.direction }
        } else {
            guard seenRuns.insert(input.path + "\u{0}" + row.runID).inserted else { return }
            let outcome = ReportRunOutcome(source: input.path, row: row)
            if row.status == "not_applicable" { notApplicableRuns.append(outcome) }
            else { failedRuns.append(outcome) }
        }
    }

    public var rowCount: Int { inputs.reduce(0) { $0 + $1.rowCount } }

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

    /// The rows of `FigureTable.rows(_:metric:)` for `workload`, from the samples: the same
    /// table as from the file's rows, built one (params, GOMAXPROCS, scavenge) group at a
    /// time so that only one group's values are rows at once.
    public func figureRows(workload: String, metric: String) -> [FigureTable.Row] {
        let metrics: Set<String> = [metric, FigureTable.cpuMetric]
        let groups = Dictionary(grouping: samples.keys.filter {
            $0.workload == workload && metrics.contains($0.metric)
        }) { "\($0.params)\u{1}\($0.procs)\u{1}\($0.scavenge)" }
        let machine = MachineInfo(host: "", cpuModel: "", cores: 0, numaNodes: 0, kernel: "", swiftVersion: "",
                                  goVersion: "", gobenchVersion: "", gobenchCommit: "")
        var table: [FigureTable.Row] = []
        for keys in groups.values {
            var rows: [ResultRow] = []
            for key in keys.sorted() {
                for value in samples[key]! {
                    rows.append(ResultRow(runID: "", timestamp: "", workload: key.workload, engine: key.engine,
                                          procs: key.procs, scavenge: key.scavenge, placement: key.placement,
                                          params: key.params, rep: 0, status: "ok", metric: key.metric,
                                          value: value, unit: "", direction: "", machine: machine))
                }
            }
            table += FigureTable.rows(rows, metric: metric)
        }
        return table.sorted { ($0.workload, $0.params, $0.procs, $0.scavenge) < ($1.workload, $1.params, $1.procs, $1.scavenge) }
    }

    /// Engines in the report's fixed order (swift, go, swift-concurrency), then others.
    public static func orderedEngines(_ engines: Set<String>) -> [String] {
        let known = ["swift", "go", "swift-concurrency"]
        return known.filter(engines.contains) + engines.subtracting(known).sorted()
    }
}

extension ComparisonSide {
    /// The side of a comparison from rows already grouped (the report's files).
    init(side: ComparisonBuilder.Side) { self.side = side }
}
