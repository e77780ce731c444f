// Parsing of the run settings given on the command line that only the harness reads: procs
// lists and ranges, shards and `--param K=V`. Durations, scavenge intervals, placements, CPU
// sets and topology overrides are GobenchSettings', shared with the runtime. Every error is
// one line naming the bad part.
import Foundation
// Re-exported: every command and report reads durations, scavenge and placement settings.
@_exported import GobenchSettings

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
            guard let (rawKey, rawValue) = WorkloadParameters.splitAssignment(assignment) else {
                throw SettingsError("param '\(assignment)' is not KEY=VALUE")
            }
            let key = rawKey.trimmingCharacters(in: .whitespaces)
            let value = rawValue.trimmingCharacters(in: .whitespaces)
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
