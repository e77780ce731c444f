// `gobench export --format benchfmt F.csv` and `gobench import F.txt -o F.csv`: results files
// to and from Go's benchmark data format, the input of benchstat (GobenchKit/BenchFormat.swift).
import ArgumentParser
import Foundation
import GobenchKit

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case benchfmt
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a results CSV in Go's benchmark format (benchstat's input).",
        discussion: """
        One result line per ok run, its metrics as value-unit pairs; runs that are not ok have \
        no place in the format and are counted on standard error. `gobench import` reads the \
        output back into the same cells, values, units and directions.
        """)

    @Option(help: "The format: benchfmt.")
    var format: ExportFormat = .benchfmt

    @Argument(help: "The results CSV.")
    var input: String

    @Option(name: .shortAndLong, help: "Write here (through a temporary file) instead of standard output.")
    var output: String?

    func run() throws {
        try CommandErrors.reporting("export") {
            let rows = try ResultsCSV.read(path: input)
            let (text, skipped) = BenchFormat.export(rows)
            if skipped > 0 { CommandErrors.warn("\(skipped) run\(skipped == 1 ? "" : "s") not ok in \(input): not exported") }
            if let output {
                try ResultsCSV.writeAtomically(text, toPath: output)
            } else {
                print(text, terminator: "")
            }
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Read Go benchmark output (go test -bench, benchstat's input, gobench export) into a results CSV.",
        discussion: """
        Each result line is one ok run. A `BenchmarkX/k=v-P` line of package PKG becomes workload \
        go-test:PKG:BenchmarkX, engine go-test, procs P, params k=v; lines gobench export wrote \
        get their workload, engine and settings back. Directions follow Unit lines, else the rule \
        of the format (units with /s are higher-is-better, others lower).
        """)

    @Argument(help: "The benchmark-format text file (- for standard input).")
    var input: String

    @Option(name: .shortAndLong, help: "The results CSV to write.")
    var output: String

    @Flag(help: "Replace the output when it exists.")
    var force = false

    func run() throws {
        try CommandErrors.reporting("import") {
            if FileManager.default.fileExists(atPath: output) && !force {
                throw SettingsError("\(output) already exists; pass --force to replace it")
            }
            let text: String
            if input == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else {
                text = try ResultsCSV.readText(path: input)
            }
            let machine = MachineProbe.probe()
            var counter = 0
            let stamp = SweepRunner.timestamp()
            let rows = try BenchFormat.importRows(text, source: input, machine: machine, timestamp: stamp) {
                counter += 1
                return SweepRunner.makeRunID()
            }
            guard !rows.isEmpty else { throw SettingsError("\(input): no benchmark result lines") }
            try ResultsCSV.write(rows, toPath: output)
            print("wrote \(output): \(counter) runs, \(rows.count) rows")
        }
    }
}
