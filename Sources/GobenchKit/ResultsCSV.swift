// The results file: schema version 1 of docs/PROTOCOL.md section 3, read and written as
// RFC 4180 through CSV.swift.
import CSV
import Foundation

/// One row of a results file: one metric of one run.
public struct ResultRow: Equatable, Sendable {
    public static let schemaVersion = "1"
    public static let columns = [
        "schema_version", "run_id", "timestamp", "workload", "engine", "procs", "scavenge",
        "placement", "params", "rep", "status", "error", "metric", "value", "unit", "direction",
        "host", "cpu_model", "cores", "numa_nodes", "kernel", "swift_version", "go_version",
        "gobench_version", "gobench_commit",
    ]

    public var schemaVersion: String = ResultRow.schemaVersion
    public var runID: String
    public var timestamp: String
    public var workload: String
    public var engine: String
    public var procs: Int
    public var scavenge: String
    public var placement: String
    /// Canonical `key=value;key=value`, sorted by key.
    public var params: String
    public var rep: Int
    public var status: String
    public var error: String
    public var metric: String
    /// nil for a run that is not `ok`.
    public var value: Double?
    public var unit: String
    public var direction: String
    public var machine: MachineInfo

    public init(runID: String, timestamp: String, workload: String, engine: String, procs: Int,
                scavenge: String, placement: String, params: String, rep: Int, status: String,
                error: String = "", metric: String, value: Double?, unit: String, direction: String,
                machine: MachineInfo) {
        self.runID = runID; self.timestamp = timestamp; self.workload = workload
        self.engine = engine; self.procs = procs; self.scavenge = scavenge
        self.placement = placement; self.params = params; self.rep = rep; self.status = status
        self.error = error; self.metric = metric; self.value = value; self.unit = unit
        self.direction = direction; self.machine = machine
    }

    /// The settings and metric that identify a cell across files (its samples are the reps).
    public var cellKey: CellKey {
        CellKey(workload: workload, engine: engine, procs: procs, scavenge: scavenge,
                placement: placement, params: params, metric: metric)
    }

    public var fields: [String] {
        [schemaVersion, runID, timestamp, workload, engine, String(procs), scavenge, placement,
         params, String(rep), status, error, metric, value.map(ResultRow.format) ?? "", unit,
         direction, machine.host, machine.cpuModel, String(machine.cores),
         String(machine.numaNodes), machine.kernel, machine.swiftVersion, machine.goVersion,
         machine.gobenchVersion, machine.gobenchCommit]
    }

    /// Shortest text that reads back to the same Double.
    public static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// What compare matches across files.
public struct CellKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var workload, engine: String
    public var procs: Int
    public var scavenge, placement, params, metric: String

    public init(workload: String, engine: String, procs: Int, scavenge: String,
                placement: String, params: String, metric: String) {
        self.workload = workload; self.engine = engine; self.procs = procs
        self.scavenge = scavenge; self.placement = placement; self.params = params
        self.metric = metric
    }

    public static func < (a: CellKey, b: CellKey) -> Bool {
        if (a.workload, a.engine, a.procs) != (b.workload, b.engine, b.procs) {
            return (a.workload, a.engine, a.procs) < (b.workload, b.engine, b.procs)
        }
        return (a.scavenge, a.placement, a.params, a.metric)
            < (b.scavenge, b.placement, b.params, b.metric)
    }

    public var description: String {
        var s = "\(workload) \(engine) procs=\(procs) scavenge=\(scavenge) placement=\(placement)"
        if !params.isEmpty { s += " [\(params)]" }
        return s + " \(metric)"
    }
}

/// The machine a row was measured on.
public struct MachineInfo: Equatable, Hashable, Sendable {
    public var host, cpuModel: String
    public var cores, numaNodes: Int
    public var kernel, swiftVersion, goVersion, gobenchVersion, gobenchCommit: String

