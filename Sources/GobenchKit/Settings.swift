// Parsing of the run settings given on the command line: durations, procs lists and ranges,
// scavenge intervals, placements, shards and `--param K=V`. Every error is one line naming the
// bad part.
import Foundation

/// A setting given on the command line that does not parse.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Durations written as a number and a unit: `500us`, `10ms`, `1.5s`, `2m`, `1h`.
public enum DurationText {
    /// Nanoseconds per unit, longest suffix first so that `ms` is not read as `m` + `s`.
    static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
    ]

    /// The nanoseconds of a positive duration; `what` names the option in the error.
    public static func nanoseconds(_ text: String, what: String = "duration") throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let candidates = units.filter { trimmed.hasSuffix($0.suffix) }
            .sorted { $0.suffix.count > $1.suffix.count }
        guard let unit = candidates.first else {
            throw SettingsError("\(what) '\(text)' has no unit (expected a number and one of ns, us, ms, s, m, h, e.g. 10ms)")
        }
        let number = String(trimmed.dropLast(unit.suffix.count))
        if number.contains(where: \.isLetter) {
            throw SettingsError("\(what) '\(text)' has an unknown unit (expected ns, us, ms, s, m or h)")
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }),
              let value = Double(number), value.isFinite else {
            throw SettingsError("\(what) '\(text)': '\(number)' is not a number")
        }
        let total = (value * unit.nanoseconds).rounded()
        guard total >= 1 else { throw SettingsError("\(what) '\(text)' must be longer than zero") }
        guard total < 1e18 else { throw SettingsError("\(what) '\(text)' is too long") }
        return Int64(total)
    }

    /// Seconds of a positive duration.
    public static func seconds(_ text: String, what: String = "duration") throws -> Double {
        Double(try nanoseconds(text, what: what)) / 1e9
    }

    /// The shortest exact text: the longest unit that divides the duration (1500ms, 2m, 90s).
    public static func format(nanoseconds: Int64) -> String {
        for (suffix, size) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000),
                               ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        where nanoseconds % size == 0 {
            return "\(nanoseconds / size)\(suffix)"
        }
        return "\(nanoseconds)ns"
    }

    /// A human duration for progress lines: `45s`, `3m05s`, `1h02m`.
    public static func humanSeconds(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}

/// The scavenge setting: `off`, or the interval at which the scavenger runs.
public struct ScavengeSetting: Hashable, Sendable, CustomStringConvertible {
    /// nil: off.
    public var intervalNanoseconds: Int64?

    public static let off = ScavengeSetting(intervalNanoseconds: nil)

    public init(intervalNanoseconds: Int64?) { self.intervalNanoseconds = intervalNanoseconds }

    /// Canonical text, as written in the CSV: `off`, `10ms`, `2m`.
    public var description: String {
        intervalNanoseconds.map { DurationText.format(nanoseconds: $0) } ?? "off"
    }

    public static func parse(_ text: String) throws -> ScavengeSetting {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "off" { return .off }
        return ScavengeSetting(intervalNanoseconds: try DurationText.nanoseconds(trimmed, what: "scavenge"))
    }

    /// `off,10ms,2m`: order kept, duplicates dropped.
    public static func parseList(_ text: String) throws -> [ScavengeSetting] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        var result: [ScavengeSetting] = []
        for item in items {
            guard !item.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SettingsError("scavenge list '\(text)' has an empty item")
            }
            let setting = try parse(String(item))
            if !result.contains(setting) { result.append(setting) }
        }
        return result
    }

    public static let sweepDefault: [ScavengeSetting] = [
        .off, ScavengeSetting(intervalNanoseconds: 10_000_000), ScavengeSetting(intervalNanoseconds: 120_000_000_000),
    ]
}

/// Where the Ps run: `none` (the OS decides), `compact`, `spread`, or `nodes=0,1`.
public enum PlacementSetting: Hashable, Sendable, CustomStringConvertible {
    case none
    case compact
    case spread
    case nodes([Int])

    public var description: String {
        switch self {
        case .none: return "none"
        case .compact: return "compact"
        case .spread: return "spread"
        case .nodes(let list): return "nodes=" + list.map(String.init).joined(separator: ",")
        }
    }

