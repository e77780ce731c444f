// Go's benchmark data format (the Go project's "benchmark data format" proposal, the input of
// benchstat): result lines `BenchmarkName-P  iterations  value unit  value unit ...`,
// configuration lines `key: value`, and unit metadata lines `Unit UNIT key=value ...`.
//
// gobench reads it from `go test -bench` output (the --go-test and --command engines), and
// converts results files to and from it (`gobench export --format benchfmt`, `gobench import`).
//
// Metric names and directions. A Go unit becomes a metric name by replacing `/` with `_per_`
// and other characters outside [A-Za-z0-9_.] with `_` (`ns/op` -> `ns_per_op`, `MB/s` ->
// `MB_per_s`); the unit column keeps the Go unit as printed. Direction: a unit containing
// `/s` (MB/s, items/s: a rate) is higher-is-better; every other unit (ns/op, B/op, allocs/op,
// custom `b.ReportMetric` units such as items/op) is lower-is-better, which is benchstat's
// own default. A `Unit U better=higher|lower` metadata line overrides the rule.
import Foundation

/// One result line of Go's benchmark format.
public struct GoBenchmarkResult: Equatable, Sendable {
    /// The full name without the `-P` suffix: `BenchmarkSizes/size=100`.
    public var name: String
    /// The GOMAXPROCS suffix (`-2`), nil when the line has none (GOMAXPROCS=1).
    public var procs: Int?
    public var iterations: Int
    /// (value, unit) in line order.
    public var values: [(value: Double, unit: String)]

    public static func == (a: GoBenchmarkResult, b: GoBenchmarkResult) -> Bool {
        a.name == b.name && a.procs == b.procs && a.iterations == b.iterations
            && a.values.map(\.value) == b.values.map(\.value) && a.values.map(\.unit) == b.values.map(\.unit)
    }

    /// The top-level benchmark: `BenchmarkSizes`.
    public var topLevel: String { String(name.split(separator: "/", maxSplits: 1).first ?? Substring(name)) }

    /// The sub-benchmark levels after the top level: `["size=100"]`.
    public var subLevels: [String] { Array(name.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)) }
}

