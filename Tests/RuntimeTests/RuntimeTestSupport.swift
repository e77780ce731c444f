// Helpers shared by the runtime's tests: a runtime run with a stall watchdog, atomic
// counters, thread counts from /proc, waiting with a deadline, and the scenarios binary.
import Foundation
import XCTest
import CRuntime
@testable import Runtime

/// A counter shared by goroutines on several threads (relaxed adds, acquire loads).
final class AtomicCounter: @unchecked Sendable {
    private let word: UnsafeMutablePointer<Int64>

    init(_ value: Int64 = 0) {
        word = .allocate(capacity: 1)
        word.initialize(to: value)
    }

    deinit { word.deallocate() }

    @discardableResult
    func add(_ delta: Int64 = 1) -> Int64 { gb_add_i64(word, delta) }

    var value: Int64 { gb_load_acquire_i64(word) }

    func store(_ value: Int64) { gb_store_release_i64(word, value) }
}

/// The process's resident set in bytes (/proc/self/statm), 0 when unreadable.
func residentBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let parts = s.split(separator: " ")
    return parts.count > 1 ? (Int(parts[1]) ?? 0) * 4096 : 0
}

/// An opaque use of memory: the optimizer cannot see what this reads or writes, so the
/// stores into `p` before the call stay, and values it holds live in memory across it
/// (tests that need touched stack pages, or a frame kept across a park).
@inline(never) @_optimize(none)
func useMemory(_ p: UnsafeMutableRawPointer) {
    // (Reads, and may write as far as the optimizer knows; never writes: the flag stays false.)
    if useMemoryWrites { p.storeBytes(of: p.load(as: UInt8.self) &+ 1, as: UInt8.self) }
}
nonisolated(unsafe) var useMemoryWrites = false

/// One byte per index, each set by an atomic add, so that "ran exactly once" is checked
/// for every index, not just as a total.
final class RunOnceBitmap: @unchecked Sendable {
    let count: Int
    private let bytes: UnsafeMutablePointer<UInt32>

    init(count: Int) {
        self.count = count
        bytes = .allocate(capacity: count)
        bytes.initialize(repeating: 0, count: count)
    }

    deinit { bytes.deallocate() }

    func mark(_ index: Int) { _ = gb_add_relaxed_u32(bytes + index, 1) }

    /// The indexes that ran a number of times other than one (at most `limit` of them).
    func violations(limit: Int = 10) -> [(index: Int, runs: UInt32)] {
        var out: [(Int, UInt32)] = []
        for i in 0..<count {
            let runs = gb_load_acquire_u32(bytes + i)
            if runs != 1 {
                out.append((i, runs))
                if out.count == limit { break }
            }
        }
        return out
    }
}