    public static func parse(_ text: String) throws -> PlacementSetting {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "none": return .none
        case "compact": return .compact
        case "spread": return .spread
        default:
            guard trimmed.hasPrefix("nodes=") else {
                throw SettingsError("placement '\(text)' is not valid (expected none, compact, spread or nodes=0,1)")
            }
            let body = trimmed.dropFirst("nodes=".count)
            var nodes: [Int] = []
            for part in body.split(separator: ",", omittingEmptySubsequences: false) {
                guard let node = Int(part), node >= 0, node < 1024 else {
                    throw SettingsError("placement '\(text)': node '\(part)' is not a node number")
                }
                if !nodes.contains(node) { nodes.append(node) }
            }
            return .nodes(nodes.sorted())
        }
    }

    /// `none,compact,nodes=0,1,spread`: a number after `nodes=` belongs to that item.
    public static func parseList(_ text: String) throws -> [PlacementSetting] {
        var items: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = part.trimmingCharacters(in: .whitespaces)
            if let last = items.last, last.hasPrefix("nodes="), !piece.isEmpty, piece.allSatisfy(\.isNumber) {
                items[items.count - 1] += "," + piece
            } else {
                items.append(piece)
            }
        }
        var result: [PlacementSetting] = []
        for item in items {
            guard !item.isEmpty else { throw SettingsError("placement list '\(text)' has an empty item") }
            let placement = try parse(item)
            if !result.contains(placement) { result.append(placement) }
        }
        return result
    }
}

/// GOMAXPROCS values: `4`, `1,2,4`, `1-8` (every value), `1-16:x2` (doubling), `2-12:2` (step).
public enum ProcsList {
    public static let maximum = 4096

    public static func parse(_ text: String) throws -> [Int] {
        var values = Set<Int>()
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for rawItem in items {
            let item = rawItem.trimmingCharacters(in: .whitespaces)
            guard !item.isEmpty else { throw SettingsError("procs '\(text)' has an empty item") }
            for value in try parseItem(item) { values.insert(value) }
        }
        return values.sorted()
    }

    private static func number(_ text: Substring, item: String) throws -> Int {
        guard let value = Int(text), value >= 1, value <= maximum else {
            throw SettingsError("procs '\(item)': '\(text)' is not a number from 1 to \(maximum)")
        }
        return value
    }

    private static func parseItem(_ item: String) throws -> [Int] {
        let rangeAndStep = item.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let bounds = rangeAndStep[0].split(separator: "-", omittingEmptySubsequences: false)
        guard bounds.count <= 2 else { throw SettingsError("procs '\(item)' is not a number or a range like 1-8") }
        let low = try number(bounds[0], item: item)
        let high = bounds.count == 2 ? try number(bounds[1], item: item) : low
        guard low <= high else { throw SettingsError("procs '\(item)': range goes down (\(low) > \(high))") }
        guard rangeAndStep.count == 2 else { return Array(low...high) }
        guard bounds.count == 2 else { throw SettingsError("procs '\(item)': a step needs a range like 1-16:x2") }
        let step = rangeAndStep[1]
        if step.hasPrefix("x") {
            guard let factor = Int(step.dropFirst()), factor >= 2 else {
                throw SettingsError("procs '\(item)': step '\(step)' must be x2 or more")
            }
            var result: [Int] = []
            var value = low
            while value <= high { result.append(value); if value > high / factor { break }; value *= factor }  // no overflow for a huge factor
            return result
        }
        guard let increment = Int(step), increment >= 1 else {
            throw SettingsError("procs '\(item)': step '\(step)' must be a positive integer or xN")
        }
        return Array(stride(from: low, through: high, by: increment))
    }

    /// The default sweep: 1 through the CPU count, and twice the CPU count.
    public static func sweepDefault(cpus: Int) -> [Int] {
        let n = max(1, cpus)
        return Array(1...n) + [2 * n]
    }
}

/// `--shard I/N`: this process runs cells I, I+N, I+2N, ... (1-based) of the sorted grid.
public struct ShardSetting: Hashable, Sendable, CustomStringConvertible {
    /// 1-based.
    public var index: Int
    public var count: Int

    public static let whole = ShardSetting(index: 1, count: 1)

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public var description: String { "\(index)/\(count)" }

    public static func parse(_ text: String) throws -> ShardSetting {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw SettingsError("shard '\(text)' is not I/N (e.g. 1/4)")
        }
        guard count >= 1 else { throw SettingsError("shard '\(text)': the shard count must be at least 1") }
        guard index >= 1, index <= count else {
            throw SettingsError("shard '\(text)': the index must be from 1 to \(count)")
        }
        return ShardSetting(index: index, count: count)
    }

    /// Whether the cell at `position` (0-based, in the sorted grid) belongs to this shard.
    public func contains(position: Int) -> Bool { position % count == index - 1 }
}

/// `--param K=V`, repeatable.
public enum ParameterAssignments {
    public static func parse(_ assignments: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "="), eq != assignment.startIndex else {
                throw SettingsError("param '\(assignment)' is not KEY=VALUE")
            }
            let key = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
            let value = String(assignment[assignment.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw SettingsError("param '\(assignment)' has no value") }
            try Bounds.checkParameterValues(key: key, value: value)
            if let previous = result[key], previous != value {
                throw SettingsError("param '\(key)' given twice ('\(previous)' and '\(value)')")
            }
            result[key] = value
        }
        return result
    }
}
