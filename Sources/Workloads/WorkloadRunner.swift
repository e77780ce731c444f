// Runs one workload in this process, on the swift or swift-concurrency engine, and
// prints the result line (docs/PROTOCOL.md section 2). `gobench child` calls this.
import Foundation
import GobenchKit
import Runtime

public enum WorkloadRunner {
    typealias Body = (Parameters, Int) -> WorkloadOutcome

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

    /// Validates the request against the catalog; runs it; returns the result line and
    /// the process exit status. For the swift engine, `configure` can adjust the runtime
    /// configuration (procs, scavenge and placement are applied here).
    public static func run(workload: String, engine: String, procs: Int, scavenge: String,
                           placement: String, overrides: [String: String]) -> (line: String, status: Int32) {
        let spec: WorkloadSpec
        let resolved: [String: String]
        do {
            spec = try Catalog.workload(named: workload)
            resolved = try spec.resolvedParameters(overrides)
            _ = try BenchmarkEngine.parse(engine)
        } catch {
            return (WorkloadOutcome.error("\(error)").resultLine(workload: workload, engine: engine), 1)
        }
        guard procs >= 1 else {
            return (WorkloadOutcome.error("procs must be at least 1, got \(procs)").resultLine(workload: workload, engine: engine), 1)
        }
        let params = Parameters(resolved)
        var effectiveProcs = procs
        if case .forced(let p) = spec.procs { effectiveProcs = p }
        let outcome: WorkloadOutcome
        switch engine {
        case "swift-concurrency":
            outcome = ConcurrencyWorkloads.run(workload, params, procs: effectiveProcs)
        case "swift":
            var config = RuntimeConfiguration.fromEnvironment()
            config.procs = effectiveProcs
            config.procsRule = "--procs \(effectiveProcs)"
            do {
                config.scavengeIntervalNanoseconds = try RuntimeConfiguration.parseInterval(scavenge, name: "--scavenge")
            } catch {
                return (WorkloadOutcome.error("\(error)").resultLine(workload: workload, engine: engine), 1)
            }
            config.placement = placement
            do {
                // A node list naming nodes this machine (or GOBENCH_TOPOLOGY) lacks: an
                // error result, not a run without placement recorded as placed.
                try config.checkPlacement(name: "--placement")
            } catch {
                return (WorkloadOutcome.error("\(error)").resultLine(workload: workload, engine: engine), 1)
            }
            if workload == "deep-recursion", params.string("mode") == "overflow",
               let depthFile = ProcessInfo.processInfo.environment[StackWorkloads.depthFileVariable] {
                let frame = FrameClass.nearest(params.int("frame"))
                let maxStack = (params.int("maxstack_mb") == 0 ? 64 : params.int("maxstack_mb")) << 20
                config.procs = 1
                Runtime.run(config) { StackWorkloads.overflowChild(frame: frame, maxStackBytes: maxStack, depthFile: depthFile) }
                exit(1)
            }
            guard let body = swiftWorkloads[workload] else {
                return (WorkloadOutcome.error("\(workload) has no Swift implementation").resultLine(workload: workload, engine: engine), 1)
            }
            var result: WorkloadOutcome = .error("no result")
            Runtime.run(config) { result = body(params, effectiveProcs) }
            outcome = result
        default:
            outcome = .error("engine \(engine) does not run in this process (the go engine is peers/go)")
        }
        switch outcome {
        case .error: return (outcome.resultLine(workload: workload, engine: engine), 1)
        default: return (outcome.resultLine(workload: workload, engine: engine), 0)
        }
    }
}
