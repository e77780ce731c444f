// The results file: schema version 1 of docs/PROTOCOL.md section 3, read strictly and
// written as RFC 4180, with errors that name the file and the physical line.
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
    /// The run statuses of docs/PROTOCOL.md section 2.
    public static let statuses = ["ok", "not_applicable", "error", "crashed", "timeout", "garbage"]
    /// The statuses that mean a run failed (`not_applicable` is expected, not a failure).
    public static let failureStatuses: Set<String> = ["error", "crashed", "timeout", "garbage"]

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

    /// True for a row that is a sample: status `ok` with a value.
    public var isSample: Bool { status == "ok" && value != nil }

    /// True for a run that failed (`error`, `crashed`, `timeout`, `garbage`).
    public var isFailedRun: Bool { ResultRow.failureStatuses.contains(status) }

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

    /// The same settings without the metric: what a run (and a failed run) belongs to.
    public var configuration: CellKey {
        var c = self
        c.metric = ""
        return c
    }

    public var description: String {
        var s = "\(workload) \(engine) procs=\(procs) scavenge=\(scavenge) placement=\(placement)"
        if !params.isEmpty { s += " [\(params)]" }
        return metric.isEmpty ? s : s + " \(metric)"
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

    /// A short description for messages: `host (cpu model, N cores, M nodes)`.
    public var summary: String {
        "\(host) (\(cpuModel), \(cores) core\(cores == 1 ? "" : "s"), \(numaNodes) NUMA node\(numaNodes == 1 ? "" : "s"))"
    }
}

/// A results file that cannot be used. The description is one line that names the file and,
/// where there is one, the line.
public struct ResultsCSVError: Error, CustomStringConvertible, Equatable {
    /// What went wrong, so that callers can pick an exit code.
    public enum Kind: Equatable, Sendable {
        /// The file cannot be read (missing, unreadable, not UTF-8).
        case unreadable
        /// The file is not valid CSV or a field is malformed.
        case malformed
        /// The file is a results file of another schema version (or another column set).
        case unsupportedSchema
    }

    public var description: String
    public var kind: Kind

    public init(_ description: String, kind: Kind = .malformed) {
        self.description = description.singleLineForMessage
        self.kind = kind
    }
}

public enum ResultsCSV {
    /// Parses a whole results file. Errors name the source, the physical line and the field.
    /// Only rows of schema version 1 are accepted; `ok` rows must carry a metric and a value.
    public static func parse(_ text: String, source: String = "<input>") throws -> [ResultRow] {
        let records: [CSVRecordReader.Record]
        do {
            records = try CSVRecordReader.records(in: text)
        } catch let error as CSVRecordReader.SyntaxError {
            throw ResultsCSVError("\(source):\(error.line): malformed CSV: \(error.message)")
        }
        guard let header = records.first else {
            throw ResultsCSVError("\(source): empty file, expected the header row")
        }
        guard header.fields == ResultRow.columns else {
            if let first = header.fields.first, first != "schema_version" {
                throw ResultsCSVError("\(source):\(header.line): not a gobench results file (first column is '\(first.clippedForMessage)', expected 'schema_version')")
            }
            throw ResultsCSVError("\(source):\(header.line): header does not match schema version \(ResultRow.schemaVersion) (\(header.fields.count) columns, expected \(ResultRow.columns.count): \(ResultRow.columns.joined(separator: ",")))", kind: .unsupportedSchema)
        }
        var rows: [ResultRow] = []
        rows.reserveCapacity(records.count - 1)
        for record in records.dropFirst() {
            if record.fields == [""] { continue }  // a blank line
            rows.append(try row(record.fields, line: record.line, source: source))
        }
        return rows
    }

