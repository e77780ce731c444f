// `gobench repair FILE`: a results file cut by a crash, cut back to whole runs.
import ArgumentParser
import Foundation
import GobenchKit

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Cut a results CSV that a crash left torn back to whole runs.",
        discussion: """
        Drops a torn last row and every ok run that lacks a metric (one the parent adds to \
        every run, or one that the other runs of its settings report), so that `sweep --resume` \
        measures those runs again (--resume removes incomplete runs itself, but refuses a file \
        that ends in a torn row). The file is replaced atomically, under the same lock a sweep \
        takes. A file malformed before its last rows is refused, unchanged.
        Exit status: 0 repaired or nothing to repair, 1 on an unreadable or malformed file, 5 \
        when another gobench holds the file.
        """
    )

    @Argument(help: "The results CSV to repair.")
    var file: String

    func run() throws {
        try CommandErrors.reporting("repair") {
            let summary = try ResultsRepair.repair(path: file)
            print("\(file): \(summary.description)")
        }
    }
}
