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
            try ResultsCSV.writeAtomically(ResultsCSV.render(kept), toPath: path)
        }
        return summary
    }
}