enum RuntimeTestSupport {
    /// True in a debug build of the tests (smaller counts keep `swift test` fast).
    static var isDebugBuild: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }

    /// Threads of this process (entries of /proc/self/task).
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? -1
    }

    /// Waits (on the calling thread) until `condition` holds or `seconds` pass.
    static func waitOnThread(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = gb_nanotime() + Int64(seconds * 1e9)
        while gb_nanotime() < deadline {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    /// Waits inside a goroutine (yielding, then sleeping) until `condition` holds or
    /// `seconds` pass.
    static func waitInGoroutine(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = gb_nanotime() + Int64(seconds * 1e9)
        var rounds = 0
        while gb_nanotime() < deadline {
            if condition() { return true }
            rounds += 1
            if rounds < 100 { Runtime.gosched() } else { Runtime.sleep(nanoseconds: 1_000_000) }
        }
        return condition()
    }

    /// Busy work the optimizer keeps, with a preemption point every 1,024 rounds.
    @inline(never)
    static func spin(rounds: Int) -> UInt64 {
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<rounds {
            x = x &* 6364136223846793005 &+ UInt64(i)
            if i & 1023 == 0 { Runtime.preemptionPoint() }
        }
        return x
    }

    /// Runs `main` in a fresh runtime with `procs` Ps. A watchdog thread outside the
    /// runtime ends the test process with a goroutine dump if the run takes longer than
    /// `timeoutSeconds` (a hung runtime cannot be failed any other way).
    static func run(procs: Int, timeoutSeconds: Double = 60,
                    configure: (inout RuntimeConfiguration) -> Void = { _ in },
                    file: StaticString = #filePath, line: UInt = #line,
                    _ main: @escaping () -> Void) {
        var configuration = RuntimeConfiguration(procs: procs)
        configuration.scavengeIntervalNanoseconds = nil
        configure(&configuration)
        let watchdog = StallWatchdog(name: "runtime run at \(file):\(line)",
                                     stallSeconds: timeoutSeconds) { nil }
        watchdog.start()
        Runtime.run(configuration, main: main)
        watchdog.stop()
    }

    /// The user goroutines that are not dead, by state (read without locks: for failure
    /// messages only).
    static func goroutineStates() -> String {
        guard let s = sched else { return "no runtime" }
        var byState: [String: Int] = [:]
        for gp in s.allGoroutines where !gp.isSystem {
            let st = gp.status
            if st == .dead || st == .idle { continue }
            let key = st == .waiting ? "waiting (\(gp.waitReason.rawValue))" : st.description
            byState[key, default: 0] += 1
        }
        return byState.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            + "; global queue \(gb_load_relaxed_i64(s.words.globalSize)), run queues \(s.allP.map { "P\($0.id):\($0.status):\($0.runQueue.count)\($0.runQueue.runnextItem != 0 ? "+next" : "")" }.joined(separator: " "))"
    }

    // MARK: - Known runtime bugs

    /// Titles of the bugs filed in /tmp/runtime-bugs.md that tests step around. (The
    /// scavenger-timer deadlock and the false start-up deadlock are fixed: their tests
    /// fail again on a regression instead of skipping.)
    enum KnownBug: String {
        case stopTheWorldStall = "stop-the-world can wait forever for a P left stopped (GOMAXPROCS changes mixed with locked goroutines, syscalls and Goexit: stopWait stays 1 with every other P stopped)"
    }

    /// Skips a test that kills the test process because of a filed runtime bug, unless
    /// GOBENCH_RUN_KNOWN_BUGS=1 (how the runtime's author checks a fix).
    static func skipUnlessFixed(_ bug: KnownBug) throws {
        if ProcessInfo.processInfo.environment["GOBENCH_RUN_KNOWN_BUGS"] == "1" { return }
        throw XCTSkip("known runtime bug (/tmp/runtime-bugs.md): \(bug.rawValue); it ends the test process. Run with GOBENCH_RUN_KNOWN_BUGS=1 to check a fix.")
    }

    /// The false start-up deadlock (fixed): main still runnable when the deadlock is reported.
    static func isFalseStartupDeadlock(_ result: ProcessResult) -> Bool {
        result.status == 2 && result.standardError.contains("all goroutines are asleep - deadlock!")
            && result.standardError.contains("goroutine 1 [runnable]:")
    }

    // MARK: - The scenarios binary

    /// The runtime-scenarios executable: GOBENCH_SCENARIOS_BINARY, else next to the test
    /// bundle (the bundle's directory on Linux, its parent on macOS), else under a
    /// `.build*` folder of the package (any scratch path).
    static func scenariosBinary() -> String? {
        let fm = FileManager.default
        let name = "runtime-scenarios"
        var candidates: [String] = []
        if let path = ProcessInfo.processInfo.environment["GOBENCH_SCENARIOS_BINARY"] { candidates.append(path) }
        let bundle = URL(fileURLWithPath: Bundle.main.bundlePath)
        candidates.append(bundle.appendingPathComponent(name).path)
        candidates.append(bundle.deletingLastPathComponent().appendingPathComponent(name).path)
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent(name).path)
        }
        if let exe = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path)
        }
        for bundleForClass in Bundle.allBundles where bundleForClass.bundlePath.hasSuffix(".xctest") {
            let url = URL(fileURLWithPath: bundleForClass.bundlePath)
            candidates.append(url.deletingLastPathComponent().appendingPathComponent(name).path)
        }
        for path in candidates where fm.isExecutableFile(atPath: path) { return path }
        // The package root from this file's path: Tests/RuntimeTests/<file>.
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let scratches = ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0.hasPrefix(".build") }
        var newest: (path: String, date: Date)?
        for scratch in scratches {
            for configuration in ["debug", "release"] {
                let path = root.appendingPathComponent(scratch).appendingPathComponent(configuration)
                    .appendingPathComponent(name).path
                guard fm.isExecutableFile(atPath: path),
                      let date = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date
                else { continue }
                if newest == nil || date > newest!.date { newest = (path, date) }
            }
        }
        return newest?.path
    }

    struct ProcessResult {
        var status: Int32
        var standardOutput: String
        var standardError: String
        var timedOut: Bool
        /// Ended by a signal (its status is then the signal's number).
        var signalled = false
        var standardErrorLines: [String] { standardError.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        var standardOutputLines: [String] { standardOutput.split(separator: "\n").map(String.init) }
    }

    /// Runs one scenario in a child process; kills it after `timeoutSeconds`.
    static func runScenario(_ name: String, environment: [String: String] = [:],
                            timeoutSeconds: Double = 30) throws -> ProcessResult {
        guard let binary = scenariosBinary() else {
            throw XCTSkip("runtime-scenarios binary not found next to the test bundle or under .build*/ (set GOBENCH_SCENARIOS_BINARY)")
        }
        var env = ProcessInfo.processInfo.environment
        for key in ["GOMAXPROCS", "GOBENCH_SCAVENGE", "GOBENCH_MAXSTACK", "GOBENCH_STACK_SIZE",
                    "GOBENCH_CONTEXT", "GOBENCH_PLACEMENT", "GOBENCH_SCHEDTRACE", "GOBENCH_STACKGC", "GOBENCH_TOPOLOGY",
                    "GODEBUG", "GOTRACEBACK"] { env[key] = nil }
        for (key, value) in environment { env[key] = value }
        return try runProcess(binary, [name], environment: env, timeoutSeconds: timeoutSeconds)
    }

    /// Runs `executable` with `arguments` and exactly `environment`, its output in files
    /// (a pipe could fill and stall a child that prints much); kills it after
    /// `timeoutSeconds`, counted from when `afterStart` returns. `afterStart` gets the
    /// running process and a reader of its standard output so far (to wait for a line, then
    /// signal it).
    static func runProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                           timeoutSeconds: Double,
                           afterStart: ((Process, () -> String) -> Void)? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let outFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).out")
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        afterStart?(process, { (try? String(contentsOf: outFile, encoding: .utf8)) ?? "" })
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(2000)
        }
        process.waitUntilExit()
        let out = (try? String(contentsOf: outFile, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOf: errFile, encoding: .utf8)) ?? ""
        return ProcessResult(status: process.terminationStatus, standardOutput: out,
                             standardError: err, timedOut: timedOut,
                             signalled: process.terminationReason == .uncaughtSignal)
    }
}

