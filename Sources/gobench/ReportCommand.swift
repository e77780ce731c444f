// `gobench report`: one self-contained HTML page of charts and tables from results CSVs.
import ArgumentParser
import Foundation
import GobenchKit

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report (inline SVG charts) from results CSV files.",
        discussion: """
        Throughput against GOMAXPROCS per workload and engine with 95 % confidence intervals \
        and the swift/go ratio, scavenge interval against memory and latency, placements side \
        by side, failed runs, and with --base a comparison (the statistics of gobench compare). \
        The page needs no network.
        """
    )

    @Argument(help: "Results CSV files (schema version 1).")
    var files: [String] = []

    @Option(name: .shortAndLong, help: "The HTML file to write (replaced atomically).")
    var output: String = "report.html"

    @Option(help: "A base results CSV to compare the files against.")
    var base: String?

    @Option(help: "A thresholds CSV for the comparison (workload,metric,relative_percent,absolute).")
    var thresholds: String?

    @Option(help: "The report's title.")
    var title: String = "gobench report"

    @Flag(help: "Allow the output to be one of the inputs.")
    var force = false

    func run() throws {
        do {
            guard !files.isEmpty else {
                throw ReportError("no results file given (usage: gobench report CSV... -o report.html)")
            }
            do {
                try SafeFile.refuseOutputEqualToInput(output, inputs: files + [base, thresholds].compactMap { $0 }, force: force)
            } catch let error as SafeFileError {
                fail(error.description)
            }
            // Read row by row: memory grows with the cells and reps, not with the files' text.
            let dataset = try ReportDataset.read(paths: files)
            let baseDataset = try base.map { try ReportDataset.read(paths: [$0]) }
            let table = try thresholds.map { try ThresholdTable.read(path: $0) } ?? ThresholdTable()
            let document = ReportDocument(dataset: dataset, base: baseDataset,
                                          options: ReportOptions(title: title, thresholds: table))
            try ReportFileWriter.write(document.html(), to: output)
            print("wrote \(output)")
        } catch let error as ResultsCSVError {
            fail(error.description)
        } catch let error as ReportError {
            fail(error.description)
        } catch let error as ThresholdsError {
            fail(error.description)
        }
    }

    /// One error line on standard error and exit status 1.
    private func fail(_ message: String) -> Never { CommandErrors.fail("report", message) }
}
