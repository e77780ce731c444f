// The contract between the launcher and a measured child (docs/PROTOCOL.md section 2), each
// half written once:
// - parent → child: `RunSettings`, encoded as the child's command line by `childArguments`
//   and decoded by `init(childArguments:)` (the `gobench child` command, and the Go peer's
//   flags, which read the same words);
// - child → parent: `ChildResult`, the last line of the child's standard output, written with
//   JSONEncoder (`line`) and read with JSONDecoder and then checked (`parse`). The Go peer
//   writes the same line with encoding/json (peers/go/result.go).
import Foundation

/// The settings of one run: what a sweep calls a cell (without the metric).
public struct RunSettings: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var workload: String
    public var engine: BenchmarkEngine
    public var procs: Int
    public var scavenge: ScavengeSetting
    public var placement: PlacementPolicy
    /// Every parameter resolved; its canonical text is the CSV's `params` column.
    public var params: WorkloadParameters

    public init(workload: String, engine: BenchmarkEngine, procs: Int, scavenge: ScavengeSetting,
                placement: PlacementPolicy, params: WorkloadParameters) {
        self.workload = workload; self.engine = engine; self.procs = procs
        self.scavenge = scavenge; self.placement = placement; self.params = params
    }

    /// The settings a results row was measured with; nil when a column does not parse.
    public init?(row: ResultRow) {
        guard let engine = BenchmarkEngine(rawValue: row.engine),
              let scavenge = try? ScavengeSetting.parse(row.scavenge),
              let placement = try? PlacementPolicy(parsing: row.placement),
              let params = try? WorkloadParameters(canonical: row.params) else { return nil }
        self.init(workload: row.workload, engine: engine, procs: row.procs, scavenge: scavenge,
                  placement: placement, params: params)
    }

    /// By the columns' texts, as the CSV sorts them.
    public static func < (a: RunSettings, b: RunSettings) -> Bool {
        (a.workload, a.engine.rawValue, a.procs, a.scavenge.description, a.placement.description, a.params.canonical)
            < (b.workload, b.engine.rawValue, b.procs, b.scavenge.description, b.placement.description, b.params.canonical)
    }

    public var description: String {
        var s = "\(workload) \(engine.rawValue) procs=\(procs) scavenge=\(scavenge) placement=\(placement)"
        if !params.isEmpty { s += " [\(params)]" }
        return s
    }

    // MARK: The child's command line

    /// The options of `childArguments`, in the order written.
    static let childOptions = ["--workload", "--engine", "--procs", "--scavenge", "--placement", "--param"]

    /// The child's arguments (after the program and, for gobench, `child`):
    /// `--workload W --engine E --procs N --scavenge S --placement P [--param K=V ...]`, each
    /// value one argument in its canonical text, the parameters in canonical order. Go's flag
    /// package reads `--name value` as `-name value`, so the Go peer takes the same words.
    /// Throws for a value the protocol cannot carry: an empty workload, a newline or NUL
    /// anywhere (WorkloadParameters refuses such parameters when they are made).
    public func childArguments() throws -> [String] {
        var arguments = ["--workload", workload, "--engine", engine.rawValue, "--procs", String(procs),
                         "--scavenge", scavenge.description, "--placement", placement.description]
        guard !workload.isEmpty else { throw SettingsError("a run needs a workload") }
        for (key, value) in params.pairs { arguments += ["--param", "\(key)=\(value)"] }
        if let bad = arguments.first(where: { $0.contains("\n") || $0.contains("\r") || $0.contains("\0") }) {
            throw SettingsError("run setting '\(ChildRunner.escapingControlCharacters(bad))' holds a line break or NUL, which the child's command line does not carry")
        }
        return arguments
    }

    /// Reads `childArguments`' words back. Every option but `--param` at most once;
    /// `--engine` defaults to swift, `--procs` to 1, `--scavenge` to off, `--placement` to
    /// none (for running `gobench child` by hand). The parameters are taken as given, in
    /// canonical order; the catalog checks them (WorkloadSpec.resolvedParameters).
    public init(childArguments arguments: [String]) throws {
        var values: [String: String] = [:]
        var parameters: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            var option = arguments[index]
            let value: String
            if option.hasPrefix("--"), let (name, text) = WorkloadParameters.splitAssignment(option) {
                value = text
                option = name
                index += 1
            } else {
                guard RunSettings.childOptions.contains(option) else {
                    throw SettingsError("child: unknown argument '\(ChildRunner.escapingControlCharacters(option))' (expected \(RunSettings.childOptions.joined(separator: ", ")))")
                }
                guard index + 1 < arguments.count else { throw SettingsError("child: \(option) needs a value") }
                value = arguments[index + 1]
                index += 2
            }
            guard RunSettings.childOptions.contains(option) else {
                throw SettingsError("child: unknown option '\(ChildRunner.escapingControlCharacters(option))'")
            }
            if value.contains("\n") || value.contains("\r") {
                throw SettingsError("child: the value of \(option) holds a line break")
            }
            if option == "--param" {
                guard let (key, parameter) = WorkloadParameters.splitAssignment(value) else {
                    throw SettingsError("child: --param '\(ChildRunner.escapingControlCharacters(value))' is not KEY=VALUE")
                }
                guard parameters[key] == nil else { throw SettingsError("child: --param \(key) given twice") }
                parameters[key] = parameter
            } else {
                guard values[option] == nil else { throw SettingsError("child: \(option) given twice") }
                values[option] = value
            }
        }
        guard let workload = values["--workload"], !workload.isEmpty else { throw SettingsError("child: --workload is missing") }
        let engine = try BenchmarkEngine.parse(values["--engine"] ?? BenchmarkEngine.swift.rawValue)
        let procsText = values["--procs"] ?? "1"
        guard let procs = Int(procsText), procs >= 1, procs <= ProcsList.maximum else {
            throw SettingsError("child: --procs '\(procsText)' is not a number from 1 to \(ProcsList.maximum)")
        }
        self.init(workload: workload, engine: engine, procs: procs,
                  scavenge: try ScavengeSetting.parse(values["--scavenge"] ?? "off", what: "--scavenge"),
                  placement: try PlacementPolicy(parsing: values["--placement"] ?? "none"),
                  params: try WorkloadParameters(parameters))
    }
}

