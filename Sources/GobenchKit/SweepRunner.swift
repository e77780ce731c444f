// Executes a sweep plan: one child per run, each run's rows appended to the results file and
// flushed to disk as the run ends, SIGINT/SIGTERM honoured between writes.
//
// The results file is always a valid CSV:
// 1. A new file gets its header, fsynced, before the first run.
// 2. A run's rows go out in one write, then fsync; a failed or short write (a full disk) is cut
//    back with ftruncate to the previous end, so the file ends at a whole run.
// 3. A signal only sets a flag (and wakes the poll of the running child, which is stopped and
//    not recorded); the loop checks it between runs, so no write is ever cut in half.
// 4. `--resume` re-reads the file and skips the runs it holds, whatever their status. An
//    incomplete run (a metric its cell's other runs have, or one the parent adds to every ok
//    run, missing: a crash cut the file between two rows) is removed from the file first
//    (ResultsRepair.removeIncompleteRuns), so that it is measured again. A file that ends in a
//    cut row is refused: `gobench repair` cuts it back to whole runs.
// 5. The sweep holds an exclusive flock on `.<name>.lock` beside the file from before it looks
//    at the file until it ends, so a second sweep (or --resume, or repair) on the same file is
//    refused, naming the holder's pid. A new file is created with O_EXCL. The lock file also
//    names the running child, so that the next holder stops a child (and its process group)
//    that a killed sweep left behind; the children's environment names the file and the
//    sweep (Orphans.swift), so that it also stops a descendant that left the group.
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

/// Another gobench holds the results file.
public struct ResultsLockError: Error, CustomStringConvertible {
    public var description: String
    /// The exit status of a command refused for this reason.
    public static let exitStatus: Int32 = 5
    public init(_ description: String) { self.description = description }
}

/// The exclusive lock of a results file: flock on `<dir>/.<name>.lock`, which names the holder
/// (`gobench PID`) and its running child (`child PID STARTTIME`).
public final class ResultsLock {
    public let path: String
    private let descriptor: Int32
    /// Messages about children of a killed sweep that were stopped when the lock was taken.
    public private(set) var stoppedLeftovers: [String] = []

    public static func lockPath(for results: String) -> String {
        let url = URL(fileURLWithPath: results)
        return url.deletingLastPathComponent().path + "/." + url.lastPathComponent + ".lock"
    }

    /// Takes the lock of `results`, or throws ResultsLockError naming the holder. Stops the
    /// child a previous holder recorded if it (or its group) still runs, and every process
    /// tagged for this file by a holder that is gone (SweepOwnerTag); tags the children
    /// started while the lock is held.
    public static func acquire(for results: String) throws -> ResultsLock {
        let path = lockPath(for: results)
        for _ in 0..<16 {
            // O_NOFOLLOW: a symbolic link planted at the name is refused, not followed.
            let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ResultsCSVError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw ResultsCSVError("the lock file \(path) is not a regular file")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let why = errno
                let holder = state(of: fd).holder
                close(fd)
                guard why == EWOULDBLOCK else {
                    throw ResultsCSVError("cannot lock \(path): \(String(cString: strerror(why)))")
                }
                throw ResultsLockError("\(results) is in use by another gobench (pid \(holder.map(String.init) ?? "unknown")); wait for it to end or stop it")
            }
            // The holder before may have removed the file between our open and flock: then
            // the lock is on a name nobody else sees; take it again.
            var named = stat()
            if lstat(path, &named) != 0 || named.st_ino != info.st_ino || named.st_dev != info.st_dev {
                close(fd)
                continue
            }
            let lock = ResultsLock(path: path, descriptor: fd, results: results)
            lock.stopLeftover()
            lock.stoppedLeftovers += SweepOwnerTag.stopOrphansNotice(results: results)
            lock.record(child: 0)
            SweepOwnerTag.claim(results: results)
            return lock
        }
        throw ResultsCSVError("cannot lock \(path): it keeps being replaced")
    }

    /// The results file locked.
    private let results: String

    private init(path: String, descriptor: Int32, results: String) {
        self.path = path; self.descriptor = descriptor; self.results = results
    }

    /// Removes the lock file and releases the lock (in that order, so that a waiting opener
    /// sees the name gone and retries).
    deinit {
        SweepOwnerTag.release(results: results)
        unlink(path)
        close(descriptor)
    }

    /// What a lock file says: the holder's pid, and its child's pid and start time.
    static func state(of fd: Int32) -> (holder: pid_t?, child: (pid: pid_t, start: UInt64)?) {
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return (nil, nil) }
        var holder: pid_t? = nil
        var child: (pid_t, UInt64)? = nil
        for line in String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count == 2, words[0] == "gobench" { holder = pid_t(words[1]) }
            if words.count == 3, words[0] == "child", let pid = pid_t(words[1]), pid > 0, let start = UInt64(words[2]) {
                child = (pid, start)
            }
        }
        return (holder, child)
    }

    /// Writes `gobench PID` and, when `child` is not 0, `child PID STARTTIME`.
    public func record(child: pid_t) {
        var text = "gobench \(getpid())\n"
        if child > 0, let info = ProcessExecution.processStat(child) {
            text += "child \(child) \(info.startTime)\n"
        }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        _ = ftruncate(descriptor, off_t(bytes.count))
    }

    /// Stops the child (and its process group) that the previous holder recorded, if that
    /// holder was killed and the child, or a process of its group, still runs.
    private func stopLeftover() {
        guard let child = ResultsLock.state(of: descriptor).child else { return }
        // The pid may belong to another process by now: only the same start time is the child.
        if let info = ProcessExecution.processStat(child.pid), info.startTime != child.start { return }
        let groupAlive = kill(-child.pid, 0) == 0
        let childAlive = ProcessExecution.processStat(child.pid) != nil
        guard groupAlive || childAlive else { return }
        // While any process of the group lives, its id (the child's pid) is not reused.
        kill(-child.pid, SIGKILL)
        if childAlive { kill(child.pid, SIGKILL) }
        stoppedLeftovers.append("stopped the child \(child.pid) and its process group, left running by a gobench that was killed")
    }
}