public enum BenchFormat {
    /// Parses one line; nil when it is not a result line. `expectedProcs`: a `-N` suffix is
    /// taken as GOMAXPROCS only when it equals this (a sub-benchmark may itself end in `-3`);
    /// nil takes any numeric suffix.
    public static func parseResult(_ line: String, expectedProcs: Int? = nil) -> GoBenchmarkResult? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count >= 4, fields.count % 2 == 0, fields[0].hasPrefix("Benchmark") else { return nil }
        // The name's first letter after "Benchmark" must not be lower case (Go's rule).
        let rest = fields[0].dropFirst("Benchmark".count)
        if let first = rest.first, first.isLowercase { return nil }
        guard let iterations = Int(fields[1]), iterations >= 0 else { return nil }
        var values: [(Double, String)] = []
        var i = 2
        while i + 1 < fields.count {
            guard let value = Double(fields[i]), value.isFinite else { return nil }
            values.append((value, String(fields[i + 1])))
            i += 2
        }
        var name = String(fields[0])
        var procs: Int? = nil
        if let dash = name.lastIndex(of: "-"), let n = Int(name[name.index(after: dash)...]), n >= 1,
           expectedProcs == nil || expectedProcs == n {
            procs = n
            name = String(name[..<dash])
        }
        return GoBenchmarkResult(name: name, procs: procs, iterations: iterations, values: values)
    }

    /// Every result line of `text`.
    public static func results(in text: String, expectedProcs: Int? = nil) -> [GoBenchmarkResult] {
        text.split(whereSeparator: \.isNewline).compactMap { parseResult(String($0), expectedProcs: expectedProcs) }
    }

    /// `ns/op` -> `ns_per_op`.
    public static func metricName(forUnit unit: String) -> String {
        let replaced = unit.replacingOccurrences(of: "/", with: "_per_")
        return String(replaced.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ".") ? $0 : "_" })
    }

    /// The direction rule of this file's header.
    public static func direction(forUnit unit: String) -> MetricDirection {
        unit.contains("/s") ? .higher : .lower
    }

    /// The metrics of one result: iterations (direction none) and each value.
    public static func metrics(of result: GoBenchmarkResult, prefix: String = "") -> [RunMetric] {
        var metrics = [RunMetric(prefix + "iterations", Double(result.iterations), "count", .none)]
        for (value, unit) in result.values {
            metrics.append(RunMetric(name: prefix + metricName(forUnit: unit), value: value, unit: unit,
                                     direction: direction(forUnit: unit)))
        }
        return metrics
    }

    /// Sub-benchmark levels as canonical parameters: `key=value` levels keep their key, other
    /// levels are `sub=NAME` (then `sub2`, `sub3` by depth). `;` (which separates
    /// parameters in the params column) and any other character the params cannot carry
    /// becomes `_`.
    public static func parameters(ofSubLevels levels: [String]) -> WorkloadParameters {
        var result: [String: String] = [:]
        for (depth, level) in levels.enumerated() {
            if let (key, value) = WorkloadParameters.splitAssignment(level) {
                result[key] = value
            } else {
                result[depth == 0 ? "sub" : "sub\(depth + 1)"] = level
            }
        }
        return WorkloadParameters(replacingForbidden: result)
    }

    /// A Go regular expression matching `text` literally (regexp.QuoteMeta's set).
    public static func quoteMeta(_ text: String) -> String {
        var out = ""
        for c in text {
            if "\\.+*?()|[]{}^$".contains(c) { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// The `-test.bench` pattern that selects exactly the benchmark `name` (levels split on `/`).
    public static func exactPattern(_ name: String) -> String {
        name.split(separator: "/", omittingEmptySubsequences: false)
            .map { "^" + quoteMeta(String($0)) + "$" }.joined(separator: "/")
    }
}

// MARK: - Converting results files to and from the format

/// A file in Go's benchmark format that cannot be imported.
public struct BenchFormatError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension BenchFormat {
    /// Configuration keys gobench writes and reads back (besides Go's `pkg`, `cpu`).
    static let engineKey = "gobench-engine", scavengeKey = "gobench-scavenge", placementKey = "gobench-placement"
    static let workloadPrefix = "BenchmarkGobench/workload="

    /// The benchmark-format text of `rows`: one result line per `ok` run (its metrics as
    /// value-unit pairs, `iterations` as the iteration count, 1 when absent), configuration
    /// lines for the machine and the settings, `Unit` lines for the directions and units.
    /// Runs that are not `ok` have no place in the format: their count is returned.
    ///
    /// Names: a `go-test:PKG:BenchmarkX` workload is `BenchmarkX` under `pkg: PKG`, with its
    /// parameters as `/key=value` levels; any other workload is
    /// `BenchmarkGobench/workload=NAME/key=value...`. The procs are the `-P` suffix.
    public static func export(_ rows: [ResultRow]) -> (text: String, skippedRuns: Int) {
        var order: [String] = []
        var byRun: [String: [ResultRow]] = [:]
        var skipped = Set<String>()
        var unnamed = 0
        for row in rows {
            guard row.isSample else { if row.isFailedRun || row.status != "ok" { skipped.insert(row.runID) }; continue }
            if byRun[row.runID] == nil { order.append(row.runID) }
            byRun[row.runID, default: []].append(row)
        }
        var out = ""
        var config: [String: String] = [:]
        func set(_ key: String, _ value: String) {
            guard config[key] != value else { return }
            config[key] = value
            out += "\(key): \(value.replacingOccurrences(of: "\n", with: " "))\n"
        }
        var unitsDone = Set<String>()
        for runID in order {
            let runRows = byRun[runID]!
            let first = runRows[0]
            guard let parameters = try? WorkloadParameters(canonical: first.params) else {
                unnamed += 1 // (a params column that is not KEY=VALUE;...: no benchmark name)
                continue
            }
            let m = first.machine
            for (key, value) in [("cpu", m.cpuModel), ("gobench-host", m.host), ("gobench-cores", String(m.cores)),
                                 ("gobench-numa-nodes", String(m.numaNodes)), ("gobench-kernel", m.kernel),
                                 ("gobench-swift-version", m.swiftVersion), ("gobench-go-version", m.goVersion),
                                 ("gobench-version", m.gobenchVersion), ("gobench-commit", m.gobenchCommit),
                                 (engineKey, first.engine), (scavengeKey, first.scavenge), (placementKey, first.placement)] {
                set(key, value)
            }
            var name: String
            let pairs = parameters.pairs.map { "/\($0.key)=\($0.value)" }.joined()
            let parts = first.workload.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3, parts[0] == "go-test" {
                set("pkg", String(parts[1]))
                name = String(parts[2]) + pairs
            } else {
                set("pkg", "")
                name = workloadPrefix + first.workload + pairs
            }
            name += "-\(first.procs)"
            var iterations = 1
            var pairsText = ""
            for row in runRows {
                if row.metric == "iterations", let v = row.value, v == v.rounded(), v >= 0 { iterations = Int(v); continue }
                let unit = exportUnit(row)
                if !unitsDone.contains(unit) {
                    unitsDone.insert(unit)
                    var line = "Unit \(unit)"
                    line += row.direction == "none" ? " gobench-direction=none" : " better=\(row.direction)"
                    if row.unit != unit { line += " gobench-unit=\(row.unit.isEmpty ? "-" : row.unit.replacingOccurrences(of: " ", with: "_"))" }
                    out += line + "\n"
                }
                pairsText += "\t\(ResultRow.format(row.value!)) \(unit)"
            }
            out += "\(name)\t\(iterations)\(pairsText)\n"
        }
        return (out, skipped.subtracting(byRun.keys).count + unnamed)
    }

    /// The unit a row has in the format: the Go unit it came from (a unit with `/`), else its
    /// metric name (`ns_per_op`, `peak_rss_bytes`).
    static func exportUnit(_ row: ResultRow) -> String {
        if row.unit.contains("/"), metricName(forUnit: row.unit) == row.metric { return row.unit }
        return row.metric.replacingOccurrences(of: " ", with: "_")
    }

    /// Rows from benchmark-format text (`go test -bench` output, a benchstat input, or a file
    /// `export` wrote). Each result line is one `ok` run; its rep is its position among the
    /// lines of the same cell. Lines that are neither results, configuration nor unit lines
    /// (PASS, ok, ---) are skipped, as benchstat skips them.
    public static func importRows(_ text: String, source: String, machine: MachineInfo,
                                  timestamp: String, runID: () -> String) throws -> [ResultRow] {
        var config: [String: String] = [:]
        var unitDirection: [String: String] = [:]
        var unitColumn: [String: String] = [:]
        var reps: [String: Int] = [:]
        var rows: [ResultRow] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : String(raw)
            if line.hasPrefix("Unit ") {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count >= 2 else { continue }
                for kv in fields.dropFirst(2) {
                    guard let eq = kv.firstIndex(of: "=") else { continue }
                    let key = kv[..<eq], value = String(kv[kv.index(after: eq)...])
                    if key == "better", ["higher", "lower"].contains(value) { unitDirection[fields[1]] = value }
                    if key == "gobench-direction", value == "none" { unitDirection[fields[1]] = "none" }
                    if key == "gobench-unit" { unitColumn[fields[1]] = value == "-" ? "" : value }
                }
                continue
            }
            if let result = parseResult(line) {
                var workload: String
                var parameters: WorkloadParameters
                let levels = result.subLevels
                if result.name.hasPrefix(workloadPrefix) {
                    let nameLevels = result.name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                    workload = String(nameLevels[1].dropFirst("workload=".count))
                    parameters = BenchFormat.parameters(ofSubLevels: Array(nameLevels.dropFirst(2)))
                } else {
                    let pkg = config["pkg"] ?? ""
                    workload = "go-test:\(pkg.isEmpty ? "unknown" : pkg):\(result.topLevel)"
                    parameters = BenchFormat.parameters(ofSubLevels: levels)
                }
                guard !workload.isEmpty else { throw BenchFormatError("\(source):\(index + 1): a gobench result line without a workload name") }
                let params = parameters.canonical
                var m = machine
                if let v = config["cpu"] { m.cpuModel = v }
                if let v = config["gobench-host"] { m.host = v }
                if let v = config["gobench-cores"].flatMap(Int.init) { m.cores = v }
                if let v = config["gobench-numa-nodes"].flatMap(Int.init) { m.numaNodes = v }
                if let v = config["gobench-kernel"] { m.kernel = v }
                if let v = config["gobench-swift-version"] { m.swiftVersion = v }
                if let v = config["gobench-go-version"] { m.goVersion = v }
                if let v = config["gobench-version"] { m.gobenchVersion = v }
                if let v = config["gobench-commit"] { m.gobenchCommit = v }
                let engine = config[engineKey] ?? "go-test"
                let scavenge = config[scavengeKey] ?? "off"
                let placement = config[placementKey] ?? "none"
                let procs = result.procs ?? 1
                let cellKey = "\(workload)\u{1}\(engine)\u{1}\(procs)\u{1}\(scavenge)\u{1}\(placement)\u{1}\(params)"
                let rep = reps[cellKey, default: 0]
                reps[cellKey] = rep + 1
                let id = runID()
                func row(_ metric: String, _ value: Double, _ unit: String, _ direction: String) -> ResultRow {
                    ResultRow(runID: id, timestamp: timestamp, workload: workload, engine: engine, procs: procs,
                              scavenge: scavenge, placement: placement, params: params, rep: rep, status: "ok",
                              metric: metric, value: value, unit: unit, direction: direction, machine: m)
                }
                // An exported catalog run had no iterations metric: it was written as 1.
                if !(result.iterations == 1 && result.name.hasPrefix(workloadPrefix)) {
                    rows.append(row("iterations", Double(result.iterations), "count", "none"))
                }
                for (value, unit) in result.values {
                    let column = unitColumn[unit] ?? unit
                    rows.append(row(metricName(forUnit: unit), value, column, unitDirection[unit] ?? direction(forUnit: unit).rawValue))
                }
                continue
            }
            // `key: value` configuration lines: the key has no space and starts lower case.
            if let colon = line.firstIndex(of: ":"), colon != line.startIndex {
                let key = String(line[..<colon])
                if let first = key.first, first.isLowercase, !key.contains(where: { $0 == " " || $0 == "\t" }) {
                    config[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
        }
        return rows
    }
}
