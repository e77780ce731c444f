// `gobench merge OUT IN...`: joins results files (a sweep's shards) into one, refusing duplicates.
import ArgumentParser
import Foundation
import GobenchKit

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join results CSV files (e.g. the shards of a sweep) into one.",
        discussion: """
        Every input must be a results file of the same schema version. A run measured twice \
        (the same cell, rep and metric in two places) is refused. OUT is written through a \
        temporary file and renamed, so it is never left half-written; an existing OUT is \
        replaced only with --force.
        """
    )

    @Argument(help: "The merged file to write.")
    var output: String

    @Argument(help: "The results files to merge.")
    var inputs: [String] = []

    @Flag(help: "Replace OUT when it exists.")
    var force = false

    func run() throws {
        try CommandErrors.reporting("merge") {
            guard !inputs.isEmpty else {
                throw SettingsError("no input files (usage: gobench merge OUT IN...)")
            }
            if FileManager.default.fileExists(atPath: output) && !force {
                throw SettingsError("\(output) already exists; pass --force to replace it")
            }
            let merged = try ResultsMerge.merge(paths: inputs, into: output)
            for warning in merged.warnings { CommandErrors.warn(warning) }
            print("wrote \(output): \(merged.runs) runs, \(merged.rows) rows from \(inputs.count) file\(inputs.count == 1 ? "" : "s")")
        }
    }
}
