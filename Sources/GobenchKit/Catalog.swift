// The workload catalog of docs/PROTOCOL.md section 1 as data: names, parameters with their
// defaults and allowed values, the engines and the sweep dimensions each workload applies to.
//
// The catalog is what `list` prints, what `run` and `sweep` validate against, and what decides
// which cells a sweep plans. The workloads themselves live in Sources/Workloads (swift engines)
// and peers/go (go engine); both must agree with PROTOCOL.md, which this file mirrors.
import Foundation

/// An engine that runs workloads: this runtime, Swift's Task pool, or the Go peer.
public enum BenchmarkEngine: String, CaseIterable, Sendable, Comparable {
    case swift
    case go
    case swiftConcurrency = "swift-concurrency"
    /// The user's Go benchmarks (`--go-test`) and commands (`--command`): GoTestEngine.swift.
    case goTest = "go-test"
    case command

    public static func < (a: BenchmarkEngine, b: BenchmarkEngine) -> Bool {
        a.rawValue < b.rawValue
    }

    /// Parses an engine name; the error lists the valid ones.
    public static func parse(_ text: String) throws -> BenchmarkEngine {
        guard let engine = BenchmarkEngine(rawValue: text) else {
            throw CatalogError("unknown engine '\(text)' (valid: \(allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return engine
    }
}

/// An error in a workload name, engine or parameter, with the valid choices.
public struct CatalogError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One parameter of a workload.
public struct WorkloadParameter: Sendable, Equatable {
    /// What values a parameter takes.
    public enum Kind: Sendable, Equatable {
        /// An integer from `minimum` to `maximum` (the Go peer's bounds).
        case integer(minimum: Int, maximum: Int)
        /// One of the listed words.
        case choice([String])
    }

    public var name: String
    public var defaultValue: String
    public var kind: Kind
    public var summary: String

    public init(_ name: String, _ defaultValue: String, _ kind: Kind, _ summary: String) {
        self.name = name; self.defaultValue = defaultValue; self.kind = kind; self.summary = summary
    }

    /// "integer 1..1099511627776" or "single|all|chain".
    public var allowedDescription: String {
        switch kind {
        case .integer(let minimum, let maximum): return "integer \(minimum)..\(maximum)"
        case .choice(let words): return words.joined(separator: "|")
        }
    }

    /// The canonical text of `value`, or an error naming the parameter and what it accepts.
    public func normalize(_ value: String, workload: String) throws -> String {
        switch kind {
        case .integer(let minimum, let maximum):
            guard let number = Int(value.trimmingCharacters(in: .whitespaces)), number >= minimum, number <= maximum else {
                throw CatalogError("\(workload): parameter \(name)=\(value) is not valid (expected an integer from \(minimum) to \(maximum))")
            }
            return String(number)
        case .choice(let words):
            guard words.contains(value) else {
                throw CatalogError("\(workload): parameter \(name)=\(value) is not valid (expected one of: \(words.joined(separator: ", ")))")
            }
            return value
        }
    }
}

/// How a workload varies over GOMAXPROCS in a sweep.
public enum ProcsDimension: Sendable, Equatable {
    /// Every procs value of the sweep.
    case swept
    /// Always this value: the workload is defined at it (pingpong-hog at GOMAXPROCS=1); `run`
    /// refuses another.
    case forced(Int)
    /// The workload does not depend on it: a sweep runs it at this value only; `run` takes any.
    case unswept(Int)

    /// The one value a sweep uses, nil when it sweeps them all.
    public var sweepValue: Int? {
        switch self {
        case .swept: return nil
        case .forced(let value), .unswept(let value): return value
        }
    }
}

/// One workload of the catalog.
public struct WorkloadSpec: Sendable, Equatable {
    public var name: String
    public var summary: String
    /// The runtime mechanism it stresses.
    public var mechanism: String
    public var parameters: [WorkloadParameter]
    public var engines: [BenchmarkEngine]
    public var procs: ProcsDimension
    /// Whether a sweep runs it at every scavenge setting (otherwise only at `off`).
    public var sweepsScavenge: Bool
    /// Whether a sweep runs it at every placement (otherwise only at `none`).
    public var sweepsPlacement: Bool
    /// Parameter values the default sweep uses instead of the catalog defaults, sized so that
    /// the default sweep fits its time budget (see `SweepPlan`). Empty: the defaults.
    public var sweepParameters: [String: String]
    /// Why the engines' figures for this workload are not a like-for-like comparison yet,
    /// or nil when they are. `list`, `figures` and the report show it; no swift/go ratio
    /// of such a workload is a pass or a fail.
    public var notComparable: String? = nil
    /// A remaining difference in kind between the engines that a reader of a ratio must
    /// know (one line), or nil.
    public var caveat: String? = nil
    /// What `scavenge=off` means on each engine where the engines differ (one line), for
    /// workloads whose metrics it changes; nil where it means the same or changes nothing.
    public var scavengeOffCaveat: String? = nil
    /// The metric that says whether this workload got better or worse: the one `compare`
    /// gates on by default (the others are reported, not gating).
    public var primaryMetric: String = "ns_per_op"

    public func parameter(named name: String) -> WorkloadParameter? {
        parameters.first { $0.name == name }
    }

    public func applies(to engine: BenchmarkEngine) -> Bool { engines.contains(engine) }

    /// The GOMAXPROCS a run of this workload uses: `requested`, else `machineDefault`; a
    /// workload with a forced value (ProcsDimension.forced) uses that one and refuses another
    /// requested value. The one place of the rule: `run` asks with the --procs given,
    /// `gobench child` with none (the sweep plans the forced value).
    public func runProcs(requested: Int?, machineDefault: Int) throws -> Int {
        if case .forced(let only) = procs {
            if let requested, requested != only { throw SettingsError("\(name) always runs at procs=\(only)") }
            return only
        }
        let value = requested ?? machineDefault
        guard value >= 1, value <= ProcsList.maximum else {
            throw SettingsError("procs \(value) is not from 1 to \(ProcsList.maximum)")
        }
        return value
    }

    /// Every parameter resolved: overrides checked and normalized, defaults filled in.
    public func resolvedParameters(_ overrides: [String: String]) throws -> WorkloadParameters {
        var resolved: [String: String] = [:]
        for parameter in parameters { resolved[parameter.name] = parameter.defaultValue }
        for (key, value) in overrides {
            guard let parameter = parameter(named: key) else {
                let valid = parameters.map(\.name).joined(separator: ", ")
                throw CatalogError("\(name): unknown parameter '\(key)' (valid: \(valid.isEmpty ? "none" : valid))")
            }
            resolved[key] = try parameter.normalize(value, workload: name)
        }
        return try WorkloadParameters(resolved)
    }

}

/// The catalog of PROTOCOL.md section 1.
public enum Catalog {
    /// The largest count a parameter takes (the Go peer's maxCount, 2^40).
    public static let maxCount = 1 << 40

    /// What `scavenge=off` means on each engine (PROTOCOL.md section 1, Settings).
    public static let scavengeOffMeaning =
        "scavenge=off: no periodic scavenger, the stack pacer still on (swift) vs Go's background scavenger and GC, only the periodic debug.FreeOSMemory off (go)"

    private static let all3: [BenchmarkEngine] = [.swift, .go, .swiftConcurrency]
    private static let runtimeOnly: [BenchmarkEngine] = [.swift, .go]

    public static let workloads: [WorkloadSpec] = [
        WorkloadSpec(
            name: "spawn-storm",
            summary: "create n goroutines that each call WaitGroup.Done",
            mechanism: "spawn path, runnext, G free list, stack cache",
            parameters: [
                .init("n", "200000", .integer(minimum: 1, maximum: maxCount), "goroutines created"),
                .init("mode", "single", .choice(["single", "all", "chain"]),
                      "single: one spawner; all: one per P; chain: each spawns the next"),
            ],
            engines: all3, procs: .swept, sweepsScavenge: true, sweepsPlacement: true,
            sweepParameters: ["n": "100000"]),
        WorkloadSpec(
            name: "live-goroutines",
            summary: "n goroutines parked on one channel at once",
            mechanism: "memory per goroutine",
            parameters: [
                .init("n", "100000", .integer(minimum: 1, maximum: maxCount), "goroutines parked"),
                .init("scavenge", "0", .choice(["0", "1"]),
                      "1: one scavenger pass (Go: debug.FreeOSMemory) over the parked goroutines before measuring"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: true, sweepsPlacement: true,
            sweepParameters: ["n": "50000"],
            caveat: "fixed-size stacks committed page by page (swift) vs small stacks that grow by copying (go)",
            scavengeOffCaveat: Catalog.scavengeOffMeaning, primaryMetric: "bytes_per_goroutine"),
        WorkloadSpec(
            name: "steal-imbalance",
            summary: "one spawner creates n compute goroutines for the others to steal",
            mechanism: "work stealing",
            parameters: [
                .init("n", "100000", .integer(minimum: 1, maximum: maxCount), "goroutines spawned"),
                .init("work", "200", .integer(minimum: 0, maximum: maxCount), "compute kernel rounds per goroutine"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: [:]),
        WorkloadSpec(
            name: "gosched-pingpong",
            summary: "goroutines each call Gosched n times: two per P (pairs), or two in all (lone)",
            mechanism: "yield path, global queue",
            parameters: [
                .init("n", "500000", .integer(minimum: 1, maximum: maxCount), "Gosched calls per goroutine"),
                .init("mode", "pairs", .choice(["pairs", "lone"]),
                      "pairs: two goroutines per P, so that a Gosched finds another goroutine to run; lone: two in all, at GOMAXPROCS >= 2 each may be alone on its P, where its Gosched takes itself back from the global queue"),
            ],
            engines: all3, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "200000"]),
        WorkloadSpec(
            name: "chan-pingpong",
            summary: "round trips over two unbuffered channels",
            mechanism: "park/ready, direct hand-off",
            parameters: [.init("n", "200000", .integer(minimum: 1, maximum: maxCount), "round trips")],
            engines: all3, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "100000"]),
        WorkloadSpec(
            name: "chan-prodcons",
            summary: "producers send n items to consumers over a channel",
            mechanism: "channels under contention",
            parameters: [
                .init("n", "400000", .integer(minimum: 1, maximum: maxCount), "items sent"),
                .init("buffer", "10", .integer(minimum: 0, maximum: 1 << 24), "channel capacity (0, 10, 100)"),
                .init("pairs", "0", .integer(minimum: 0, maximum: 1 << 20), "producer/consumer pairs (0 = GOMAXPROCS)"),
            ],
            engines: all3, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "200000"]),
        WorkloadSpec(
            name: "pingpong-hog",
            summary: "ping-pong round trips while a CPU hog runs, at GOMAXPROCS=1",
            mechanism: "preemption",
            parameters: [
                .init("n", "1000000", .integer(minimum: 1, maximum: maxCount), "round trips"),
                .init("hog_ms", "0", .integer(minimum: 0, maximum: 1 << 31), "hog duration (0 = until the ping-pong ends)"),
            ],
            engines: runtimeOnly, procs: .forced(1), sweepsScavenge: false, sweepsPlacement: false,
            sweepParameters: [:],
            caveat: "the hog's loop: a compute kernel and an atomic load (swift) vs a non-blocking receive (go); neither is preempted but by signal"),
        WorkloadSpec(
            name: "syscall-heavy",
            summary: "goroutines making blocking system calls",
            mechanism: "entersyscall/exitsyscall, hand-off, retake",
            parameters: [
                .init("goroutines", "64", .integer(minimum: 1, maximum: 1 << 20), "goroutines making calls"),
                .init("n", "2000", .integer(minimum: 1, maximum: maxCount), "calls per goroutine"),
                .init("kind", "pipe", .choice(["pipe", "nanosleep", "fsync"]),
                      "pipe: 1-byte write+read; nanosleep: 1 us; fsync: write+fsync"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "500"]),
        WorkloadSpec(
            name: "locked-thread",
            summary: "round trips between goroutines locked to their threads",
            mechanism: "startlockedm/stoplockedm",
            parameters: [
                .init("n", "5000", .integer(minimum: 1, maximum: maxCount), "round trips"),
                .init("mode", "pingpong", .choice(["pingpong", "mixed"]),
                      "mixed: unlocked goroutines ping-pong beside them"),
                .init("unlocked", "4", .integer(minimum: 0, maximum: 1 << 20), "unlocked goroutines in mixed mode"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: [:]),
        WorkloadSpec(
            name: "deep-recursion",
            summary: "one goroutine recursing depth frames of about frame bytes",
            mechanism: "stack size, overflow detection",
            parameters: [
                .init("depth", "1000000", .integer(minimum: 1, maximum: maxCount), "frames"),
                .init("frame", "150", .choice(["64", "150", "512"]), "bytes of local array per frame (64, 150, 512: the sizes both engines compile)"),
                .init("mode", "depth", .choice(["depth", "overflow"]),
                      "overflow: recurse without bound until the stack limit"),
                .init("maxstack_mb", "0", .integer(minimum: 0, maximum: 1 << 20),
                      "stack limit in MB (debug.SetMaxStack); 0: Go's default of 1 GB in depth mode, 64 MB in overflow mode"),
            ],
            engines: runtimeOnly, procs: .unswept(1), sweepsScavenge: false, sweepsPlacement: false,
            // 1e5 frames keep the default sweep short; the catalog default is 1e6.
            sweepParameters: ["depth": "100000"],
            caveat: "one fixed stack reserved at the limit (swift) vs a small stack that grows by copying (go)"),
        WorkloadSpec(
            name: "mutex-contention",
            summary: "goroutines doing Lock/increment/Unlock on one Mutex",
            mechanism: "Mutex parking, spinning",
            parameters: [
                .init("n", "1000000", .integer(minimum: 1, maximum: maxCount), "increments"),
                .init("goroutines", "0", .integer(minimum: 0, maximum: 1 << 20), "goroutines (0 = 4 x GOMAXPROCS)"),
            ],
            engines: all3, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "500000"]),
        WorkloadSpec(
            name: "timer-storm",
            summary: "n goroutines sleeping sleep_us, rounds times",
            mechanism: "timers; latency = oversleep",
            parameters: [
                .init("n", "10000", .integer(minimum: 1, maximum: maxCount), "sleeping goroutines"),
                .init("sleep_us", "1000", .integer(minimum: 0, maximum: 1 << 40), "sleep per round, microseconds"),
                .init("rounds", "5", .integer(minimum: 1, maximum: maxCount), "sleeps per goroutine"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: [:]),
        WorkloadSpec(
            name: "parallel-compute",
            summary: "work iterations of the compute kernel split over tasks goroutines",
            mechanism: "scaling with GOMAXPROCS",
            parameters: [
                .init("work", "200000000", .integer(minimum: 1, maximum: maxCount), "kernel iterations in all"),
                .init("tasks", "64", .integer(minimum: 1, maximum: 1 << 24), "goroutines"),
            ],
            engines: all3, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["work": "50000000"]),
        WorkloadSpec(
            name: "scavenger-burst",
            summary: "a burst of n goroutines, then RSS sampled while idle",
            mechanism: "scavenger: RSS after the burst over time",
            parameters: [
                .init("n", "100000", .integer(minimum: 1, maximum: maxCount), "goroutines in the burst"),
                .init("idle_ms", "300", .integer(minimum: 0, maximum: 1 << 31), "idle time after the burst, ms"),
                .init("sample_ms", "10", .integer(minimum: 1, maximum: 1 << 31), "RSS sampling interval, ms"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: true, sweepsPlacement: true,
            sweepParameters: ["n": "50000", "idle_ms": "200"],
            caveat: "fixed-size stacks committed page by page (swift) vs small stacks that grow by copying (go)",
            scavengeOffCaveat: Catalog.scavengeOffMeaning, primaryMetric: "rss_after_idle_bytes"),
        WorkloadSpec(
            name: "select",
            summary: "selects over several channels: Go's select benchmarks and TestSelectStress",
            mechanism: "select: lock order, poll order, waiters on several channels",
            parameters: [
                .init("n", "400000", .integer(minimum: 1, maximum: maxCount), "ops: items (prodcons, stress4) or selects (contended)"),
                .init("mode", "stress4", .choice(["stress4", "prodcons", "contended"]),
                      "stress4: TestSelectStress's 4 channels; prodcons: BenchmarkSelectProdCons; contended: BenchmarkSelectContended"),
            ],
            engines: runtimeOnly, procs: .swept, sweepsScavenge: false, sweepsPlacement: true,
            sweepParameters: ["n": "200000"]),
    ]

    public static var names: [String] { workloads.map(\.name) }

    /// The workload called `name`, or an error listing the valid names.
    public static func workload(named name: String) throws -> WorkloadSpec {
        if let spec = testSpecs[name] { return spec }
        guard let spec = workloads.first(where: { $0.name == name }) else {
            throw CatalogError("unknown workload '\(name)' (valid: \(names.joined(separator: ", ")))")
        }
        return spec
    }

    /// A test seam: specs that `workload(named:)` returns instead of the catalog's (a test
    /// of how the tables show a workload marked not comparable, when none is). Empty
    /// outside tests; tests set and clear it on one thread.
    nonisolated(unsafe) static var testSpecs: [String: WorkloadSpec] = [:]

    /// A comma-separated list of workload names, or `all`; order kept, duplicates dropped.
    public static func workloads(fromList text: String) throws -> [WorkloadSpec] {
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        if items.isEmpty { throw CatalogError("empty workload list (valid: all, \(names.joined(separator: ", ")))") }
        if items == ["all"] { return workloads }
        var seen = Set<String>()
        var result: [WorkloadSpec] = []
        for item in items where seen.insert(item).inserted {
            result.append(try workload(named: item))
        }
        return result
    }
}
