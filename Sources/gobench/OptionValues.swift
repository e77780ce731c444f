// The typed values of gobench's options: ExpressibleByArgument conformances that call the
// settings parsers (GobenchSettings, GobenchKit's Settings.swift, Catalog.swift, CgroupQuotaRunner.swift), so
// that a value is parsed once, while the command line is read, by the one parser of its kind.
import ArgumentParser
import Foundation
import GobenchKit

/// The message of the first option value a parser refused in this process.
/// `init?(argument:)` can only fail, not say why; `Gobench.main` reports this line (exit
/// status 1, a bad option value) in place of argument-parser's generic "invalid value".
enum OptionRefusal {
    nonisolated(unsafe) private(set) static var first: String?

    /// `parser(text)`, or nil with its error kept as the refusal.
    static func parse<T>(_ text: String, _ parser: (String) throws -> T) -> T? {
        do {
            return try parser(text)
        } catch {
            if first == nil { first = "\(error)" }
            return nil
        }
    }

    /// The case of `T` whose raw value is `text`, or nil with the refusal
    /// "OPTION is 'TEXT', expected A, B or C" (the cases in declaration order).
    static func choice<T: RawRepresentable & CaseIterable>(_ text: String, option: String) -> T? where T.RawValue == String {
        parse(text) { text -> T in
            guard let value = T(rawValue: text) else {
                let names = T.allCases.map(\.rawValue)
                let expected = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names.last! : names.joined()
                throw SettingsError("\(option) is '\(text)', expected \(expected)")
            }
            return value
        }
    }
}

extension BenchmarkEngine: ExpressibleByArgument {
    public init?(argument: String) {
        guard let engine = OptionRefusal.parse(argument, BenchmarkEngine.parse) else { return nil }
        self = engine
    }

    public var defaultValueDescription: String { rawValue }

    /// The help text names the engines each command takes (go-test and command are not
    /// given with --engine).
    public static var allValueStrings: [String] { [] }
}

extension PlacementPolicy: ExpressibleByArgument {
    public init?(argument: String) {
        guard let placement = OptionRefusal.parse(argument, { try PlacementPolicy(parsing: $0) }) else { return nil }
        self = placement
    }
}

extension ScavengeSetting: ExpressibleByArgument {
    public init?(argument: String) {
        guard let scavenge = OptionRefusal.parse(argument, { try ScavengeSetting.parse($0) }) else { return nil }
        self = scavenge
    }
}

extension ShardSetting: ExpressibleByArgument {
    public init?(argument: String) {
        guard let shard = OptionRefusal.parse(argument, ShardSetting.parse) else { return nil }
        self = shard
    }
}

/// `--engines swift,go`: in the order given, each once.
struct EngineList: ExpressibleByArgument {
    var text: String
    var engines: [BenchmarkEngine]

    init?(argument: String) {
        guard let engines = OptionRefusal.parse(argument, EngineList.parse) else { return nil }
        self.text = argument
        self.engines = engines
    }

    static func parse(_ text: String) throws -> [BenchmarkEngine] {
        var engines: [BenchmarkEngine] = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let engine = try BenchmarkEngine.parse(name)
            if !engines.contains(engine) { engines.append(engine) }
        }
        return engines
    }

    var defaultValueDescription: String { text }
}

/// `--placements none,compact,nodes=0,1` (PlacementPolicy.parseList).
struct PlacementList: ExpressibleByArgument {
    var text: String
    var placements: [PlacementPolicy]

    init?(argument: String) {
        guard let placements = OptionRefusal.parse(argument, PlacementPolicy.parseList) else { return nil }
        self.text = argument
        self.placements = placements
    }

    var defaultValueDescription: String { text }
}

/// `--scavenge off,10ms,2m` of sweep (ScavengeSetting.parseList).
struct ScavengeList: ExpressibleByArgument {
    var text: String
    var settings: [ScavengeSetting]

    init?(argument: String) {
        guard let settings = OptionRefusal.parse(argument, ScavengeSetting.parseList) else { return nil }
        self.text = argument
        self.settings = settings
    }

    var defaultValueDescription: String { text }
}

/// `--procs 1,2,4`, `1-8`, `1-16:x2` of sweep and tune (ProcsList.parse).
struct ProcsValues: ExpressibleByArgument {
    var text: String
    var values: [Int]

    init?(argument: String) {
        guard let values = OptionRefusal.parse(argument, ProcsList.parse) else { return nil }
        self.text = argument
        self.values = values
    }

    var defaultValueDescription: String { text }
}

/// `--workloads all` or a comma-separated list of catalog names (Catalog.workloads).
struct WorkloadList: ExpressibleByArgument {
    var text: String
    var specs: [WorkloadSpec]

    init?(argument: String) {
        guard let specs = OptionRefusal.parse(argument, Catalog.workloads(fromList:)) else { return nil }
        self.text = argument
        self.specs = specs
    }

    var defaultValueDescription: String { text }
}

/// `--cpu-quota none,1,1.5` (CPUQuotaSetting.parseList, bounded by this process's CPUs).
struct CPUQuotaList: ExpressibleByArgument {
    var text: String
    var quotas: [CPUQuotaSetting]

    init?(argument: String) {
        let cpus = MachineProbe.affinityCPUCount()
        guard let quotas = OptionRefusal.parse(argument, { try CPUQuotaSetting.parseList($0, cpuCount: cpus) }) else { return nil }
        self.text = argument
        self.quotas = quotas
    }

    var defaultValueDescription: String { text }
}

/// `--benchtime 1s` or `100x`: Go's -benchtime, checked by UserWorkloadOptions.checkBenchtime.
struct Benchtime: ExpressibleByArgument {
    var text: String

    init?(argument: String) {
        guard OptionRefusal.parse(argument, UserWorkloadOptions.checkBenchtime) != nil else { return nil }
        self.text = argument
    }

    var defaultValueDescription: String { text }
}

/// The name a duration option's refusal starts with.
protocol DurationOptionName { static var name: String { get } }

/// A positive duration (`90s`, `5m`, `10ms`): DurationText's parse.
struct DurationOption<Name: DurationOptionName>: ExpressibleByArgument {
    var text: String
    var nanoseconds: Int64
    var seconds: Double { Double(nanoseconds) / 1e9 }

    init?(argument: String) {
        guard let nanoseconds = OptionRefusal.parse(argument, { try DurationText.nanoseconds($0, what: Name.name) }) else { return nil }
        self.text = argument
        self.nanoseconds = nanoseconds
    }

    var defaultValueDescription: String { text }
}

/// `--timeout`, per run.
enum TimeoutName: DurationOptionName { static let name = "timeout" }
/// tune's `--min-time`.
enum MinTimeName: DurationOptionName { static let name = "--min-time" }
