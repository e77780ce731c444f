// Regression thresholds per workload and metric, read from a CSV file such as
// results/thresholds.csv (`workload,metric,relative_percent,absolute`, `*` matches any).
import Foundation

/// How large a change must be before compare calls it a regression or an improvement.
public struct Threshold: Equatable, Sendable {
    /// A workload name, or `*` for any.
    public var workload: String
    /// A metric name, or `*` for any.
    public var metric: String
    /// The change of the median, in percent of the base median, that must be exceeded.
    public var relativePercent: Double
    /// The change of the median, in the metric's unit, that must also be exceeded (0: none).
    public var absolute: Double
    /// The line of the thresholds file this came from; nil for a built-in default.
    public var line: Int?

    public init(workload: String, metric: String, relativePercent: Double, absolute: Double = 0,
                line: Int? = nil) {
        self.workload = workload; self.metric = metric
        self.relativePercent = relativePercent; self.absolute = absolute; self.line = line
    }

    /// True when going from `base` to `new` is beyond this threshold: the relative change
    /// exceeds `relativePercent` AND the absolute change exceeds `absolute`.
    public func isExceeded(base: Double, new: Double) -> Bool {
        let change = abs(new - base)
        guard change > absolute else { return false }
        if base == 0 { return change > 0 }
        return change / abs(base) * 100 > relativePercent
    }

    /// How specific the rule is: 3 for workload and metric named, 2 for the workload only,
    /// 1 for the metric only, 0 for `*,*`. A workload's own rule beats a metric-wide one
    /// because noisy workloads are what thresholds are usually tuned for.
    public var specificity: Int {
        (workload == "*" ? 0 : 2) + (metric == "*" ? 0 : 1)
    }

    func matches(workload w: String, metric m: String) -> Bool {
        (workload == "*" || workload == w) && (metric == "*" || metric == m)
    }

    /// `5%` or `5% and 100` for messages.
    public var summary: String {
        var s = Threshold.percentText(relativePercent)
        if absolute > 0 { s += " and \(ResultRow.format(absolute))" }
        return s
    }

    static func percentText(_ p: Double) -> String {
        "\(ResultRow.format(p))%"
    }
}

/// A thresholds file could not be used; the description is one line naming file and line.
public struct ThresholdsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description.singleLineForMessage }
}

/// The rules of a thresholds file, with built-in defaults for what no rule matches.
public struct ThresholdTable: Equatable, Sendable {
    public static let columns = ["workload", "metric", "relative_percent", "absolute"]

    public var rules: [Threshold]

    public init(rules: [Threshold] = []) { self.rules = rules }

    /// The rule for a cell: the most specific matching rule, or the default for the unit.
    public func threshold(workload: String, metric: String, unit: String) -> Threshold {
        var best: Threshold? = nil
        for rule in rules where rule.matches(workload: workload, metric: metric) {
            if best == nil || rule.specificity > best!.specificity { best = rule }
        }
        return best ?? ThresholdTable.defaultThreshold(metric: metric, unit: unit)
    }

    /// Built-in defaults: 5% for times and rates (`ns`, `s`, `ops/s`), 10% for memory,
    /// counts and ratios (noisier, and often small integers), 5% otherwise.
    public static func defaultThreshold(metric: String, unit: String) -> Threshold {
        let percent: Double
        switch unit {
        case "ns", "s", "ops/s": percent = 5
        case "bytes", "count", "ratio": percent = 10
        default: percent = 5
        }
        return Threshold(workload: "*", metric: metric, relativePercent: percent)
    }

    /// Parses a thresholds file: the header `workload,metric,relative_percent,absolute`, then
    /// one rule a line. Empty numbers mean 0. Blank lines and lines starting with `#` are
    /// skipped. Errors name the source and line.
    public static func parse(_ text: String, source: String = "<thresholds>") throws -> ThresholdTable {
        let records: [CSVRecordReader.Record]
        do {
            records = try CSVRecordReader.records(in: text)
        } catch let error as CSVRecordReader.SyntaxError {
            throw ThresholdsError("\(source):\(error.line): malformed CSV: \(error.message)")
        }
        let content = records.filter { r in
            // Blank lines and comments, indented or not.
            !(r.fields == [""])
                && !(r.fields.first?.trimmingCharacters(in: .whitespaces).hasPrefix("#") ?? false)
        }
        guard let header = content.first else {
            throw ThresholdsError("\(source): empty file, expected the header \(columns.joined(separator: ","))")
        }
        guard header.fields.map({ $0.trimmingCharacters(in: .whitespaces) }) == columns else {
            throw ThresholdsError("\(source):\(header.line): header is '\(header.fields.joined(separator: ",").clippedForMessage)', expected \(columns.joined(separator: ","))")
        }
        var rules: [Threshold] = []
        var seen: [String: Int] = [:]
        for record in content.dropFirst() {
            let f = record.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let line = record.line
            guard f.count == columns.count else {
                throw ThresholdsError("\(source):\(line): \(f.count) fields, expected \(columns.count) (\(columns.joined(separator: ",")))")
            }
            guard !f[0].isEmpty, !f[1].isEmpty else {
                throw ThresholdsError("\(source):\(line): workload and metric must not be empty (use * for any)")
            }
            // A rule for a workload the catalog lacks (a typo, a renamed workload) would
            // never match: refused.
            guard f[0] == "*" || Catalog.names.contains(f[0]) else {
                throw ThresholdsError("\(source):\(line): unknown workload '\(f[0].clippedForMessage)' (valid: *, \(Catalog.names.joined(separator: ", ")))")
            }
            func number(_ i: Int) throws -> Double {
                if f[i].isEmpty { return 0 }
                guard let v = Double(f[i]), v.isFinite, v >= 0 else {
                    throw ThresholdsError("\(source):\(line): column \(columns[i]) is '\(f[i].clippedForMessage)', expected a number >= 0")
                }
                return v
            }
            let rule = Threshold(workload: f[0], metric: f[1], relativePercent: try number(2),
                                 absolute: try number(3), line: line)
            let key = f[0] + "\u{0}" + f[1]
            if let earlier = seen[key] {
                throw ThresholdsError("\(source):\(line): a second rule for workload \(f[0]) and metric \(f[1]) (the first is on line \(earlier))")
            }
            seen[key] = line
            rules.append(rule)
        }
        return ThresholdTable(rules: rules)
    }

    /// Reads and parses the thresholds file at `path`.
    public static func read(path: String) throws -> ThresholdTable {
        let text: String
        do {
            text = try ResultsCSV.readText(path: path)
        } catch let error as ResultsCSVError {
            throw ThresholdsError(error.description)
        }
        return try parse(text, source: path)
    }
}