/// The outcome classes of PROTOCOL.md section 2, as written in the CSV `status` column. A
/// child reports only the first three; the parent adds the others.
public enum RunStatus: String, Sendable, CaseIterable, Codable {
    case ok
    case notApplicable = "not_applicable"
    case error
    case crashed
    case timeout
    case garbage
}

/// Which way a metric is better, as written in the CSV `direction` column.
public enum MetricDirection: String, Sendable, CaseIterable, Codable {
    case lower
    case higher
    case none
}

/// One metric of a run: what a workload measured, or what the parent adds (rusage).
public struct RunMetric: Equatable, Sendable, Codable {
    public var name: String
    public var value: Double
    public var unit: String
    public var direction: MetricDirection

    public init(name: String, value: Double, unit: String, direction: MetricDirection) {
        self.name = name; self.value = value; self.unit = unit; self.direction = direction
    }

    /// `RunMetric("ns_per_op", 325, "ns", .lower)`, as the workloads write them.
    public init(_ name: String, _ value: Double, _ unit: String, _ direction: MetricDirection) {
        self.init(name: name, value: value, unit: unit, direction: direction)
    }

    enum CodingKeys: String, CodingKey { case name, value, unit, direction }

    /// `unit` and `direction` may be left out: "" and `none`.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        value = try container.decode(Double.self, forKey: .value)
        unit = try container.decodeIfPresent(String.self, forKey: .unit) ?? ""
        direction = try container.decodeIfPresent(MetricDirection.self, forKey: .direction) ?? .none
    }
}

