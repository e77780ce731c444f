// Runs one measured run as a child process (docs/PROTOCOL.md section 2): spawns it, enforces
// the timeout, reads its result line, collects its rusage and classifies the outcome.
//
// How a child is started, and why:
// 1. fork and exec in C (CProcess's gbp_spawn), no Swift code in between: the parent may have
//    threads (Foundation, Dispatch), and only async-signal-safe calls are safe in the child
//    before exec. posix_spawn would do, but cannot set the parent-death signal of step 3.
//    Every fd the parent opens is O_CLOEXEC, so the child inherits only 0, 1, 2.
// 2. The child leads its own process group, so a timeout can signal the whole group (a shell
//    script's children included), and a terminal's Ctrl-C reaches only the parent, which then
//    stops the child itself and leaves the results file valid.
// 3. The child gets SIGKILL when the parent dies (PR_SET_PDEATHSIG: SIGKILL of the parent, a
//    closed terminal, any signal that ends it), and does not start at all if the parent is
//    already gone. (The kernel sends it when the thread that started the child ends: gobench
//    starts children from its main thread.)
// 4. SIGINT, SIGTERM, SIGPIPE, SIGHUP and SIGQUIT are reset to their defaults and the signal
//    mask is emptied, whatever the parent does with them.
// 5. The parent reads stdout and stderr with poll until the child exits. It sees the exit with
//    waitid(WNOWAIT), kills stragglers in the group while the child is still an unreaped zombie
//    (so its pid, the group id, cannot be reused), then reaps it with wait4 for the rusage.
// 6. Past the timeout: for a child that runs a Go runtime (the swift engine's, Go's, a Go
//    test binary), SIGQUIT to the child first, on which it prints every goroutine and exits
//    (status 2), so that a hang is reported with where each goroutine waits, as `go test
//    -timeout` does; `quitGraceSeconds` later, or at once for any other child, SIGTERM to
//    the group, and SIGKILL `killGraceSeconds` after that. An interrupt (Ctrl-C) skips the
//    SIGQUIT.
// 7. A parent that made itself a subreaper (`becomeSubreaper`: run, sweep and tune do) also
//    kills and reaps, after each run, every descendant that left the group (setsid) and was
//    re-parented to it when its own parent ended.
// 8. Commands without a slash are looked up in PATH, skipping empty and relative entries, so
//    that nothing is run from the working directory by accident.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CProcess

/// What wait4 reports about a finished child.
public struct ResourceUsage: Equatable, Sendable {
    public var userCPUSeconds: Double
    public var systemCPUSeconds: Double
    public var peakRSSBytes: Double
    public var voluntaryContextSwitches: Double
    public var involuntaryContextSwitches: Double

    init(_ usage: rusage) {
        userCPUSeconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        systemCPUSeconds = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        peakRSSBytes = Double(usage.ru_maxrss) * 1024 // Linux reports kilobytes
        voluntaryContextSwitches = Double(usage.ru_nvcsw)
        involuntaryContextSwitches = Double(usage.ru_nivcsw)
    }

    /// The metrics the parent adds to every `ok` run (PROTOCOL.md section 2).
    public var metrics: [RunMetric] {
        [RunMetric("user_cpu_seconds", userCPUSeconds, "s", .lower),
         RunMetric("sys_cpu_seconds", systemCPUSeconds, "s", .lower),
         RunMetric("peak_rss_bytes", peakRSSBytes, "bytes", .lower),
         RunMetric("voluntary_ctx_switches", voluntaryContextSwitches, "count", .none),
         RunMetric("involuntary_ctx_switches", involuntaryContextSwitches, "count", .none)]
    }
}

/// How a process ended.
public enum ProcessTermination: Equatable, Sendable {
    case exited(Int32)
    case signaled(Int32)
}

/// A finished child process: its output, how it ended, its resource usage.
public struct ProcessExecution: Sendable {
    public var standardOutput: Data
    public var standardError: Data
    public var termination: ProcessTermination
    public var usage: ResourceUsage
    public var timedOut: Bool
    public var interrupted: Bool
    public var wallSeconds: Double
    /// The child was sent SIGQUIT at its timeout (step 6 of the header).
    public var quitSent = false