/// A plain thread outside the runtime that watches a progress value: if it does not
/// change for `stallSeconds`, it prints what it can (the goroutines and their states,
/// the runtime's counters) and ends the process with status 1, naming the run.
final class StallWatchdog: @unchecked Sendable {
    let name: String
    let stallSeconds: Double
    /// The progress value; nil means "use the elapsed time only" (a plain timeout).
    let progress: () -> Int64?
    /// Extra lines for the report (a seed, for example).
    var context: () -> String = { "" }
    private let stopped = AtomicCounter()
    private let finished = AtomicCounter()
    /// When the report began (gb_nanotime), 0 before: the backstop's trigger.
    private let reportingSince = AtomicCounter()
    /// The lines written when the stall is seen and when the report itself is stuck,
    /// made up front: a stall can come from a lock that a stopped thread holds (malloc's,
    /// say), and then building a string would wait on it too.
    private let stallLine: [UInt8]
    private let stuckReportLine: [UInt8]
    /// Seconds the report may take before the backstop ends the process without it.
    static let reportSeconds: Int64 = 15

    init(name: String, stallSeconds: Double, progress: @escaping () -> Int64?) {
        self.name = name
        self.stallSeconds = stallSeconds
        self.progress = progress
        stallLine = Array("\nStallWatchdog: \(name): no progress for \(stallSeconds) s; failing the run.\n".utf8)
        stuckReportLine = Array("StallWatchdog: \(name): the report did not finish in \(StallWatchdog.reportSeconds) s (a lock held by a stopped thread?); exiting without it.\n".utf8)
    }

