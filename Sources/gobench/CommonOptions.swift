// The options run, sweep and tune share: the reps, how children start (--timeout,
// --go-peer), and the user's own workloads and the CPU quota (UserWorkloadOptions).
import ArgumentParser
import Foundation
import GobenchKit

struct CommonOptions: ParsableArguments {
    @Option(help: "Measured reps (run: of its one cell; sweep: per cell; tune: per candidate and workload).")
    var reps: Int = 5

    @Option(help: "Per-run timeout (e.g. 90s, 5m); a run past it is stopped and recorded as timeout.")
    var timeout = DurationOption<TimeoutName>(argument: "120s")!

    @Option(name: .customLong("go-peer"), help: "The Go peer binary (default: $GOBENCH_GO_PEER, else peers/go/bin/gobench-go).")
    var goPeer: String?

    @OptionGroup var user: UserWorkloadOptions

    func validate() throws {
        try Bounds.checkReps(reps)
    }

    var goPeerExecutable: String { goPeer ?? EngineLauncher.defaultGoPeerExecutable }

    /// A child runner for `engines`, after checking that each engine can start.
    func childRunner(for engines: [BenchmarkEngine]) throws -> ChildRunner {
        // Descendants of a run that leave its process group come back here to be stopped.
        ProcessExecution.becomeSubreaper()
        let launcher = EngineLauncher.standard(gobenchExecutable: EngineLauncher.currentExecutable,
                                               goPeerExecutable: goPeerExecutable)
        if engines.contains(.go) && !FileManager.default.isExecutableFile(atPath: goPeerExecutable) {
            throw SettingsError("the Go peer \(goPeerExecutable) is not built: run scripts/go-env.sh, pass --go-peer PATH, or leave the go engine out")
        }
        if engines.contains(where: { $0 != .go }) {
            let probe = [EngineLauncher.currentExecutable, "child", "--help"]
            let execution = try? ProcessExecution.run(probe, timeoutSeconds: 20, killGraceSeconds: 1)
            let help = execution.map { String(decoding: $0.standardOutput, as: UTF8.self) } ?? ""
            guard let execution, execution.termination == .exited(0), help.contains("gobench child") else {
                throw SettingsError("this gobench cannot run the swift engines (`gobench child --help` failed); use --engines go")
            }
        }
        return ChildRunner(launcher: launcher, timeoutSeconds: timeout.seconds)
    }
}
