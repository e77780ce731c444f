// Joins results files (the shards of one sweep, or sweeps run apart) into one, refusing a run
// that appears twice, and writes the result atomically (a temporary file, then rename).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ResultsMerge {
    /// One run's metric, the unit a merge must not hold twice.
    struct SampleKey: Hashable {
        var settings: [String]
        var rep: Int
        var metric: String
    }

    /// The rows of all inputs in order, and warnings (files from different machines).
    /// Errors: the same (cell, rep, metric) or the same run id in two places.
    public static func merge(_ inputs: [(source: String, rows: [ResultRow])]) throws -> (rows: [ResultRow], warnings: [String]) {
        var seen: [SampleKey: String] = [:]
        var runSources: [String: String] = [:]
        var merged: [ResultRow] = []
        var warnings: [String] = []
        var warnedSources = Set<String>()
        var firstMachine: (source: String, machine: MachineInfo)? = nil
        for (source, rows) in inputs {
            var runsInThisFile = Set<String>()
            for row in rows {
                let key = SampleKey(settings: [row.workload, row.engine, String(row.procs), row.scavenge,
                                               row.placement, row.params],
                                    rep: row.rep, metric: row.metric)
                if let other = seen[key] {
                    let cell = row.metric.isEmpty ? "\(row.cellKey.description.dropLast()) (\(row.status))" : row.cellKey.description
                    let place = other == source ? "twice in \(source)" : "in both \(other) and \(source)"
                    throw ResultsCSVError("duplicate sample \(cell) rep \(row.rep) \(place) (the same shard given twice, or overlapping sweeps?)")
                }
                seen[key] = source
                if !runsInThisFile.contains(row.runID) {
                    if let other = runSources[row.runID] {
                        throw ResultsCSVError("run \(row.runID) appears in both \(other) and \(source) (the same file given twice?)")
                    }
                    runsInThisFile.insert(row.runID)
                    runSources[row.runID] = source
                }
                if let first = firstMachine {
                    if !first.machine.sameMachine(as: row.machine), warnedSources.insert(source).inserted {
                        warnings.append("\(source) was measured on \(row.machine.host) (\(row.machine.cpuModel), \(row.machine.cores) cores) but \(first.source) on \(first.machine.host) (\(first.machine.cpuModel), \(first.machine.cores) cores)")
                    }
                } else {
                    firstMachine = (source, row.machine)
                }
                merged.append(row)
            }
        }
        return (merged, warnings)
    }

    /// Reads every input (each must be a valid results file) and merges them.
    public static func merge(paths: [String]) throws -> (rows: [ResultRow], warnings: [String]) {
        var inputs: [(source: String, rows: [ResultRow])] = []
        for path in paths { inputs.append((path, try ResultsCSV.read(path: path))) }
        return try merge(inputs)
    }

    /// Writes `text` to `path` through a temporary file in the same directory, fsync and rename:
    /// a reader sees the old file or the whole new one, never a part.
    public static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ResultsCSVError("cannot write \(path): \(ProcessExecution.errnoText()) (nothing was changed)")
        }
        let bytes = Array(text.utf8)
        var written = 0
        var failure: String? = nil
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { failure = n < 0 ? ProcessExecution.errnoText() : "nothing written"; break }
            written += n
        }
        if failure == nil && fsync(fd) != 0 { failure = ProcessExecution.errnoText() }
        close(fd)
        if failure == nil && rename(temporary, path) != 0 { failure = ProcessExecution.errnoText() }
        if let failure {
            unlink(temporary)
            throw ResultsCSVError("cannot write \(path): \(failure) (nothing was changed)")
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }
}