    /// One data record to a row, validated.
    private static func row(_ f: [String], line: Int, source: String) throws -> ResultRow {
        func fail(_ message: String, _ kind: ResultsCSVError.Kind = .malformed) -> ResultsCSVError {
            ResultsCSVError("\(source):\(line): \(message)", kind: kind)
        }
        guard f.count == ResultRow.columns.count else {
            throw fail("\(f.count) fields, expected \(ResultRow.columns.count) (truncated or hand-edited row?)")
        }
        guard f[0] == ResultRow.schemaVersion else {
            throw fail("schema_version '\(f[0].clippedForMessage)' is not supported (expected \(ResultRow.schemaVersion))", .unsupportedSchema)
        }
        func int(_ i: Int, minimum: Int) throws -> Int {
            guard let v = Int(f[i]), v >= minimum else {
                throw fail("column \(ResultRow.columns[i]) is '\(f[i].clippedForMessage)', expected an integer >= \(minimum)")
            }
            return v
        }
        let status = f[10]
        guard ResultRow.statuses.contains(status) else {
            throw fail("column status is '\(status.clippedForMessage)', expected one of \(ResultRow.statuses.joined(separator: ", "))")
        }
        var value: Double? = nil
        if !f[13].isEmpty {
            guard let v = Double(f[13]), v.isFinite else {
                throw fail("column value is '\(f[13].clippedForMessage)', expected a finite number")
            }
            value = v
        }
        let direction = f[15]
        guard ["lower", "higher", "none", ""].contains(direction) else {
            throw fail("column direction is '\(direction.clippedForMessage)', expected lower, higher or none")
        }
        if status == "ok" {
            guard !f[12].isEmpty else { throw fail("status is ok but column metric is empty") }
            guard value != nil else { throw fail("status is ok but column value is empty") }
            guard !direction.isEmpty else { throw fail("status is ok but column direction is empty") }
        }
        let machine = MachineInfo(host: f[16], cpuModel: f[17], cores: try int(18, minimum: 0),
                                  numaNodes: try int(19, minimum: 0), kernel: f[20],
                                  swiftVersion: f[21], goVersion: f[22], gobenchVersion: f[23],
                                  gobenchCommit: f[24])
        return ResultRow(runID: f[1], timestamp: f[2], workload: f[3], engine: f[4],
                         procs: try int(5, minimum: 0), scavenge: f[6], placement: f[7],
                         params: f[8], rep: try int(9, minimum: 0), status: status, error: f[11],
                         metric: f[12], value: value, unit: f[14], direction: direction,
                         machine: machine)
    }

    /// Reads and parses the file at `path`.
    public static func read(path: String) throws -> [ResultRow] {
        try parse(try readText(path: path), source: path)
    }

    /// The UTF-8 text of the file at `path`, or an `.unreadable` error naming it.
    public static func readText(path: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ResultsCSVError("\(path): is a directory, expected a file", kind: .unreadable)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw ResultsCSVError("\(path): \(reason)", kind: .unreadable)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ResultsCSVError("\(path): not UTF-8 text", kind: .unreadable)
        }
        return text
    }

    /// The text of a file holding `rows`, header first (RFC 4180, LF line ends).
    public static func render(_ rows: [ResultRow], header: Bool = true) -> String {
        var s = ""
        if header { s += CSVRecordWriter.line(ResultRow.columns) }
        for r in rows { s += CSVRecordWriter.line(r.fields) }
        return s
    }

    /// Writes `rows` (with the header) to `path` atomically: a temporary file in the same
    /// folder, then a rename, so that an existing file is never left half-written.
    public static func write(_ rows: [ResultRow], toPath path: String) throws {
        try writeAtomically(render(rows), toPath: path)
    }

    /// Writes `text` to `path` through a temporary file and a rename.
    public static func writeAtomically(_ text: String, toPath path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        do {
            try Data(text.utf8).write(to: temporary)
        } catch {
            throw ResultsCSVError("\(path): cannot write (\(error.localizedDescription))", kind: .unreadable)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw ResultsCSVError("\(path): cannot write (\(reason))", kind: .unreadable)
        }
    }
}

/// A strict RFC 4180 reader that remembers the physical line each record starts on.
/// An unterminated quote and a stray quote inside an unquoted field are errors, not
/// characters silently lost.
struct CSVRecordReader {
    struct Record: Equatable {
        var fields: [String]
        /// 1-based physical line where the record starts.
        var line: Int
    }

