// `gobench child`: runs one measured run in this process and prints the result line
// (docs/PROTOCOL.md section 2). The sweep starts it with RunSettings.childArguments, and
// its arguments are read back by RunSettings(childArguments:), the one decoding; it is
// hidden from help.
import ArgumentParser
import Foundation
import GobenchKit
import Workloads

struct ChildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "child",
        abstract: "Run one workload in this process and print its result line (used by run and sweep).",
        discussion: """
        usage: gobench child --workload W [--engine swift|swift-concurrency] [--procs N] \
        [--scavenge off|DURATION] [--placement none|compact|spread|nodes=LIST] [--param KEY=VALUE ...]
        """,
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough,
              help: "--workload W --engine E --procs N --scavenge S --placement P --param K=V ...")
    var arguments: [String] = []

    func run() throws {
        if arguments == ["--help"] || arguments == ["-h"] {
            print(ChildCommand.helpMessage())
            return
        }
        let (result, status): (ChildResult, Int32)
        do {
            (result, status) = WorkloadRunner.run(try RunSettings(childArguments: arguments))
        } catch {
            (result, status) = (ChildResult(status: .error, error: "\(error)"), 1)
        }
        print(result.line)
        fflush(stdout)
        // The runtime's threads and parked goroutines end with the process, as Go's do.
        Foundation.exit(status)
    }
}