/// The results file a sweep appends to, one whole run at a time, under its lock.
public final class ResultsAppender {
    public let path: String
    private let descriptor: Int32
    /// Held until the appender is released.
    public let lock: ResultsLock
    /// What `open` changed in the file before appending (incomplete runs removed), one line each.
    public private(set) var notices: [String] = []

    /// Opens `path` for a sweep, under its lock. A new or empty file gets the header. An
    /// existing file is refused unless `resume`, and then it must parse as a results file;
    /// its incomplete runs are removed (`notices` says so; not from a file of schema version 1
    /// or with rows of another env than `expectedEnvironment`, which are refused) and its
    /// rows are returned. With `expectedEnvironment` (every command that measures into the
    /// file: sweep, tune, container tune), a file of schema version 1 or whose runs were
    /// measured under another env is refused even when every run is whole: resumed runs
    /// must share the recorded environment and the schema of the file.
    public static func open(path: String, resume: Bool,
                            expectedEnvironment: String? = nil) throws -> (appender: ResultsAppender, existing: [ResultRow]) {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ResultsCSVError("cannot create the directory \(directory) for \(path): \(ResultsAppender.reason(of: error))")
            }
        }
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw ResultsCSVError("\(path) is not a regular file")
        }
        let lock = try ResultsLock.acquire(for: path)
        // Created here, or there before: O_EXCL tells which, with no window between.
        var fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        var created = fd >= 0
        if !created && errno == EEXIST {
            fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        }
        guard fd >= 0 else {
            throw ResultsCSVError("cannot open \(path) for writing: \(ProcessExecution.errnoText())")
        }
        var existing: [ResultRow] = []
        var notices: [String] = []
        var endsWithoutNewline = false
        if !created {
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(fd)
                throw ResultsCSVError("\(path) is not a regular file")
            }
            if info.st_size == 0 {
                created = true  // an empty file: written as new
            } else {
                guard resume else {
                    close(fd)
                    throw ResultsCSVError("\(path) already exists; pass --resume to continue it, or choose another file with -o")
                }
                do {
                    existing = try ResultsCSV.read(path: path)
                    let cut = try ResultsRepair.removeIncompleteRuns(existing, path: path, expectedEnvironment: expectedEnvironment)
                    if let expectedEnvironment, let first = cut.rows.first {
                        if ResultsRepair.isSchemaVersion1(path: path) {
                            throw ResultsCSVError("\(path) has schema version 1 (no env column); --resume cannot add version 2 rows to it: start a new file", kind: .unsupportedSchema)
                        }
                        if first.env != expectedEnvironment {
                            throw ResultsCSVError("\(path) was measured with env '\(first.env)', this environment records '\(expectedEnvironment)'; --resume needs the same settings", kind: .unsupportedSchema)
                        }
                    }
                    if let notice = cut.notice {
                        // The file was replaced: append to the new one.
                        existing = cut.rows
                        notices.append(notice)
                        close(fd)
                        fd = Glibc.open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
                        guard fd >= 0, fstat(fd, &info) == 0 else {
                            throw ResultsCSVError("cannot open \(path) for writing: \(ProcessExecution.errnoText())", kind: .unreadable)
                        }
                    }
                } catch var error as ResultsCSVError {
                    close(fd)
                    if error.kind == .malformed && !error.description.contains("gobench repair") {
                        error.description += " (if the file was cut by a crash, `gobench repair \(path)` cuts it back to whole runs)"
                    }
                    throw error
                }
                var last: UInt8 = 0
                let readFD = Glibc.open(path, O_RDONLY | O_CLOEXEC)
                if readFD >= 0 {
                    if pread(readFD, &last, 1, off_t(info.st_size - 1)) == 1 { endsWithoutNewline = last != UInt8(ascii: "\n") }
                    close(readFD)
                }
            }
        }
        let appender = ResultsAppender(path: path, descriptor: fd, lock: lock)
        appender.notices = notices
        if created {
            try appender.append(text: ResultsCSV.render([], header: true))
        } else if endsWithoutNewline {
            // A file written by hand may lack the final newline: add it before appending.
            try appender.append(text: "\n")
        }
        return (appender, existing)
    }

    private init(path: String, descriptor: Int32, lock: ResultsLock) {
        self.path = path; self.descriptor = descriptor; self.lock = lock
    }

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
        // The running child's pid goes to the lock file, for the next holder to stop it if
        // this sweep is killed.
        let lock = appender.lock
        ProcessExecution.spawnObserver = { pid in lock.record(child: pid) }
        defer { ProcessExecution.spawnObserver = nil }
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