    /// The error starting the process (a missing binary), one line.
    public struct SpawnError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Most bytes kept of stdout (the result line is the last line) and of stderr.
    static let standardOutputLimit = 4 << 20
    static let standardErrorLimit = 64 << 10

    /// Runs `arguments` (the first is looked up in PATH when it has no slash) to completion.
    /// `interruptFileDescriptor` becoming readable stops the child as a timeout does.
    public static func run(_ arguments: [String], environment: [String: String]? = nil,
                           timeoutSeconds: Double?, killGraceSeconds: Double = 2,
                           quitGraceSeconds: Double? = nil,
                           interruptFileDescriptor: Int32? = nil,
                           forwardStandardErrorTo forwardDescriptor: Int32? = nil,
                           isInterrupted: () -> Bool = { false }) throws -> ProcessExecution {
        precondition(!arguments.isEmpty)
        let outPipe = try closeOnExecPipe(), errPipe: [Int32]
        do { errPipe = try closeOnExecPipe() } catch { close(outPipe[0]); close(outPipe[1]); throw error }
        let readEnds = [outPipe[0], errPipe[0]]
        defer { for fd in readEnds where fd >= 0 { close(fd) } }

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        // With the tag of the results file whose lock this process holds (Orphans.swift).
        let environmentStrings: [String] = SweepOwnerTag.tagging((environment ?? ProcessInfo.processInfo.environment)
            .map { "\($0.key)=\($0.value)" })
        let envp: [UnsafeMutablePointer<CChar>?] = environmentStrings.map { strdup($0) } + [nil]
        defer { for p in envp { free(p) } }

        let start = monotonicSeconds()
        var pid: pid_t = 0
        var spawnResult = ENOENT
        if let path = executablePath(arguments[0]) {
            spawnResult = argv.withUnsafeBufferPointer { a in
                envp.withUnsafeBufferPointer { e in
                    gbp_spawn(&pid, path, a.baseAddress, e.baseAddress, outPipe[1], errPipe[1])
                }
            }
        }
        close(outPipe[1]); close(errPipe[1])
        guard spawnResult == 0 else {
            throw SpawnError(description: "cannot start \(arguments[0]): \(String(cString: strerror(spawnResult)))")
        }
        spawnObserver?(pid)
        defer { spawnObserver?(0) }

        var output = Data(), errorOutput = Data()
        var open = [true, true]
        var timedOut = false, interrupted = false
        var termSentAt: Double? = nil, killSent = false, quitSentAt: Double? = nil
        var exited = false
        let deadline = timeoutSeconds.map { start + $0 }
        var buffer = [UInt8](repeating: 0, count: 65536)

        func readAvailable(_ index: Int) {
            let n = buffer.withUnsafeMutableBytes { read(readEnds[index], $0.baseAddress, $0.count) }
            if n > 0 {
                if index == 0 {
                    output.append(contentsOf: buffer[0..<n])
                    if output.count > standardOutputLimit { output = output.suffix(standardOutputLimit / 2) }
                } else {
                    if let fd = forwardDescriptor {
                        buffer.withUnsafeBytes { bytes in
                            var at = 0
                            while at < n {
                                let w = write(fd, bytes.baseAddress! + at, n - at)
                                if w > 0 { at += w } else if w < 0 && errno == EINTR { continue } else { break }
                            }
                        }
                    }
                    errorOutput.append(contentsOf: buffer[0..<n])
                    if errorOutput.count > standardErrorLimit { errorOutput = errorOutput.suffix(standardErrorLimit / 2) }
                }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                open[index] = false
            }
        }

        func stop(_ signal: Int32) { kill(-pid, signal) }

        while !exited {
            // Has the child exited? Look without reaping (see step 4 of the header).
            var info = siginfo_t()
            let waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if waited == 0, info._sifields._sigchld.si_pid == pid {
                exited = true
                break
            }
            // ECHILD: someone else reaped it (SIGCHLD ignored); nothing left to wait for.
            if waited != 0 && errno == ECHILD { break }
            let now = monotonicSeconds()
            if termSentAt == nil {
                if let deadline, now >= deadline { timedOut = true }
                if isInterrupted() { interrupted = true }
                if timedOut, !interrupted, let grace = quitGraceSeconds {
                    // The goroutine dump first; the group's SIGTERM once it had its time.
                    if quitSentAt == nil { kill(pid, SIGQUIT); quitSentAt = now }
                    if let sentAt = quitSentAt, now - sentAt >= grace { stop(SIGTERM); termSentAt = now }
                } else if timedOut || interrupted { stop(SIGTERM); termSentAt = now }
            } else if !killSent, let sentAt = termSentAt, now - sentAt >= killGraceSeconds {
                stop(SIGKILL); killSent = true
            }
            var fds: [pollfd] = []
            for i in 0..<2 where open[i] { fds.append(pollfd(fd: readEnds[i], events: Int16(POLLIN), revents: 0)) }
            if let fd = interruptFileDescriptor, termSentAt == nil, !interrupted {
                fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            }
            // With both pipes closed only exit is left to wait for: check often. While the
            // pipes are open, poll wakes on output or on the hang-up at exit.
            let waitMilliseconds: Int32 = open.contains(true) ? 50 : 2
            let ready = poll(&fds, nfds_t(fds.count), waitMilliseconds)
            if ready > 0 {
                for entry in fds where entry.revents != 0 {
                    if entry.fd == readEnds[0] && open[0] { readAvailable(0) }
                    else if entry.fd == readEnds[1] && open[1] { readAvailable(1) }
                }
            }
        }
        // Stragglers in the child's group (a script's children) must not outlive it.
        stop(SIGKILL)
        // Drain what the child wrote before it exited; the writers are gone, so read ends.
        for i in 0..<2 where open[i] {
            _ = fcntl(readEnds[i], F_SETFL, fcntl(readEnds[i], F_GETFL) | O_NONBLOCK)
            while open[i] {
                let before = i == 0 ? output.count : errorOutput.count
                readAvailable(i)
                if (i == 0 ? output.count : errorOutput.count) == before { break }
            }
        }
        var status: Int32 = 255 << 8 // read as exit status 255 if the child cannot be reaped
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        if isSubreaper { reapEscapedDescendants() }
        let termination: ProcessTermination = (status & 0x7f) == 0
            ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
        return ProcessExecution(standardOutput: output, standardError: errorOutput,
                                termination: termination, usage: ResourceUsage(usage),
                                timedOut: timedOut, interrupted: interrupted,
                                wallSeconds: monotonicSeconds() - start, quitSent: quitSentAt != nil)
    }

