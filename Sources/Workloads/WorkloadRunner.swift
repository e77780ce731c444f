// Runs one workload in this process, on the swift or swift-concurrency engine, and
// prints the result line (docs/PROTOCOL.md section 2). `gobench child` calls this.
import Foundation
import GobenchKit
import Runtime

public enum WorkloadRunner {
    typealias Body = (WorkloadParameters, Int) -> WorkloadOutcome

    static let swiftWorkloads: [String: Body] = [
        "spawn-storm": SpawnWorkloads.spawnStorm,
        "live-goroutines": SpawnWorkloads.liveGoroutines,
        "steal-imbalance": SpawnWorkloads.stealImbalance,
        "scavenger-burst": SpawnWorkloads.scavengerBurst,
        "select": SelectWorkloads.select,
        "gosched-pingpong": SwitchWorkloads.goschedPingPong,
        "chan-pingpong": SwitchWorkloads.chanPingPong,
        "chan-prodcons": SwitchWorkloads.chanProdCons,
        "pingpong-hog": SwitchWorkloads.pingPongHog,
        "syscall-heavy": SyscallWorkloads.syscallHeavy,
        "locked-thread": SyscallWorkloads.lockedThread,
        "deep-recursion": StackWorkloads.deepRecursion,
        "mutex-contention": ComputeWorkloads.mutexContention,
        "timer-storm": ComputeWorkloads.timerStorm,
        "parallel-compute": ComputeWorkloads.parallelCompute,
    ]

    /// Every catalog workload has a Swift implementation (checked by a test).
    public static var implementedNames: [String] { swiftWorkloads.keys.sorted() }

    /// Runs `settings` (decoded from `gobench child`'s arguments) in this process after
    /// checking it against the catalog; returns the result to print and the process exit
    /// status (1 for an error result). The swift engine's runtime takes procs, scavenge and
    /// placement from `settings`, the rest of its configuration from the environment.
    public static func run(_ settings: RunSettings) -> (result: ChildResult, status: Int32) {
        let outcome = measure(settings)
        let result = outcome.result(workload: settings.workload, engine: settings.engine.rawValue)
        if case .error = outcome { return (result, 1) }
        return (result, 0)
    }

    /// One goroutine spawned and waited for before any workload (docs/PROTOCOL.md, the
    /// measured section): the spawn, park and ready paths, their code pages and the Swift
    /// metadata they need, are then ready before a clock starts, as Go's `runtime.main`
    /// has run its own background goroutines before `main.main`. The Go peer does the same.
    static func warmUp() {
        let wg = WaitGroup()
        wg.add(1)
        go { wg.done() }
        wg.wait()
    }

    static func measure(_ settings: RunSettings) -> WorkloadOutcome {
        let spec: WorkloadSpec
        let params: WorkloadParameters
        let procs: Int
        do {
            spec = try Catalog.workload(named: settings.workload)
            params = try spec.resolvedParameters(settings.params.values)
            // The sweep plans a forced workload at its value; a child started by hand with
            // another --procs runs at the forced value too (`gobench run` refuses it instead).
            procs = try spec.runProcs(requested: nil, machineDefault: settings.procs)
        } catch {
            return .error("\(error)")
        }
        switch settings.engine {
        case .swiftConcurrency:
            return ConcurrencyWorkloads.run(settings.workload, params, procs: procs)
        case .swift:
            var config = RuntimeConfiguration.fromEnvironment()
            config.procs = procs
            config.procsRule = "--procs \(procs)"
            config.scavengeIntervalNanoseconds = settings.scavenge.intervalNanoseconds
            config.placement = settings.placement
            do {
                // A node list naming nodes this machine (or GOBENCH_TOPOLOGY) lacks: an
                // error result, not a run without placement recorded as placed.
                try config.checkPlacement(name: "--placement")
            } catch {
                return .error("\(error)")
            }
            if settings.workload == "deep-recursion", params.string("mode") == "overflow",
               let depthFile = ProcessInfo.processInfo.environment[StackWorkloads.depthFileVariable] {
                let frame = FrameClass.nearest(params.int("frame"))
                let maxStack = (params.int("maxstack_mb") == 0 ? 64 : params.int("maxstack_mb")) << 20
                config.procs = 1
                Runtime.run(config) { StackWorkloads.overflowChild(frame: frame, maxStackBytes: maxStack, depthFile: depthFile) }
                exit(1)
            }
            guard let body = swiftWorkloads[settings.workload] else {
                return .error("\(settings.workload) has no Swift implementation")
            }
            var result: WorkloadOutcome = .error("no result")
            // The runtime's start-up work done first, on this thread: none of it beside a
            // measurement.
            if config.asyncPreemption { Runtime.prepareAsyncPreemption() }
            Runtime.run(config) {
                warmUp()
                result = body(params, procs)
            }
            return result
        case .go, .goTest, .command:
            return .error("engine \(settings.engine.rawValue) does not run in this process (the go engine is peers/go)")
        }
    }
}
