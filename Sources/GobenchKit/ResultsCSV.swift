// The results file: schema version 2 of docs/PROTOCOL.md section 3 (version 1 files read too), read strictly and
// written as RFC 4180, with errors that name the file and the physical line.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One row of a results file: one metric of one run.
public struct ResultRow: Equatable, Sendable {
    public static let schemaVersion = "2"
    /// Version 1 had every column but the last (`env`); its files read with `env` empty.
    public static let columns = [
        "schema_version", "run_id", "timestamp", "workload", "engine", "procs", "scavenge",
        "placement", "params", "rep", "status", "error", "metric", "value", "unit", "direction",
        "host", "cpu_model", "cores", "numa_nodes", "kernel", "swift_version", "go_version",
        "gobench_version", "gobench_commit", "env",
    ]
    /// The columns of schema version 1.
    public static var columnsVersion1: [String] { Array(columns.dropLast()) }
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
    /// The recorded environment of the run (ChildEnvironment): canonical `K=V;K=V`, "" for none.
    public var env: String = ""

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
                placement: placement, params: params, metric: metric, env: env)
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
         machine.gobenchVersion, machine.gobenchCommit, env]
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
    /// The recorded environment (the `env` column); "" for none.
    public var env: String

    public init(workload: String, engine: String, procs: Int, scavenge: String,
                placement: String, params: String, metric: String, env: String = "") {
        self.workload = workload; self.engine = engine; self.procs = procs
        self.scavenge = scavenge; self.placement = placement; self.params = params
        self.metric = metric; self.env = env
    }

    public static func < (a: CellKey, b: CellKey) -> Bool {
        if (a.workload, a.engine, a.procs) != (b.workload, b.engine, b.procs) {
            return (a.workload, a.engine, a.procs) < (b.workload, b.engine, b.procs)
        }
        return (a.scavenge, a.placement, a.params, a.env, a.metric)
            < (b.scavenge, b.placement, b.params, b.env, b.metric)
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
        if !env.isEmpty { s += " {\(env)}" }
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
    /// Rows of schema version 2, or of version 1 under a version 1 header (read with `env`
    /// empty), are accepted; `ok` rows must carry a metric and a value.
    public static func parse(_ text: String, source: String = "<input>") throws -> [ResultRow] {
        var rows: [ResultRow] = []
        var decoder = RowDecoder(source: source)
        var text = text
        try text.withUTF8 { bytes in
            try decoder.feed(CSVRecordReader.withoutByteOrderMark(bytes)) { rows.append($0) }
        }
        try decoder.finish { rows.append($0) }
        return rows
    }

    /// Turns records into rows: the header checked first, then each row validated. Repeated
    /// texts (settings, units, the machine) share one copy, so that many rows cost little more
    /// than their numbers.
    struct RowDecoder {
        let source: String
        var reader = CSVRecordReader()
        var sawHeader = false
        /// The header's column count: version 2's, or version 1's (one fewer).
        var columnCount = ResultRow.columns.count
        var texts: [String: String] = [:]
        var machines: [MachineInfo: MachineInfo] = [:]
        /// Distinct texts kept for sharing; past this, texts are not shared (memory stays bounded).
        static let sharedLimit = 100_000

        init(source: String) { self.source = source }

        mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (ResultRow) throws -> Void) throws {
            do {
                var records = reader
                defer { reader = records }
                try records.feed(bytes) { try handle($0, emit) }
            } catch let error as CSVRecordReader.SyntaxError {
                throw ResultsCSVError("\(source):\(error.line): malformed CSV: \(error.message)")
            } catch let error as CSVRecordReader.EncodingError {
                throw ResultsCSVError("\(source):\(error.line): not UTF-8 text", kind: .unreadable)
            }
        }

        mutating func finish(_ emit: (ResultRow) throws -> Void) throws {
            do {
                var records = reader
                defer { reader = records }
                try records.finish { try handle($0, emit) }
            } catch let error as CSVRecordReader.SyntaxError {
                throw ResultsCSVError("\(source):\(error.line): malformed CSV: \(error.message)")
            } catch let error as CSVRecordReader.EncodingError {
                throw ResultsCSVError("\(source):\(error.line): not UTF-8 text", kind: .unreadable)
            }
            guard sawHeader else {
                throw ResultsCSVError("\(source): empty file, expected the header row")
            }
        }

        private mutating func handle(_ record: CSVRecordReader.Record, _ emit: (ResultRow) throws -> Void) throws {
            guard sawHeader else {
                let header = record
                // Version 2, or version 1 (without `env`, read with it empty).
                columnCount = header.fields == ResultRow.columnsVersion1 ? ResultRow.columns.count - 1 : ResultRow.columns.count
                guard header.fields == ResultRow.columns || header.fields == ResultRow.columnsVersion1 else {
                    if let first = header.fields.first, first != "schema_version" {
                        throw ResultsCSVError("\(source):\(header.line): not a gobench results file (first column is '\(first.clippedForMessage)', expected 'schema_version')")
                    }
                    throw ResultsCSVError("\(source):\(header.line): header does not match schema version \(ResultRow.schemaVersion) (\(header.fields.count) columns, expected \(ResultRow.columns.count): \(ResultRow.columns.joined(separator: ",")))", kind: .unsupportedSchema)
                }
                sawHeader = true
                return
            }
            if record.fields == [""] { return }  // a blank line
            var fields = record.fields
            // Share the texts that repeat from row to row (not run_id, timestamp, error, value).
            for i in [3, 4, 6, 7, 8, 10, 12, 14, 15] + Array(16...25) where i < fields.count {
                if let shared = texts[fields[i]] { fields[i] = shared }
                else if texts.count < Self.sharedLimit { texts[fields[i]] = fields[i] }
            }
            var row = try ResultsCSV.row(fields, line: record.line, source: source, columnCount: columnCount)
            if let shared = machines[row.machine] { row.machine = shared }
            else if machines.count < 1000 { machines[row.machine] = row.machine }
            try emit(row)
        }
    }

    /// Calls `body` with each row of the file at `path`, in order, reading it piece by piece:
    /// memory is bounded by the longest row, not by the file. Errors as `parse`, naming `path`.
    public static func forEachRow(path: String, _ body: (ResultRow) throws -> Void) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ResultsCSVError("\(path): \(errno == ENOENT ? "no such file" : "cannot read the file")", kind: .unreadable)
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw ResultsCSVError("\(path): is a directory, expected a file", kind: .unreadable)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ResultsCSVError("\(path): cannot read the file", kind: .unreadable) }
        defer { close(fd) }
        var decoder = RowDecoder(source: path)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var first = true
        while true {
            var count = 0
            // The first piece: at least 3 bytes (a byte-order mark) unless the file is shorter.
            repeat {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { throw ResultsCSVError("\(path): cannot read the file: \(String(cString: strerror(errno)))", kind: .unreadable) }
                if n == 0 { break }
                count += n
            } while first && count < 3
            if count == 0 { break }
            try buffer.withUnsafeBufferPointer { all in
                let piece = UnsafeBufferPointer(rebasing: all[0..<count])
                try decoder.feed(first ? CSVRecordReader.withoutByteOrderMark(piece) : piece, body)
            }
            first = false
        }
        try decoder.finish(body)
    }

    /// One data record to a row, validated.
    static func row(_ f: [String], line: Int, source: String, columnCount: Int) throws -> ResultRow {
        func fail(_ message: String, _ kind: ResultsCSVError.Kind = .malformed) -> ResultsCSVError {
            ResultsCSVError("\(source):\(line): \(message)", kind: kind)
        }
        guard f.count == columnCount else {
            throw fail("\(f.count) fields, expected \(columnCount) (truncated or hand-edited row?)")
        }
        let version = columnCount == ResultRow.columns.count ? ResultRow.schemaVersion : "1"
        guard f[0] == version else {
            throw fail("schema_version '\(f[0].clippedForMessage)' is not supported (expected \(version))", .unsupportedSchema)
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
            guard ResultsCSV.isDecimal(f[13]), let v = Double(f[13]), v.isFinite else {
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
            .withEnv(f.count > 25 ? f[25] : "")
    }

    /// Reads and parses the file at `path`, piece by piece (see `forEachRow`).
    public static func read(path: String) throws -> [ResultRow] {
        var rows: [ResultRow] = []
        try forEachRow(path: path) { rows.append($0) }
        return rows
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

    /// Writes `text` to `path` through a temporary file (created exclusively beside it) and
    /// a rename.
    public static func writeAtomically(_ text: String, toPath path: String) throws {
        do {
            try SafeFile.writeAtomically(text, to: path)
        } catch let error as SafeFileError {
            throw ResultsCSVError(error.description, kind: .unreadable)
        }
    }

    /// A number written in decimal: digits, one optional sign, point and exponent (`12.5`,
    /// `-3e-07`), not `0x10`, `inf` or `nan`, which Double(String) also reads.
    public static func isDecimal(_ text: String) -> Bool {
        var sawDigit = false, sawPoint = false, sawExponent = false, digitAfterExponent = false, previous: UInt8 = 0
        for (index, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                sawDigit = true
                if sawExponent { digitAfterExponent = true }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard index == 0 || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return false }
            case UInt8(ascii: "."):
                guard !sawPoint && !sawExponent else { return false }
                sawPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard sawDigit && !sawExponent else { return false }
                sawExponent = true
            default: return false
            }
            previous = c
        }
        return sawDigit && (!sawExponent || digitAfterExponent)
    }
}

