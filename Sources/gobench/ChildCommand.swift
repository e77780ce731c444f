// `gobench child`: runs one measured run in this process and prints the result line
// (docs/PROTOCOL.md section 2). The sweep starts it; it is hidden from help.
import ArgumentParser
import Foundation
import Workloads

struct ChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "child",
        abstract: "Run one workload in this process and print its result line (used by run and sweep).",
        shouldDisplay: false)

    @Option(help: "The workload.") var workload: String
    @Option(help: "swift or swift-concurrency.") var engine: String = "swift"
    @Option(help: "GOMAXPROCS.") var procs: Int = 1
    @Option(help: "off or a scavenge interval.") var scavenge: String = "off"
    @Option(help: "none, compact, spread or nodes=LIST.") var placement: String = "none"
    @Option(name: .customLong("param"), help: "KEY=VALUE (repeatable).") var params: [String] = []

    func run() throws {
        var overrides: [String: String] = [:]
        for p in params {
            guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
                print("{\"gobench_result\":1,\"status\":\"error\",\"error\":\"--param \(p): expected KEY=VALUE\"}")
                throw ExitCode(1)
            }
            overrides[String(p[..<eq])] = String(p[p.index(after: eq)...])
        }
        let (line, status) = WorkloadRunner.run(workload: workload, engine: engine, procs: procs,
                                                scavenge: scavenge, placement: placement, overrides: overrides)
        print(line)
        fflush(stdout)
        // The runtime's threads and parked goroutines end with the process, as Go's do.
        Foundation.exit(status)
    }
}