    /// Called with each child's pid when it starts, and with 0 when it has been reaped (the
    /// sweep records it beside the results file, for a later --resume to find a child that a
    /// killed sweep left). Set only from the thread that starts children.
    nonisolated(unsafe) public static var spawnObserver: ((pid_t) -> Void)? = nil

    nonisolated(unsafe) private static var isSubreaper = false

    /// Makes this process the subreaper of its descendants (see step 7 of the header).
    public static func becomeSubreaper() {
        if gbp_become_subreaper() == 0 { isSubreaper = true }
    }

    /// Kills and reaps every child of this process: called after a run's child was reaped, when
    /// any child left is a descendant of that run re-parented here. Repeats while killing
    /// one re-parents its own children (bounded).
    static func reapEscapedDescendants() {
        for _ in 0..<64 {
            let children = childProcesses(of: getpid())
            if children.isEmpty { return }
            for child in children { kill(child, SIGKILL) }
            for child in children {
                var status: Int32 = 0
                while waitpid(child, &status, 0) < 0 && errno == EINTR {}
            }
        }
    }

    /// The processes whose parent is `parent`, from /proc/PID/stat.
    static func childProcesses(of parent: pid_t) -> [pid_t] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var found: [pid_t] = []
        for entry in entries {
            guard let pid = pid_t(entry), let info = processStat(pid) else { continue }
            if info.parent == parent { found.append(pid) }
        }
        return found
    }

    /// The parent pid and start time (clock ticks since boot) of `pid`, nil when it is gone.
    public static func processStat(_ pid: pid_t) -> (parent: pid_t, startTime: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": state ppid pgrp ... starttime is field 22 of the whole line.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let parent = pid_t(fields[1]), let start = UInt64(fields[19]) else { return nil }
        return (parent, start)
    }

    /// The file `command` names: itself when it has a slash, else the first executable
    /// `DIR/command` for an absolute DIR of PATH. Empty and relative PATH entries (the working
    /// directory) are skipped.
    public static func executablePath(_ command: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if command.contains("/") { return command }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":", omittingEmptySubsequences: true)
        where directory.hasPrefix("/") {
            let candidate = directory + "/" + command
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Runs a short helper (`git`, `swift --version`) and returns its trimmed stdout, or nil
    /// when it cannot start, fails or takes longer than `timeoutSeconds`.
    public static func output(of arguments: [String], timeoutSeconds: Double = 10) -> String? {
        guard let execution = try? run(arguments, timeoutSeconds: timeoutSeconds, killGraceSeconds: 1),
              execution.termination == .exited(0), !execution.timedOut else { return nil }
        return String(decoding: execution.standardOutput, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A pipe whose ends close on exec. (Glibc's module does not export pipe2; gobench starts
    /// children from one thread only, so no spawn can slip between pipe and fcntl.)
    static func closeOnExecPipe() throws -> [Int32] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError(description: "pipe: \(errnoText())") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}

/// Builds the command line of a run for each engine. Tests substitute a fake child.
public struct EngineLauncher: Sendable {
    public var commandLine: @Sendable (RunSettings) throws -> [String]

    public init(commandLine: @escaping @Sendable (RunSettings) throws -> [String]) {
        self.commandLine = commandLine
    }

    /// The real engines: `gobench child ARGS` for swift and swift-concurrency, `gobench-go
    /// ARGS` for go, ARGS being RunSettings.childArguments for both.
    public static func standard(gobenchExecutable: String, goPeerExecutable: String) -> EngineLauncher {
        EngineLauncher { settings in
            switch settings.engine {
            case .go:
                return [goPeerExecutable] + (try settings.childArguments())
            case .goTest, .command:
                throw SettingsError("engine \(settings.engine.rawValue) runs only through UserLauncher (--go-test, --command)")
            case .swift, .swiftConcurrency:
                return [gobenchExecutable, "child"] + (try settings.childArguments())
            }
        }
    }

    /// This executable's path, for `gobench child`.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
    }

    /// The Go peer: `$GOBENCH_GO_PEER`, else peers/go/bin/gobench-go under the current directory.
    public static var defaultGoPeerExecutable: String {
        if let path = ProcessInfo.processInfo.environment["GOBENCH_GO_PEER"], !path.isEmpty { return path }
        return FileManager.default.currentDirectoryPath + "/peers/go/bin/gobench-go"
    }
}

/// The classified result of one child run.
public struct ChildOutcome: Sendable {
    public var status: RunStatus
    /// Why a run is not `ok`: one line.
    public var error: String
    /// The child's metrics plus rusage and exit status; empty unless `ok`.
    public var metrics: [RunMetric]
    public var wallSeconds: Double
    /// The run was stopped by SIGINT/SIGTERM to the parent: it must not be recorded.
    public var interrupted: Bool
    /// The recorded environment the child ran with (ChildEnvironment.recordedText).
    public var recordedEnvironment: String = ""

    public init(status: RunStatus, error: String = "", metrics: [RunMetric] = [],
                wallSeconds: Double = 0, interrupted: Bool = false) {
        self.status = status; self.error = error; self.metrics = metrics
        self.wallSeconds = wallSeconds; self.interrupted = interrupted
    }

    /// The CSV rows of this run: one per metric, or one row with the reason when not `ok`.
    public func rows(settings: RunSettings, rep: Int, runID: String, timestamp: String,
                     machine: MachineInfo) -> [ResultRow] {
        func row(_ metric: RunMetric?) -> ResultRow {
            ResultRow(runID: runID, timestamp: timestamp, workload: settings.workload,
                      engine: settings.engine.rawValue, procs: settings.procs,
                      scavenge: settings.scavenge.description, placement: settings.placement.description,
                      params: settings.params.canonical, rep: rep, status: status.rawValue, error: error,
                      metric: metric?.name ?? "", value: metric?.value, unit: metric?.unit ?? "",
                      direction: metric?.direction.rawValue ?? "", machine: machine)
                .withEnv(recordedEnvironment)
        }
        if status != .ok || metrics.isEmpty { return [row(nil)] }
        return metrics.map(row)
    }
}

/// Runs measured runs, each in a fresh child process.
public struct ChildRunner: Sendable {
    public var launcher: EngineLauncher
    public var timeoutSeconds: Double
    public var killGraceSeconds: Double
    /// Copies each child's standard error to ours as it comes (still captured for the
    /// error column): on when a trace was asked for (tracesRequested).
    public var forwardsStandardError: Bool
    /// The children's environment: the allow-list and the recorded settings, nothing else.
    public var environment: ChildEnvironment
    /// Starts the runs the launcher cannot (the go-test and command engines, runs under a CPU
    /// quota: UserLauncher in GoTestEngine.swift); it returns nil for the others.
    public var customLaunch: (@Sendable (RunSettings, InterruptMonitor?, ChildRunner) -> ChildOutcome?)? = nil

    public init(launcher: EngineLauncher, timeoutSeconds: Double, killGraceSeconds: Double = 2,
                forwardsStandardError: Bool = ChildRunner.tracesRequested(),
                environment: ChildEnvironment = .current) {
        self.launcher = launcher; self.timeoutSeconds = timeoutSeconds
        self.killGraceSeconds = killGraceSeconds
        self.forwardsStandardError = forwardsStandardError
        self.environment = environment
    }

    /// True when the environment asks a child for a trace on its standard error: the
    /// swift runtime's GOBENCH_SCHEDTRACE, Go's GODEBUG schedtrace or scavtrace (which the
    /// swift runtime also reads). Without forwarding, `GOBENCH_SCHEDTRACE=100 gobench run`
    /// would print nothing: the lines would end in the captured output.
    public static func tracesRequested(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if let v = environment["GOBENCH_SCHEDTRACE"], let ms = Int(v.trimmingCharacters(in: .whitespaces)), ms > 0 {
            return true
        }
        for setting in (environment["GODEBUG"] ?? "").split(separator: ",") {
            let kv = setting.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let value = Int(kv[1]), value > 0 else { continue }
            if kv[0] == "schedtrace" || kv[0] == "scavtrace" { return true }
        }
        return false
    }

    /// Runs one child to completion and classifies it. Never throws: a child that cannot even
    /// start is an `error` run.
    public func run(_ settings: RunSettings, interrupt: InterruptMonitor? = nil) -> ChildOutcome {
        if let customLaunch, let outcome = customLaunch(settings, interrupt, self) { return outcome }
        let arguments: [String]
        do {
            arguments = try launcher.commandLine(settings)
        } catch {
            var failed = ChildOutcome(status: .error, error: "\(error)")
            failed.recordedEnvironment = environment.recordedText
            return failed
        }
        let execution: ProcessExecution
        do {
            execution = try ProcessExecution.run(
                arguments, environment: environment.variables, timeoutSeconds: timeoutSeconds, killGraceSeconds: killGraceSeconds,
                quitGraceSeconds: ChildRunner.quitGraceSeconds,
                interruptFileDescriptor: interrupt?.fileDescriptor,
                forwardStandardErrorTo: forwardsStandardError ? STDERR_FILENO : nil,
                isInterrupted: { interrupt?.isInterrupted ?? false })
        } catch {
            var failed = ChildOutcome(status: .error, error: "\(error)")
            failed.recordedEnvironment = environment.recordedText
            return failed
        }
        var outcome = ChildRunner.classify(execution, timeoutSeconds: timeoutSeconds)
        outcome.interrupted = execution.interrupted
        outcome.recordedEnvironment = environment.recordedText
        ChildRunner.showGoroutineDump(of: execution, run: "\(settings.engine.rawValue) \(settings.workload) at GOMAXPROCS \(settings.procs)",
                                      forwarded: forwardsStandardError)
        return outcome
    }

    /// How long a child that runs a Go runtime has, after its timeout's SIGQUIT, to print
    /// its goroutines and exit before the group gets SIGTERM (header, step 6). The dump
    /// takes milliseconds; the rest is room for a loaded machine.
    public static let quitGraceSeconds = 3.0

    /// Most lines of a timed-out child's goroutine dump shown on standard error.
    static let shownDumpLines = 60

    /// A child that timed out and printed Go's SIGQUIT dump: the dump (its first
    /// `shownDumpLines` lines) on gobench's standard error, under a line naming the run,
    /// unless the child's standard error was already forwarded there.
    static func showGoroutineDump(of execution: ProcessExecution, run: String, forwarded: Bool) {
        guard execution.quitSent, !forwarded, let dump = sigquitDump(in: execution.standardError) else { return }
        let lines = dump.split(separator: "\n", omittingEmptySubsequences: false)
        var text = "gobench: \(run) timed out; its goroutines at SIGQUIT:\n"
        for line in lines.prefix(shownDumpLines) { text += "  " + escapingControlCharacters(String(line)) + "\n" }
        if lines.count > shownDumpLines { text += "  ... (\(lines.count - shownDumpLines) more lines)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The goroutine dump Go's runtime (and this runtime) prints on SIGQUIT: from the
    /// `SIGQUIT: quit` line (and the detailed schedtrace just before it, when there is
    /// one) to the end; nil if there is none.
    static func sigquitDump(in data: Data) -> String? {
        let text = String(decoding: data, as: UTF8.self)
        guard let quit = text.range(of: "SIGQUIT: quit\n") else { return nil }
        var start = quit.lowerBound
        if let trace = text[..<start].range(of: "SCHED ", options: .backwards),
           trace.lowerBound == text.startIndex || text[text.index(before: trace.lowerBound)] == "\n" {
            start = trace.lowerBound
        }
        return String(text[start...]).trimmingCharacters(in: .newlines)
    }

    /// The one-line summary of a SIGQUIT dump for the row's error: the main goroutine's
    /// header (goroutine 1, else the first listed), which says where it waits, without the
    /// addresses Go's level-2 headers carry (`gp=0x... m=nil`), and how many goroutines
    /// were listed.
    static func sigquitSummary(_ data: Data) -> String? {
        guard let dump = sigquitDump(in: data) else { return nil }
        let headers = dump.split(separator: "\n").map(String.init)
            .filter { $0.hasPrefix("goroutine ") && $0.hasSuffix("]:") }
        guard let first = headers.first(where: { $0.hasPrefix("goroutine 1 ") }) ?? headers.first else {
            return "SIGQUIT listed no goroutine"
        }
        let plain = first.dropLast().replacingOccurrences(
            of: #" gp=0x[0-9a-f]+( m=nil| m=-?\d+ mp=0x[0-9a-f]+)?"#, with: "", options: .regularExpression)
        return "at SIGQUIT: \(plain) (\(headers.count) goroutine\(headers.count == 1 ? "" : "s") listed)"
    }

    /// The classification of PROTOCOL.md section 2, in this order: a timeout; a signal
    /// (crashed); a valid result line (its own status); a non-zero exit (crashed); otherwise
    /// garbage (exit 0 without a valid result line).
    public static func classify(_ execution: ProcessExecution, timeoutSeconds: Double) -> ChildOutcome {
        let stderrLine = reasonLines(of: execution.standardError)
        func with(_ reason: String) -> String {
            stderrLine.isEmpty ? reason : "\(reason): \(stderrLine)"
        }
        var outcome = ChildOutcome(status: .garbage, wallSeconds: execution.wallSeconds)
        if execution.timedOut || execution.interrupted {
            outcome.status = .timeout
            outcome.error = execution.interrupted ? "interrupted" : "no result within the \(DurationText.humanSeconds(timeoutSeconds)) timeout"
            if !execution.interrupted, execution.quitSent, let summary = sigquitSummary(execution.standardError) {
                outcome.error = oneLine("\(outcome.error); \(summary)")
            }
            return outcome
        }
        if case .signaled(let signal) = execution.termination {
            outcome.status = .crashed
            outcome.error = with("killed by signal \(signal) (\(signalName(signal)))")
            return outcome
        }
        guard case .exited(let exitStatus) = execution.termination else { return outcome }
        switch ChildResult.parse(lastLine(of: execution.standardOutput)) {
        case .success(let result):
            outcome.status = result.status
            switch result.status {
            case .ok:
                var metrics = result.metrics
                let names = Set(metrics.map(\.name))
                let added = execution.usage.metrics + [RunMetric("exit_status", Double(exitStatus), "code", .none)]
                metrics += added.filter { !names.contains($0.name) }
                outcome.metrics = metrics
            case .error:
                outcome.error = result.explanation.isEmpty ? with("the child reported an error") : result.explanation
            default:
                outcome.error = result.explanation
            }
        case .failure(let problem):
            if exitStatus != 0 {
                outcome.status = .crashed
                outcome.error = with("exited with status \(exitStatus) without a result line")
            } else {
                outcome.status = .garbage
                outcome.error = problem.description
            }
        }
        outcome.error = oneLine(outcome.error)
        return outcome
    }

    static func lastLine(of data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    }

    /// What explains a failed child, from its stderr: the first line that starts with
    /// `fatal error:` or `panic:` (Go's and gobench's runtime, which print the goroutine dump
    /// after it) or holds Swift's `Fatal error:`, followed by the first `runtime:` line in
    /// parentheses when one came before it (`runtime: goroutine stack exceeds ...`); else the
    /// first `runtime:` line; without any, the last two non-empty lines, joined. At most 300 characters, control characters shown escaped.
    static func reasonLines(of data: Data) -> String {
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let fatal = lines.firstIndex { line in
            line.hasPrefix("fatal error:") || line.hasPrefix("panic:") || line.contains("Fatal error:")
        }
        let runtime = lines.firstIndex { $0.hasPrefix("runtime:") }
        switch (fatal, runtime) {
        case (let f?, let r?) where r < f: return oneLine("\(lines[f]) (\(lines[r]))")
        case (let f?, _): return oneLine(lines[f])
        case (nil, let r?): return oneLine(lines[r])
        default: break
        }
        return oneLine(lines.suffix(2).joined(separator: " | "))
    }

    static func oneLine(_ text: String) -> String {
        let flat = escapingControlCharacters(text.split(whereSeparator: \.isNewline).joined(separator: " | "))
        return flat.count > 300 ? String(flat.prefix(297)) + "..." : flat
    }

    /// Control characters (C0, DEL, C1) as `\u{1b}`, so that a child's output cannot move the
    /// terminal's cursor or change its colours when the error is shown.
    public static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "\t" { result += " " }
            else if isControl(scalar) { result += "\\u{\(String(scalar.value, radix: 16))}" }
            else { result.unicodeScalars.append(scalar) }
        }
        return result
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGKILL: return "SIGKILL"
        case SIGTERM: return "SIGTERM"
        case SIGBUS: return "SIGBUS"
        case SIGILL: return "SIGILL"
        case SIGFPE: return "SIGFPE"
        case SIGTRAP: return "SIGTRAP"
        case SIGINT: return "SIGINT"
        default: return "signal \(signal)"
        }
    }
}