/// A strict RFC 4180 reader that remembers the physical line each record starts on.
/// An unterminated quote and a stray quote inside an unquoted field are errors, not
/// characters silently lost.
/// It is fed bytes in pieces of any size and hands over each record as it ends, so that a file
/// is read with memory bounded by its longest record, not by its size.
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

    /// A field that is not UTF-8.
    struct EncodingError: Error {
        var line: Int
    }

    private enum State { case fieldStart, unquoted, quoted, quotedQuote, afterQuote }
    private static let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"),
        cr = UInt8(ascii: "\r")

    private var state = State.fieldStart
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var line = 1
    private var recordLine = 1
    private var quoteStartLine = 1
    private var recordHasContent = false  // anything read since the last line end
    private var skipLineFeed = false      // a CR ended a record: an LF right after is the same line end
    private var quotedCR = false          // a CR inside quotes counted a line: an LF right after does not
    /// Fields longer than this are refused (a results field is at most a few hundred bytes).
    static let fieldLimit = 1 << 20

    /// All records of `text`. Line ends may be LF, CRLF or CR; a leading byte-order mark is
    /// skipped; a final line end is optional. A blank line is a record of one empty field.
    /// Works on the UTF-8 bytes: every delimiter is ASCII, so no multi-byte character can
    /// be mistaken for one.
    static func records(in text: String) throws -> [Record] {
        var text = text
        return try text.withUTF8 { try records(inUTF8: $0) }
    }

    static func records(inUTF8 bytes: UnsafeBufferPointer<UInt8>) throws -> [Record] {
        var reader = CSVRecordReader()
        var records: [Record] = []
        try reader.feed(withoutByteOrderMark(bytes)) { records.append($0) }
        try reader.finish { records.append($0) }
        return records
    }

    static func withoutByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            return UnsafeBufferPointer(rebasing: bytes[3...])
        }
        return bytes
    }

    private mutating func endField() throws {
        guard let text = String(validating: field, as: UTF8.self) else { throw EncodingError(line: line) }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(_ emit: (Record) throws -> Void) throws {
        try endField()
        let record = Record(fields: fields, line: recordLine)
        fields = []
        state = .fieldStart
        recordHasContent = false
        line += 1
        recordLine = line
        try emit(record)
    }

    /// Reads the next piece of the text, handing each record that ends in it to `emit`.
    mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, _ emit: (Record) throws -> Void) throws {
        let quote = Self.quote, comma = Self.comma, lf = Self.lf, cr = Self.cr
        var i = 0
        let n = bytes.count
        while i < n {
            let c = bytes[i]
            i += 1
            if skipLineFeed {
                skipLineFeed = false
                if c == lf { continue }
            }
            switch state {
            case .quoted:
                if c == quote { state = .quotedQuote; continue }
                if c == lf { if !quotedCR { line += 1 } } else if c == cr { line += 1 }
                quotedCR = c == cr
                field.append(c)
                if field.count > Self.fieldLimit {
                    throw SyntaxError(line: quoteStartLine, message: "a field longer than \(Self.fieldLimit) bytes")
                }
                continue
            case .quotedQuote:
                if c == quote { field.append(quote); state = .quoted; quotedCR = false; continue }
                state = .afterQuote
            default:
                break
            }
            if c != cr && c != lf { recordHasContent = true }
            switch (state, c) {
            case (.afterQuote, comma), (.fieldStart, comma), (.unquoted, comma):
                try endField()
                state = .fieldStart
            case (_, cr), (_, lf):
                skipLineFeed = c == cr
                try endRecord(emit)
            case (.afterQuote, _):
                var end = i
                while end < n && bytes[end] & 0xC0 == 0x80 { end += 1 }  // the whole character
                let shown = String(decoding: UnsafeBufferPointer(rebasing: bytes[(i - 1)..<end]), as: UTF8.self)
                throw SyntaxError(line: line, message: "unexpected character '\(shown)' after a closing quote")
            case (.fieldStart, quote):
                state = .quoted
                quotedCR = false
                quoteStartLine = line
            case (.unquoted, quote):
                throw SyntaxError(line: line, message: "a quote inside an unquoted field (quote the field and double the quote)")
            default:
                state = .unquoted
                field.append(c)
                if field.count > Self.fieldLimit {
                    throw SyntaxError(line: line, message: "a field longer than \(Self.fieldLimit) bytes")
                }
            }
        }
    }

    /// The end of the text: the last record when it has no line end.
    mutating func finish(_ emit: (Record) throws -> Void) throws {
        if state == .quoted {
            throw SyntaxError(line: quoteStartLine, message: "a quoted field that starts here is never closed")
        }
        if recordHasContent {
            try endRecord(emit)
        }
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

extension ResultRow {
    /// This row with `env` set.
    func withEnv(_ env: String) -> ResultRow {
        var r = self
        r.env = env
        return r
    }
}
