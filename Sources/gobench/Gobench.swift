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
}