    struct SyntaxError: Error {
        var line: Int
        var message: String
    }

    /// All records of `text`. Line ends may be LF, CRLF or CR; a leading byte-order mark is
    /// skipped; a final line end is optional. A blank line is a record of one empty field.
    /// Works on the UTF-8 bytes: every delimiter is ASCII, so no multi-byte character can
    /// be mistaken for one.
    static func records(in text: String) throws -> [Record] {
        var text = text
        return try text.withUTF8 { try records(inUTF8: $0) }
    }

    static func records(inUTF8 bytes: UnsafeBufferPointer<UInt8>) throws -> [Record] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"),
            cr = UInt8(ascii: "\r")
        let n = bytes.count
        var i = 0
        if n >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { i = 3 }
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var atFieldStart = true
        var recordHasContent = false  // anything read since the last line end

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }

        while i < n {
            let c = bytes[i]
            if c != cr && c != lf { recordHasContent = true }
            if atFieldStart && c == quote {
                // A quoted field: up to the closing quote; "" is one quote.
                let startLine = line
                i += 1
                var closed = false
                while i < n {
                    let q = bytes[i]
                    if q == quote {
                        if i + 1 < n && bytes[i + 1] == quote {
                            field.append(quote)
                            i += 2
                            continue
                        }
                        closed = true
                        i += 1
                        break
                    }
                    if q == lf || (q == cr && !(i + 1 < n && bytes[i + 1] == lf)) { line += 1 }
                    field.append(q)
                    i += 1
                }
                guard closed else {
                    throw SyntaxError(line: startLine, message: "a quoted field that starts here is never closed")
                }
                // After the closing quote: a comma, a line end or the end of the text.
                if i < n && bytes[i] != comma && bytes[i] != lf && bytes[i] != cr {
                    var end = i + 1
                    while end < n && bytes[end] & 0xC0 == 0x80 { end += 1 }  // the whole character
                    let shown = String(decoding: UnsafeBufferPointer(rebasing: bytes[i..<end]), as: UTF8.self)
                    throw SyntaxError(line: line, message: "unexpected character '\(shown)' after a closing quote")
                }
                atFieldStart = false
                continue
            }
            atFieldStart = false
            switch c {
            case comma:
                endField()
                atFieldStart = true
                i += 1
            case cr, lf:
                if c == cr && i + 1 < n && bytes[i + 1] == lf { i += 1 }
                i += 1
                endField()
                records.append(Record(fields: fields, line: recordLine))
                fields = []
                atFieldStart = true
                recordHasContent = false
                line += 1
                recordLine = line
            case quote:
                throw SyntaxError(line: line, message: "a quote inside an unquoted field (quote the field and double the quote)")
            default:
                field.append(c)
                i += 1
            }
        }
        if recordHasContent {
            endField()
            records.append(Record(fields: fields, line: recordLine))
        }
        return records
    }
}

/// Writes RFC 4180 records: a field is quoted when it holds a comma, a quote or a line end.
enum CSVRecordWriter {
    static func field(_ s: String) -> String {
        // On bytes, literally: a comma or quote followed by a combining mark is one Character.
        if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"", options: .literal) + "\""
        }
        return s
    }

    /// One record and its LF line end.
    static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }
}

extension String {
    /// The text on one line: line ends shown as `\n`, for error messages.
    var singleLineForMessage: String {
        var s = self
        for (from, to) in [("\r\n", "\\n"), ("\n", "\\n"), ("\r", "\\r")] {
            s = s.replacingOccurrences(of: from, with: to, options: .literal)  // literal: a line end before a combining mark too
        }
        return s
    }

    /// At most 60 characters of the text, for quoting a bad field in a message.
    var clippedForMessage: String {
        let one = singleLineForMessage
        return one.count <= 60 ? one : String(one.prefix(57)) + "..."
    }
}
