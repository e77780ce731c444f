// The root command: one file per subcommand beside this one.
import ArgumentParser
import GobenchKit

@main
struct Gobench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gobench",
        abstract: "Go's G-M-P goroutine runtime in Swift, as a benchmark and GOMAXPROCS-tuning suite.",
        version: GobenchVersion.string,
        subcommands: [
            // Each subcommand adds itself here (one line each).
            ReportCommand.self,
            CompareCommand.self,
            TopologyCommand.self,
            ListCommand.self,
            RunCommand.self,
            SweepCommand.self,
            MergeCommand.self,
            RepairCommand.self,
            TuneCommand.self,
            ChildCommand.self,
            FiguresCommand.self,
            PlacementCheckCommand.self,
            ExportCommand.self,
            ImportCommand.self,
        ]
    )

    /// argument-parser's reading of the command line, with its errors as one line on
    /// standard error (`gobench CMD: error: ...`): a value that an option's parser refused,
    /// or that a command's `validate()` refused, is bad input (exit status 1); an option
    /// argument-parser cannot read (an unknown option, a missing value, a count that is not
    /// a number) keeps its status 64. Help and the version print as argument-parser prints them.
    static func main() {
        var command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let status = exitCode(for: error)
            if status.isSuccess { exit(withError: error) }
            let name = subcommandName(CommandLine.arguments.dropFirst().first)
            if let refusal = OptionRefusal.first { CommandErrors.fail(name, refusal) }
            // A validate() refusal: status 1 as argument-parser gives every error it did not make.
            if status == .failure { CommandErrors.fail(name, message(for: error)) }
            let help = name.isEmpty ? "gobench --help" : "gobench \(name) --help"
            CommandErrors.fail(name, "\(message(for: error)) (see \(help))", status: status.rawValue)
        }
        do {
            try command.run()
        } catch {
            exit(withError: error)
        }
    }

    /// The subcommand `argument` names, or "" (the root command).
    static func subcommandName(_ argument: String?) -> String {
        let names = configuration.subcommands.compactMap { $0.configuration.commandName }
        return argument.flatMap { names.contains($0) ? $0 : nil } ?? ""
    }
}