/// The child's result: the last line of its standard output (PROTOCOL.md section 2).
/// `{"gobench_result":1,"status":"ok","workload":W,"engine":E,"ops":N,"metrics":[...]}`;
/// `reason` with not_applicable, `error` with error.
public struct ChildResult: Equatable, Sendable, Codable {
    /// Always 1: marks the line as a result.
    public var gobenchResult: Int = 1
    public var status: RunStatus
    public var workload: String?
    public var engine: String?
    public var ops: Int64?
    /// What an ok result measured; empty for the others (and then not written).
    public var metrics: [RunMetric]
    /// Why the workload does not apply (not_applicable).
    public var reason: String?
    /// What went wrong (error).
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case gobenchResult = "gobench_result"
        case status, workload, engine, ops, metrics, reason, error
    }

    public init(status: RunStatus, workload: String? = nil, engine: String? = nil, ops: Int64? = nil,
                metrics: [RunMetric] = [], reason: String? = nil, error: String? = nil) {
        self.status = status; self.workload = workload; self.engine = engine; self.ops = ops
        self.metrics = metrics; self.reason = reason; self.error = error
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gobenchResult = try container.decode(Int.self, forKey: .gobenchResult)
        status = try container.decode(RunStatus.self, forKey: .status)
        workload = try container.decodeIfPresent(String.self, forKey: .workload)
        engine = try container.decodeIfPresent(String.self, forKey: .engine)
        ops = try container.decodeIfPresent(Int64.self, forKey: .ops)
        metrics = try container.decodeIfPresent([RunMetric].self, forKey: .metrics) ?? []
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        error = try container.decodeIfPresent(String.self, forKey: .error)
    }

    /// The fields that are set; `metrics` only when not empty.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(gobenchResult, forKey: .gobenchResult)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(workload, forKey: .workload)
        try container.encodeIfPresent(engine, forKey: .engine)
        try container.encodeIfPresent(ops, forKey: .ops)
        if !metrics.isEmpty { try container.encode(metrics, forKey: .metrics) }
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(error, forKey: .error)
    }

    /// The reason of a not_applicable result or the error of an error result; "" for none.
    public var explanation: String { reason ?? error ?? "" }

    /// The result line, written with JSONEncoder. A value that is not finite is written as
    /// 0, as JSON has no such number.
    public var line: String {
        var written = self
        written.metrics = metrics.map { metric in
            var finite = metric
            if !finite.value.isFinite { finite.value = 0 }
            return finite
        }
        let encoder = JSONEncoder()
        // Sorted keys: the same result is always the same line.
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Cannot fail: every value is a string, an integer or a finite number.
        let data = (try? encoder.encode(written)) ?? Data(#"{"gobench_result":1,"status":"error","error":"unencodable result"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Why a line is not a valid result.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The most metrics one result line may carry.
    public static let maximumMetrics = 256

    /// 1 to 64 characters of `a-z A-Z 0-9 _ . -` and `extra` (metric names and units).
    static func isName(_ text: String, extra: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.unicodeScalars.allSatisfy { c in
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
                || "_.-".unicodeScalars.contains(c) || extra.unicodeScalars.contains(c)
        }
    }

    /// Decodes `line` with JSONDecoder and checks it: the marker; a status a child may report
    /// (ok, not_applicable, error); no control character in the reason; for ok, 1 to
    /// `maximumMetrics` metrics with unique names of `a-z A-Z 0-9 _ . -`, finite values and
    /// units of those characters and `/ %`. A result that is not ok keeps no metrics.
    public static func parse(_ line: String) -> Result<ChildResult, Problem> {
        func fail(_ why: String) -> Result<ChildResult, Problem> {
            let cut = line.count > 80 ? String(line.prefix(77)) + "..." : line
            let shown = ChildRunner.escapingControlCharacters(cut)
            return .failure(Problem(description: shown.isEmpty ? "no result line (\(why))" : "\(why): '\(shown)'"))
        }
        guard !line.isEmpty else { return fail("empty output") }
        guard line.hasPrefix("{") else { return fail("last line is not a JSON object") }
        var result: ChildResult
        do {
            result = try JSONDecoder().decode(ChildResult.self, from: Data(line.utf8))
        } catch let error as DecodingError {
            return fail(problem(of: error))
        } catch {
            return fail("last line is not a JSON object")
        }
        guard result.gobenchResult == 1 else { return fail("last line has no \"gobench_result\":1") }
        guard [.ok, .notApplicable, .error].contains(result.status) else {
            return fail("result status is not ok, not_applicable or error")
        }
        if result.explanation.unicodeScalars.contains(where: ChildRunner.isControl) {
            return fail("the result's reason holds a control character")
        }
        guard result.status == .ok else {
            result.metrics = []
            return .success(result)
        }
        let metrics = result.metrics
        guard metrics.count <= maximumMetrics else { return fail("more than \(maximumMetrics) metrics") }
        var names = Set<String>()
        for metric in metrics {
            guard !metric.name.isEmpty, metric.value.isFinite else {
                return fail("a metric has no name or no finite numeric value")
            }
            guard isName(metric.name, extra: "") else {
                return fail("a metric name is not 1 to 64 of a-z A-Z 0-9 _ . -")
            }
            guard names.insert(metric.name).inserted else { return fail("metric \(metric.name) is reported twice") }
            guard metric.unit.isEmpty || isName(metric.unit, extra: "/%") else {
                return fail("metric \(metric.name) has a unit that is not up to 64 of a-z A-Z 0-9 _ . - / %")
            }
        }
        guard !metrics.isEmpty else { return fail("ok result with no metrics") }
        return .success(result)
    }

    /// What a decoding error says about the line, by the field it stopped at.
    static func problem(of error: DecodingError) -> String {
        let path: [CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: path = []
        }
        let names = path.map(\.stringValue)
        switch names.first {
        case nil: return "last line is not a JSON object"
        case "gobench_result": return "last line has no \"gobench_result\":1"
        case "status": return "result status is not ok, not_applicable or error"
        case "metrics":
            if names.last == "direction" { return "a metric has a direction that is not lower, higher or none" }
            if names.count <= 1 { return "the metrics are not a list" }
            if names.last == "unit" { return "a metric has a unit that is not a string" }
            return "a metric has no name or no finite numeric value"
        case let field?: return "the result's \(field) has the wrong type"
        }
    }
}
