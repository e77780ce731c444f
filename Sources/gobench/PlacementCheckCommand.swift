// `gobench placement-check`: the runtime's own placement self-check (hidden; used by the
// multi-node VM check). Exit status 0 when every P's M runs on the P's CPUs and every run
// queue is on the P's node, 1 otherwise.
import ArgumentParser
import Foundation
import Runtime

struct PlacementCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "placement-check",
        abstract: "Check, inside a running runtime, that Ms and run queues follow the placement.",
        shouldDisplay: false)

    @Option(help: "GOMAXPROCS.") var procs: Int = 2
    @Option(help: "none, compact, spread or nodes=LIST.") var placement: String = "compact"

    func run() throws {
        var config = RuntimeConfiguration.fromEnvironment()
        config.procs = procs
        config.placement = try PlacementPolicy(parsing: placement)
        var result = PlacementCheckResult()
        Runtime.run(config) { result = Runtime.placementCheck() }
        for p in result.processors {
            print("P\(p.id) node=\(p.node) cpus=\(p.cpus) thread_cpus=\(p.threadCPUs) queue_node=\(p.queueNode) stack_node=\(p.stackNode)")
        }
        for f in result.freeGoroutines {
            print("P\(f.id) free_goroutines_cached=\(f.cached) on_node=\(f.onNode)")
        }
        for problem in result.problems { print("problem: \(problem)") }
        print(result.problems.isEmpty ? "placement-check: passed" : "placement-check: failed")
        if !result.problems.isEmpty { throw ExitCode(1) }
    }
}