    public init(host: String, cpuModel: String, cores: Int, numaNodes: Int, kernel: String,
                swiftVersion: String, goVersion: String, gobenchVersion: String,
                gobenchCommit: String) {
        self.host = host; self.cpuModel = cpuModel; self.cores = cores
        self.numaNodes = numaNodes; self.kernel = kernel; self.swiftVersion = swiftVersion
        self.goVersion = goVersion; self.gobenchVersion = gobenchVersion
        self.gobenchCommit = gobenchCommit
    }

    /// Two files are from the same machine when host, CPU model, cores and nodes agree.
    public func sameMachine(as other: MachineInfo) -> Bool {
        host == other.host && cpuModel == other.cpuModel && cores == other.cores
            && numaNodes == other.numaNodes
    }
}

public struct ResultsCSVError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum ResultsCSV {
    /// Parses a whole results file. Errors name the file, the line and the bad field.
    public static func parse(_ text: String, source: String = "<input>") throws -> [ResultRow] {
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw ResultsCSVError("\(source): not a CSV file (\(error))")
        }
        guard let header = reader.headerRow else {
            throw ResultsCSVError("\(source): empty file, expected the header row")
        }
        guard header == ResultRow.columns else {
            if let v = header.first, v != "schema_version" {
                throw ResultsCSVError("\(source): not a gobench results file (first column is '\(v)', expected 'schema_version')")
            }
            throw ResultsCSVError("\(source): header does not match schema version \(ResultRow.schemaVersion) (\(header.count) columns, expected \(ResultRow.columns.count))")
        }
        var rows: [ResultRow] = []
        var line = 1
        while let f = reader.next() {
            line += 1
            if f.count == 1 && f[0].isEmpty { continue }
            guard f.count == ResultRow.columns.count else {
                throw ResultsCSVError("\(source):\(line): \(f.count) fields, expected \(ResultRow.columns.count)")
            }
            func int(_ i: Int) throws -> Int {
                guard let v = Int(f[i]) else {
                    throw ResultsCSVError("\(source):\(line): column \(ResultRow.columns[i]) is '\(f[i])', expected an integer")
                }
                return v
            }
            guard f[0] == ResultRow.schemaVersion else {
                throw ResultsCSVError("\(source):\(line): schema_version '\(f[0])' is not supported (expected \(ResultRow.schemaVersion))")
            }
            var value: Double? = nil
            if !f[13].isEmpty {
                guard let v = Double(f[13]), v.isFinite else {
                    throw ResultsCSVError("\(source):\(line): column value is '\(f[13])', expected a number")
                }
                value = v
            }
            let direction = f[15]
            guard ["lower", "higher", "none", ""].contains(direction) else {
                throw ResultsCSVError("\(source):\(line): column direction is '\(direction)', expected lower, higher or none")
            }
            let machine = MachineInfo(host: f[16], cpuModel: f[17], cores: try int(18),
                                      numaNodes: try int(19), kernel: f[20], swiftVersion: f[21],
                                      goVersion: f[22], gobenchVersion: f[23], gobenchCommit: f[24])
            rows.append(ResultRow(runID: f[1], timestamp: f[2], workload: f[3], engine: f[4],
                                  procs: try int(5), scavenge: f[6], placement: f[7], params: f[8],
                                  rep: try int(9), status: f[10], error: f[11], metric: f[12],
                                  value: value, unit: f[14], direction: direction, machine: machine))
        }
        if let e = reader.error {
            throw ResultsCSVError("\(source):\(line + 1): malformed CSV (\(e))")
        }
        return rows
    }

    public static func read(path: String) throws -> [ResultRow] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ResultsCSVError("\(path): cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ResultsCSVError("\(path): not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    /// The text of a file holding `rows`, header first.
    public static func render(_ rows: [ResultRow], header: Bool = true) -> String {
        let w = try! CSVWriter(stream: .toMemory())
        if header { try! w.write(row: ResultRow.columns) }
        for r in rows { try! w.write(row: r.fields) }
        w.stream.close()
        let data = w.stream.property(forKey: .dataWrittenToMemoryStreamKey) as! Data
        var s = String(decoding: data, as: UTF8.self)
        if !s.isEmpty && !s.hasSuffix("\n") { s += "\n" }
        return s
    }
}
