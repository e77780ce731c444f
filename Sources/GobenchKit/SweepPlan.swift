// The plan of a sweep: the grid of cells (workloads x engines x procs x scavenge x placement x
// params) narrowed by what each workload applies to, cut to one shard, and put in a shuffled,
// interleaved order (every cell's rep r before any cell's rep r+1) minus the runs already done.
//
// Why this order: a machine drifts over a long sweep (thermal throttling, a noisy neighbour,
// page cache). Running all reps of one cell back to back would turn drift into a difference
// between cells; interleaving spreads it over every cell's samples, where the statistics of
// `compare` see it as noise. The shuffle is seeded so that a plan can be reproduced.
import Foundation

/// One run of the plan: a cell and its repetition index.
public struct PlannedRun: Hashable, Sendable, CustomStringConvertible {
    public var settings: RunSettings
    public var rep: Int

    public init(settings: RunSettings, rep: Int) { self.settings = settings; self.rep = rep }

    public var description: String { "\(settings) rep=\(rep)" }
}

/// SplitMix64: a small seeded generator, so that the same seed gives the same order everywhere.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a sweep covers, before the catalog narrows it.
public struct SweepGrid: Sendable {
    public var workloads: [WorkloadSpec]
    public var engines: [BenchmarkEngine]
    public var procs: [Int]
    public var scavenges: [ScavengeSetting]
    public var placements: [PlacementPolicy]
    /// `--param` values: `K=V` or `K=V1,V2` (a list adds a dimension), applied to every workload
    /// that has parameter K; `W.K=V` for workload W only.
    public var parameterAssignments: [String: String]
    /// Use each workload's `sweepParameters` (sized for the default sweep's time budget) under
    /// the assignments; false: the catalog defaults.
    public var useSweepParameters: Bool

    public init(workloads: [WorkloadSpec], engines: [BenchmarkEngine], procs: [Int],
                scavenges: [ScavengeSetting], placements: [PlacementPolicy],
                parameterAssignments: [String: String] = [:], useSweepParameters: Bool = true) {
        self.workloads = workloads; self.engines = engines; self.procs = procs
        self.scavenges = scavenges; self.placements = placements
        self.parameterAssignments = parameterAssignments; self.useSweepParameters = useSweepParameters
    }

    /// Every cell, sorted. Errors: a `--param` that no selected workload has, or a bad value.
    public func cells() throws -> [RunSettings] {
        guard !procs.isEmpty, !scavenges.isEmpty, !placements.isEmpty, !engines.isEmpty, !workloads.isEmpty else {
            throw SettingsError("the sweep is empty (a workload, engine, procs, scavenge or placement list has no item)")
        }
        // Which workloads each assignment reaches; one that reaches none is a typo.
        for key in parameterAssignments.keys {
            let (workloadName, parameterName) = SweepGrid.split(key)
            if let workloadName {
                let spec = try Catalog.workload(named: workloadName)
                guard workloads.contains(spec) else {
                    throw SettingsError("param '\(key)': workload \(workloadName) is not in this sweep")
                }
                guard spec.parameter(named: parameterName) != nil else {
                    throw CatalogError("\(workloadName): unknown parameter '\(parameterName)' (valid: \(spec.parameters.map(\.name).joined(separator: ", ")))")
                }
            } else if !workloads.contains(where: { $0.parameter(named: parameterName) != nil }) {
                throw SettingsError("param '\(key)': no workload in this sweep has a parameter called \(parameterName)")
            }
        }
        var result = Set<RunSettings>()
        for spec in workloads {
            let engines = self.engines.filter(spec.applies(to:))
            if engines.isEmpty { continue }
            let procsValues = spec.procs.sweepValue.map { [$0] } ?? procs
            let scavengeValues = spec.sweepsScavenge ? scavenges : [.off]
            let placementValues = spec.sweepsPlacement ? placements : [.none]
            for params in try parameterCombinations(spec) {
                for engine in engines {
                    for p in procsValues {
                        for s in scavengeValues {
                            for placement in placementValues {
                                result.insert(RunSettings(workload: spec.name, engine: engine, procs: p,
                                                          scavenge: s, placement: placement, params: params))
                            }
                        }
                    }
                }
            }
        }
        return result.sorted()
    }