    func start() {
        let thread = Thread { [self] in self.watch() }
        thread.name = "stall-watchdog"
        thread.start()
        let backstop = Thread { [self] in self.backstop() }
        backstop.name = "stall-backstop"
        backstop.start()
    }

    /// Stops watching; returns once the watchdog thread has ended.
    func stop() {
        stopped.store(1)
        _ = RuntimeTestSupport.waitOnThread(seconds: 5) { finished.value == 1 }
    }

    private static func writeStandardError(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Ends the process if the report hangs. Allocates nothing once started.
    private func backstop() {
        while stopped.value == 0 {
            usleep(200_000)
            let since = reportingSince.value
            if since != 0 && gb_nanotime() - since > StallWatchdog.reportSeconds * 1_000_000_000 {
                StallWatchdog.writeStandardError(stuckReportLine)
                _exit(1)
            }
        }
    }

    private func watch() {
        defer { finished.store(1) }
        var last = progress()
        var lastChange = gb_nanotime()
        while stopped.value == 0 {
            usleep(20_000)
            let now = progress()
            if now != last || (now != nil && last == nil) {
                last = now
                lastChange = gb_nanotime()
                continue
            }
            if Double(gb_nanotime() - lastChange) / 1e9 >= stallSeconds {
                reportingSince.store(gb_nanotime())
                StallWatchdog.writeStandardError(stallLine)
                report()
            }
        }
    }

    private func report() {
        var text = context()
        if let s = sched {
            text += "gomaxprocs=\(s.gomaxprocs) machines=\(s.synced.machineCount) idleM=\(s.synced.idleMCount) lockedIdleM=\(s.synced.lockedIdleMCount) idleP=\(gb_load_relaxed_i32(s.words.idlePCount)) spinning=\(gb_load_relaxed_i32(s.words.spinningCount)) global=\(gb_load_relaxed_i64(s.words.globalSize)) live=\(gb_load_relaxed_i64(s.words.liveUserGoroutines)) stopping=\(s.isStopping) stopWait=\(s.synced.stopWait)\n"
            text += "Ps: " + s.allP.map { "P\($0.id)=\($0.status)\($0.m == nil ? "" : "/M\($0.m!.id)") q=\($0.runQueue.count)" }.joined(separator: " ") + "\n"
            text += "Ms: " + s.synced.allM.map { "M\($0.id)\($0.isSysmon ? "(sysmon)" : "") p=\($0.p?.id ?? -1) g=\($0.current?.id ?? 0) locked=\($0.lockedG?.id ?? 0)" }.joined(separator: " ") + "\n"
            for p in s.allP {
                text += "P\(p.id) status=\(p.status) runq=\(p.runQueue.count) runnext=\(p.runQueue.runnextItem != 0)\n"
            }
            // Read without locks: the runtime may be stuck holding them.
            var byState: [String: Int] = [:]
            for gp in s.allGoroutines {
                let st = gp.status
                let key = st == .waiting ? "waiting (\(gp.waitReason.rawValue))" : st.description
                byState[key, default: 0] += 1
            }
            text += "goroutines by state: \(byState.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))\n"
            text += String(Traceback.others(except: nil).prefix(4000))
        }
        text += "\n"
        fputs(text, stderr)
        fflush(stderr)
        _exit(1)
    }
}
