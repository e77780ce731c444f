// Executes a sweep plan: one child per run, each run's rows appended to the results file and
// flushed to disk as the run ends, SIGINT/SIGTERM honoured between writes.
//
// The results file is always a valid CSV:
// 1. A new file gets its header, fsynced, before the first run.
// 2. A run's rows go out in one write, then fsync; a failed or short write (a full disk) is cut
//    back with ftruncate to the previous end, so the file ends at a whole run.
// 3. A signal only sets a flag (and wakes the poll of the running child, which is stopped and
//    not recorded); the loop checks it between runs, so no write is ever cut in half.
// 4. `--resume` re-reads the file and skips the runs it holds, whatever their status.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// The state the signal handler touches: only async-signal-safe stores and write(2).
private var interruptWriteDescriptor: Int32 = -1
private var interruptSignalNumber: Int32 = 0

/// SIGINT/SIGTERM as a flag and a file descriptor that becomes readable, for a sweep to stop
/// cleanly between runs.
public final class InterruptMonitor: @unchecked Sendable {
    /// The read end of the self-pipe: readable once a signal came.
    public let fileDescriptor: Int32

    /// The signal received, 0 while none.
    public var signalNumber: Int32 { interruptSignalNumber }
    public var isInterrupted: Bool { interruptSignalNumber != 0 }

    /// Installs the handlers for SIGINT and SIGTERM (once per process).
    public static let installed: InterruptMonitor = InterruptMonitor()

    private init() {
        let fds = (try? ProcessExecution.closeOnExecPipe()) ?? [-1, -1]
        for fd in fds where fd >= 0 { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        fileDescriptor = fds[0]
        interruptWriteDescriptor = fds[1]
        let handler: @convention(c) (Int32) -> Void = { signal in
            interruptSignalNumber = signal
            var byte: UInt8 = 1
            if interruptWriteDescriptor >= 0 { _ = write(interruptWriteDescriptor, &byte, 1) }
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    /// Forgets a signal received (tests send one, then go on).
    func reset() {
        interruptSignalNumber = 0
        var byte: UInt8 = 0
        while read(fileDescriptor, &byte, 1) > 0 {}
    }
}

/// The results file a sweep appends to, one whole run at a time.
public final class ResultsAppender {
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for a sweep. A new or empty file gets the header. An existing file is
    /// refused unless `resume`, and then it must parse as a results file; its rows are returned.
    public static func open(path: String, resume: Bool) throws -> (appender: ResultsAppender, existing: [ResultRow]) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ResultsCSVError("cannot create the directory \(directory) for \(path): \(ResultsAppender.reason(of: error))")
            }
        }
        var existing: [ResultRow] = []
        var info = stat()
        let exists = stat(path, &info) == 0
        if exists && (info.st_mode & S_IFMT) != S_IFREG {
            throw ResultsCSVError("\(path) is not a regular file")
        }
        let hasContent = exists && info.st_size > 0
        if hasContent {
            guard resume else {
                throw ResultsCSVError("\(path) already exists; pass --resume to continue it, or choose another file with -o")
            }
            existing = try ResultsCSV.read(path: path)
        }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw ResultsCSVError("cannot open \(path) for writing: \(ProcessExecution.errnoText())")
        }
        let appender = ResultsAppender(path: path, descriptor: fd)
        if hasContent {
            // A file written by an older run may lack the final newline: add it before appending.
            if let data = FileManager.default.contents(atPath: path), data.last != UInt8(ascii: "\n") {
                try appender.append(text: "\n")
            }
        } else {
            try appender.append(text: ResultsCSV.render([], header: true))
        }
        return (appender, existing)
    }

    private init(path: String, descriptor: Int32) { self.path = path; self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Appends the rows of one run and flushes them to disk, or leaves the file as it was.
    public func append(_ rows: [ResultRow]) throws {
        try append(text: ResultsCSV.render(rows, header: false))
    }

    private func append(text: String) throws {
        let bytes = Array(text.utf8)
        let start = lseek(descriptor, 0, SEEK_END)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let why = n < 0 ? ProcessExecution.errnoText() : "nothing written"
                if start >= 0 { _ = ftruncate(descriptor, start) }
                throw ResultsCSVError("cannot write to \(path): \(why) (the runs written before are kept; continue with --resume)")
            }
            written += n
        }
        if fsync(descriptor) != 0 && errno != EINVAL {
            let why = ProcessExecution.errnoText()
            if start >= 0 { _ = ftruncate(descriptor, start) }
            throw ResultsCSVError("cannot flush \(path) to disk: \(why) (the runs written before are kept; continue with --resume)")
        }
    }

    static func reason(of error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return nsError.localizedDescription
    }
}

/// What a sweep did.
public struct SweepSummary: Sendable {
    public var completed = 0
    public var countsByStatus: [RunStatus: Int] = [:]
    /// The signal that stopped the sweep early, if one did.
    public var stoppedBySignal: Int32? = nil
    /// Runs of the plan not done (after a signal).
    public var remaining = 0

    /// `12 runs: 10 ok, 1 crashed, 1 timeout`.
    public var description: String {
        let parts = RunStatus.allCases.compactMap { status in
            countsByStatus[status].map { "\($0) \(status.rawValue)" }
        }
        return "\(completed) run\(completed == 1 ? "" : "s")" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", "))
    }
}

/// Runs the plan's runs in order and records each.
public struct SweepRunner {
    public var childRunner: ChildRunner
    public var machine: MachineInfo
    public var interrupt: InterruptMonitor?

    public init(childRunner: ChildRunner, machine: MachineInfo, interrupt: InterruptMonitor?) {
        self.childRunner = childRunner; self.machine = machine; self.interrupt = interrupt
    }

    /// Runs every planned run, appending its rows as it ends. Throws only when the file cannot
    /// be written (what was written stays valid).
    public func run(_ plan: SweepPlan, into appender: ResultsAppender, progress: ProgressReporter) throws -> SweepSummary {
        var summary = SweepSummary()
        for (index, planned) in plan.runs.enumerated() {
            if let interrupt, interrupt.isInterrupted {
                summary.stoppedBySignal = interrupt.signalNumber
                summary.remaining = plan.runs.count - index
                break
            }
            progress.willStart(planned)
            let outcome = childRunner.run(planned.settings, interrupt: interrupt)
            if outcome.interrupted {
                summary.stoppedBySignal = interrupt?.signalNumber ?? SIGINT
                summary.remaining = plan.runs.count - index
                break
            }
            let rows = outcome.rows(settings: planned.settings, rep: planned.rep,
                                    runID: SweepRunner.makeRunID(), timestamp: SweepRunner.timestamp(),
                                    machine: machine)
            try appender.append(rows)
            summary.completed += 1
            summary.countsByStatus[outcome.status, default: 0] += 1
            progress.didFinish(planned, outcome: outcome)
        }
        progress.finish()
        return summary
    }

    /// 16 hex digits, random: unique across shards and machines.
    public static func makeRunID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// ISO 8601 UTC with milliseconds: `2026-11-29T18:35:00.123Z`.
    public static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
