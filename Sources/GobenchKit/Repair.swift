// Which runs of a results file are whole, and `gobench repair`: a file cut by a crash (a torn
// last row, a run whose rows stop early) cut back to whole runs, atomically.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum RunCompleteness {
    /// The metrics the parent adds to every `ok` run (PROTOCOL.md section 2).
    public static let parentMetrics = ["user_cpu_seconds", "sys_cpu_seconds", "peak_rss_bytes",
                                       "voluntary_ctx_switches", "involuntary_ctx_switches", "exit_status"]

    /// An `ok` run that lacks metrics.
    public struct Incomplete: Equatable, Sendable {
        public var runID: String
        public var missing: [String]
    }

    /// The `ok` runs of `rows` that lack a metric: one the parent adds to every ok run, or one
    /// that another ok run of the same settings (workload, engine, procs, scavenge, placement,
    /// params) reports. In file order.
    public static func incompleteRuns(_ rows: [ResultRow]) -> [Incomplete] {
        var order: [String] = []
        var metricsByRun: [String: Set<String>] = [:]
        var configurationByRun: [String: CellKey] = [:]
        var expected: [CellKey: Set<String>] = [:]
        for row in rows where row.status == "ok" {
            let configuration = row.cellKey.configuration
            if metricsByRun[row.runID] == nil { order.append(row.runID); configurationByRun[row.runID] = configuration }
            metricsByRun[row.runID, default: []].insert(row.metric)
            expected[configuration, default: Set(parentMetrics)].insert(row.metric)
        }
        return order.compactMap { runID in
            let have = metricsByRun[runID]!
            let missing = expected[configurationByRun[runID]!]!.subtracting(have).sorted()
            return missing.isEmpty ? nil : Incomplete(runID: runID, missing: missing)
        }
    }
}

/// What `gobench repair` did.
public struct RepairSummary: Sendable {
    /// Bytes cut from the end (a torn row).
    public var tornBytes = 0
    /// Incomplete runs removed, and their rows.
    public var removedRuns = 0
    public var removedRows = 0
    public var keptRows = 0

    public var changed: Bool { tornBytes > 0 || removedRuns > 0 }

    public var description: String {
        guard changed else { return "nothing to repair: every row and run is whole (\(keptRows) rows)" }
        var parts: [String] = []
        if tornBytes > 0 { parts.append("cut a torn tail of \(tornBytes) bytes") }
        if removedRuns > 0 { parts.append("removed \(removedRuns) incomplete run\(removedRuns == 1 ? "" : "s") (\(removedRows) rows)") }
        return parts.joined(separator: ", ") + "; \(keptRows) rows kept"
    }
}

public enum ResultsRepair {
    /// Cuts the file at `path` back to whole runs: drops a torn last row (up to 16 lines of it,
    /// which a quoted field can span) and every incomplete run, then replaces the file
    /// atomically. Refuses a file malformed before its tail, or in use by a sweep.
    public static func repair(path: String) throws -> RepairSummary {
        let lock = try ResultsLock.acquire(for: path)
        defer { withExtendedLifetime(lock) {} }
        let text = try ResultsCSV.readText(path: path)
        var bytes = Array(text.utf8)
        let total = bytes.count
        var rows: [ResultRow] = []
        var firstError: ResultsCSVError? = nil
        for _ in 0...16 {
            do {
                rows = try bytes.withUnsafeBufferPointer { buffer in
                    try ResultsCSV.parse(String(decoding: buffer, as: UTF8.self), source: path)
                }
                firstError = nil
                break
            } catch let error as ResultsCSVError {
                if firstError == nil { firstError = error }
                guard error.kind == .malformed else { throw error }
                // Cut the last line (with or without its line end) and try again.
                if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
                guard let newline = bytes.lastIndex(of: UInt8(ascii: "\n")) else { throw error }
                bytes.removeSubrange((newline + 1)...)
            }
        }
        if let firstError {
            throw ResultsCSVError("\(firstError.description) (not a torn tail: gobench repair only cuts the last rows)")
        }
        var summary = RepairSummary()
        summary.tornBytes = total - bytes.count
        let incomplete = Set(RunCompleteness.incompleteRuns(rows).map(\.runID))
        let kept = rows.filter { !incomplete.contains($0.runID) }
        summary.removedRuns = incomplete.count
        summary.removedRows = rows.count - kept.count
        summary.keptRows = kept.count
        if summary.changed {
            try ResultsCSV.writeAtomically(renderKeepingSchema(kept, version1: isSchemaVersion1(path: path)), toPath: path)
        }
        return summary
    }

    /// For `--resume` on the file at `path`, whose lock the caller holds and whose rows are
    /// `rows`: the run that a crash cut between two of its rows is removed from the file,
    /// atomically, so that the sweep measures it again and no reader ever sees a run twice
    /// or half a run. Returns the rows kept and a one-line notice, or `rows` and nil when every
    /// run is whole (the file is then not touched).
    ///
    /// Only what a crash leaves is removed without asking: one incomplete run, the last of the
    /// file (a sweep writes each run in one write, and a resume removes the cut run before it
    /// appends). Anything else (several incomplete runs, one before whole runs: a file edited
    /// or joined by hand, or written by a gobench whose runs had other metrics), and a file
    /// that the resume refuses anyway (schema version 1, rows of another `env` than
    /// `expectedEnvironment`), is an error that points to `gobench repair`, the file unchanged.
    public static func removeIncompleteRuns(_ rows: [ResultRow], path: String,
                                            expectedEnvironment: String? = nil) throws -> (rows: [ResultRow], notice: String?) {
        let incomplete = RunCompleteness.incompleteRuns(rows)
        guard let first = incomplete.first else { return (rows, nil) }
        let tail = rows.reversed().prefix { $0.runID == first.runID }.count
        let isCrashTail = incomplete.count == 1 && !rows.dropLast(tail).contains { $0.runID == first.runID }
        let otherEnvironment = expectedEnvironment.map { expected in rows.contains { $0.env != expected } } ?? false
        guard isCrashTail, !otherEnvironment, !isSchemaVersion1(path: path) else {
            let place = isCrashTail ? "" : incomplete.count > 1 ? ", more than a crash leaves" : ", before whole runs"
            throw ResultsCSVError("\(path) holds \(incomplete.count) incomplete run\(incomplete.count == 1 ? "" : "s") (run \(first.runID) lacks \(first.missing.prefix(3).joined(separator: ", "))\(place)); `gobench repair \(path)` removes them, then --resume measures them again")
        }
        let kept = Array(rows.dropLast(tail))
        try ResultsCSV.writeAtomically(ResultsCSV.render(kept), toPath: path)
        return (kept, "removed the last run of \(path), cut by a crash (run \(first.runID), \(tail) row\(tail == 1 ? "" : "s"), lacked \(first.missing.prefix(3).joined(separator: ", "))): measuring it again")
    }

    /// The text of a file of `rows` in the schema it had: version 1 (without `env`) or 2.
    static func renderKeepingSchema(_ rows: [ResultRow], version1: Bool) -> String {
        guard version1 else { return ResultsCSV.render(rows) }
        var text = CSVRecordWriter.line(ResultRow.columnsVersion1)
        for row in rows {
            var fields = row.fields.dropLast()
            fields[fields.startIndex] = "1"
            text += CSVRecordWriter.line(Array(fields))
        }
        return text
    }

    /// True when the file at `path` starts with the header of schema version 1.
    static func isSchemaVersion1(path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 4096)) ?? Data()
        let header = String(decoding: start.prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        return header.hasSuffix(ResultRow.columnsVersion1.joined(separator: ","))
    }
}