    /// The resolved parameters of one workload: one per combination of listed values.
    func parameterCombinations(_ spec: WorkloadSpec) throws -> [WorkloadParameters] {
        var base = useSweepParameters ? spec.sweepParameters : [:]
        var lists: [(String, [String])] = []
        for (key, value) in parameterAssignments.sorted(by: { $0.key < $1.key }) {
            let (workloadName, parameterName) = SweepGrid.split(key)
            if let workloadName, workloadName != spec.name { continue }
            guard spec.parameter(named: parameterName) != nil else { continue }
            let values = value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, !values.contains("") else {
                throw SettingsError("param '\(key)=\(value)' has an empty value")
            }
            base[parameterName] = nil
            lists.removeAll { $0.0 == parameterName }
            lists.append((parameterName, values))
        }
        let count = lists.reduce(1) { product, list in product.multipliedReportingOverflow(by: list.1.count).partialValue }
        guard count <= Bounds.maximumRuns else {
            throw SettingsError("\(spec.name): the --param lists make \(count) combinations, more than \(Bounds.maximumRuns)")
        }
        var combinations: [[String: String]] = [base]
        for (name, values) in lists {
            combinations = combinations.flatMap { partial in
                values.map { value -> [String: String] in var next = partial; next[name] = value; return next }
            }
        }
        var result: [WorkloadParameters] = []
        for combination in combinations {
            let resolved = try spec.resolvedParameters(combination)
            if !result.contains(resolved) { result.append(resolved) }
        }
        return result
    }

    /// `chan-prodcons.buffer` -> (chan-prodcons, buffer); `buffer` -> (nil, buffer).
    static func split(_ key: String) -> (workload: String?, parameter: String) {
        guard let dot = key.lastIndex(of: ".") else { return (nil, key) }
        return (String(key[..<dot]), String(key[key.index(after: dot)...]))
    }
}

/// The runs a sweep makes, in order.
public struct SweepPlan: Sendable {
    /// This shard's cells, sorted.
    public var cells: [RunSettings]
    public var reps: Int
    /// The runs still to do, in execution order.
    public var runs: [PlannedRun]
    /// Runs of this plan found already done (resume).
    public var alreadyDone: Int

    /// - Parameters:
    ///   - allCells: the whole grid, sorted (`SweepGrid.cells()`).
    ///   - done: runs already in the results file, skipped.
    public init(allCells: [RunSettings], reps: Int, seed: UInt64, shard: ShardSetting = .whole,
                done: Set<PlannedRun> = []) {
        cells = allCells.enumerated().filter { shard.contains(position: $0.offset) }.map(\.element)
        self.reps = reps
        let ordered = SweepPlan.interleave(cells, reps: reps, seed: seed)
        runs = ordered.filter { !done.contains($0) }
        alreadyDone = ordered.count - runs.count
    }

    /// Rep r of every cell, shuffled with a generator seeded by (seed, r), before rep r+1.
    public static func interleave(_ cells: [RunSettings], reps: Int, seed: UInt64) -> [PlannedRun] {
        var result: [PlannedRun] = []
        result.reserveCapacity(cells.count * max(0, reps))
        for rep in 0..<max(0, reps) {
            var generator = SeededGenerator(seed: seed &+ UInt64(rep) &* 0x2545_F491_4F6C_DD1D)
            result += cells.shuffled(using: &generator).map { PlannedRun(settings: $0, rep: rep) }
        }
        return result
    }

    /// The runs recorded in a results file, any status (a failed run is not retried).
    public static func doneRuns(in rows: [ResultRow]) -> Set<PlannedRun> {
        Set(rows.compactMap { row in RunSettings(row: row).map { PlannedRun(settings: $0, rep: row.rep) } })
    }
}
