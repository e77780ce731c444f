// `gobench figures CSV`: the README's figure table from a results file: the median of a
// metric per workload, GOMAXPROCS and engine, and the swift/go ratio (Markdown).
import ArgumentParser
import Foundation
import GobenchKit

struct FiguresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "figures",
        abstract: "Print the median of a metric per workload, GOMAXPROCS and engine, with the swift/go ratio, as a Markdown table.")

    @Argument(help: "A results CSV.") var file: String
    @Option(help: "The metric.") var metric: String = "ns_per_op"

    func run() throws {
        let rows: [ResultRow]
        do { rows = try ResultsCSV.read(path: file) } catch {
            CommandErrors.fail("figures", "\(error)")
        }
        let table = FigureTable.rows(rows, metric: metric)
        if table.isEmpty { CommandErrors.fail("figures", "\(file): no ok samples of \(metric)") }
        print(FigureTable.markdown(table, metric: metric), terminator: "")
    }
}
