// Joins results files (the shards of one sweep, or sweeps run apart) into one, refusing a run
// that appears twice, and writes the result atomically (a temporary file, then rename).
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ResultsMerge {
    /// The rows of all inputs in order, and warnings (files from different machines).
    /// Errors: the same (cell, rep, metric) or the same run id in two places.
    public static func merge(_ inputs: [(source: String, rows: [ResultRow])]) throws -> (rows: [ResultRow], warnings: [String]) {
        var checker = Checker()
        var merged: [ResultRow] = []
        for (source, rows) in inputs {
            for row in rows {
                _ = try checker.add(row, source: source)
                merged.append(row)
            }
        }
        return (merged, checker.warnings)
    }

    /// Reads every input (each must be a valid results file) and merges them.
    public static func merge(paths: [String]) throws -> (rows: [ResultRow], warnings: [String]) {
        var inputs: [(source: String, rows: [ResultRow])] = []
        for path in paths { inputs.append((path, try ResultsCSV.read(path: path))) }
        return try merge(inputs)
    }

    /// What `merge(paths:into:)` wrote.
    public struct Written: Sendable {
        public var runs: Int
        public var rows: Int
        public var warnings: [String]
    }

    /// Merges the files at `paths` into `output`, reading each piece by piece and writing rows
    /// as they come to a temporary file that replaces `output` only when every input was read
    /// and checked. Memory holds one key per sample (to refuse duplicates), never the rows.
    public static func merge(paths: [String], into output: String) throws -> Written {
        var checker = Checker()
        var runs = 0, rows = 0
        do {
            try SafeFile.writeAtomically(to: output) { fd in
                var pending = ResultsCSV.render([], header: true)
                func flush() throws {
                    if let why = pending.withUTF8({ SafeFile.writeAll(fd, UnsafeRawBufferPointer($0)) }) {
                        throw ResultsCSVError("cannot write \(output): \(why) (nothing was changed)")
                    }
                    pending = ""
                }
                for path in paths {
                    try ResultsCSV.forEachRow(path: path) { row in
                        if try checker.add(row, source: path) { runs += 1 }
                        rows += 1
                        pending += CSVRecordWriter.line(row.fields)
                        if pending.utf8.count >= 1 << 20 { try flush() }
                    }
                }
                try flush()
            }
        } catch let error as SafeFileError {
            throw ResultsCSVError(error.description)
        }
        return Written(runs: runs, rows: rows, warnings: checker.warnings)
    }

    /// The duplicate and machine checks of a merge, one row at a time. A sample is remembered
    /// as three small numbers (its settings' and metric's indexes, its rep) and the index of
    /// its file: about 40 bytes a row, the texts kept once per cell and metric.
    struct Checker {
        struct Settings: Hashable {
            var workload, engine: String
            var procs: Int
            var scavenge, placement, params: String
        }
        struct PackedKey: Hashable {
            var settings: Int32
            var metric: Int32
            var rep: Int
        }
        var settingsIDs: [Settings: Int32] = [:]
        var metricIDs: [String: Int32] = [:]
        var seen: [PackedKey: Int32] = [:]
        var sources: [String] = []
        var runSources: [String: Int32] = [:]
        var runsInThisFile = Set<String>()
        var warnings: [String] = []
        var warnedSources = Set<String>()
        var firstMachine: (source: String, machine: MachineInfo)? = nil

        /// Checks `row` of `source`; true when it is the first row of a new run.
        mutating func add(_ row: ResultRow, source: String) throws -> Bool {
            if sources.last != source { sources.append(source); runsInThisFile = [] }
            let sourceID = Int32(sources.count - 1)
            let settings = Settings(workload: row.workload, engine: row.engine, procs: row.procs,
                                    scavenge: row.scavenge, placement: row.placement, params: row.params)
            let settingsID = settingsIDs[settings] ?? {
                let id = Int32(settingsIDs.count); settingsIDs[settings] = id; return id
            }()
            let metricID = metricIDs[row.metric] ?? {
                let id = Int32(metricIDs.count); metricIDs[row.metric] = id; return id
            }()
            let key = PackedKey(settings: settingsID, metric: metricID, rep: row.rep)
            if let otherID = seen[key] {
                let other = sources[Int(otherID)]
                let cell = row.metric.isEmpty ? "\(row.cellKey.description.dropLast()) (\(row.status))" : row.cellKey.description
                let place = other == source ? "twice in \(source)" : "in both \(other) and \(source)"
                throw ResultsCSVError("duplicate sample \(cell) rep \(row.rep) \(place) (the same shard given twice, or overlapping sweeps?)")
            }
            seen[key] = sourceID
            var newRun = false
            if !runsInThisFile.contains(row.runID) {
                if let otherID = runSources[row.runID] {
                    throw ResultsCSVError("run \(row.runID) appears in both \(sources[Int(otherID)]) and \(source) (the same file given twice?)")
                }
                runsInThisFile.insert(row.runID)
                runSources[row.runID] = sourceID
                newRun = true
            }
            if let first = firstMachine {
                if !first.machine.sameMachine(as: row.machine), warnedSources.insert(source).inserted {
                    warnings.append("\(source) was measured on \(row.machine.host) (\(row.machine.cpuModel), \(row.machine.cores) cores) but \(first.source) on \(first.machine.host) (\(first.machine.cpuModel), \(first.machine.cores) cores)")
                }
            } else {
                firstMachine = (source, row.machine)
            }
            return newRun
        }
    }

    /// Writes `text` to `path` through a temporary file in the same directory (created
    /// exclusively: a name planted in advance, a symbolic link included, is never followed),
    /// fsync and rename: a reader sees the old file or the whole new one, never a part.
    public static func writeAtomically(_ text: String, to path: String) throws {
        do {
            try SafeFile.writeAtomically(text, to: path)
        } catch let error as SafeFileError {
            throw ResultsCSVError(error.description)
        }
    }
}
