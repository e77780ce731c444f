// The user's own code as workloads: `--go-test PKG` (the benchmarks of a Go package) and
// `--command NAME='shell command'` (any program, timed as a whole process, hyperfine's model).
//
// go-test: the package is compiled once with `go test -c`; `-test.list` gives its top-level
// benchmarks (those the first level of --bench matches), and one discovery run per top-level
// benchmark (`-test.benchtime 1x`, GOMAXPROCS=1) gives its sub-benchmarks. Each leaf is a cell:
// workload `go-test:<import path>:<BenchmarkName>`, engine `go-test`, the sub-benchmark levels
// as params (BenchFormat.parameters). A benchmark whose discovery run fails is still a cell,
// so that its failure is an error row in the results. Each run is one process of the test
// binary: `-test.run '^$' -test.bench '^Name$[/^sub$] -test.count 1 -test.benchtime T
// -test.benchmem`, with GOMAXPROCS in its environment and the placement as its CPU affinity.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One benchmark (a leaf) of a compiled package.
public struct GoTestBenchmark: Hashable, Sendable {
    public var workload: String
    /// The parameters of the sub-benchmark levels (none for a top-level benchmark).
    public var params: WorkloadParameters
    /// The full Go name: `BenchmarkSizes/size=100`.
    public var fullName: String
    public var binary: String
}

/// A `--command NAME='shell command'`.
public struct UserCommand: Hashable, Sendable {
    public var name: String
    public var shell: String
    public var workload: String { "command:\(name)" }

    public static func parse(_ text: String) throws -> UserCommand {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            throw SettingsError("command '\(text)' is not NAME='shell command'")
        }
        let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
        let shell = String(text[text.index(after: eq)...])
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw SettingsError("command name '\(name)' must be letters, digits, '-', '_' or '.'")
        }
        guard !shell.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw SettingsError("command '\(name)' has an empty shell command")
        }
        return UserCommand(name: name, shell: shell)
    }
}

public enum GoTestEngine {
    /// The Go toolchain: $GOBENCH_GO, else `.venv/bin/go` under the gobench project root
    /// (the current directory), else `go` in PATH; an absolute path.
    public static func toolchain(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 directory: String = FileManager.default.currentDirectoryPath) throws -> String {
        if let go = environment["GOBENCH_GO"], !go.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: go) else { throw SettingsError("GOBENCH_GO=\(go) is not an executable") }
            return go.hasPrefix("/") ? go : directory + "/" + go
        }
        let local = directory + "/.venv/bin/go"
        if FileManager.default.isExecutableFile(atPath: local) { return local }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/go"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return candidate.hasPrefix("/") ? candidate : directory + "/" + candidate
            }
        }
        throw SettingsError("go-test: no Go toolchain (set GOBENCH_GO, run scripts/go-env.sh, or put go in PATH)")
    }

    /// Compiles the test binary of `package` into `folder`; its path. The error of a package
    /// that does not compile is the compiler's first error line.
    public static func compile(package: String, go: String, into folder: String, timeoutSeconds: Double = 600) throws -> String {
        let safe = String(package.map { $0.isLetter || $0.isNumber ? $0 : "_" })
        let output = "\(folder)/\(safe).test"
        var arguments = [go]
        var target = package
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: package, isDirectory: &isDirectory), isDirectory.boolValue {
            // A directory: build there, so that its own go.mod is the main module.
            arguments += ["-C", package]
            target = "."
        }
        arguments += ["test", "-c", "-o", output, target]
        let execution: ProcessExecution
        do {
            execution = try ProcessExecution.run(arguments, timeoutSeconds: timeoutSeconds, killGraceSeconds: 2)
        } catch {
            throw SettingsError("go-test \(package): \(error)")
        }
        let text = String(decoding: execution.standardError + execution.standardOutput, as: UTF8.self)
        guard execution.termination == .exited(0), !execution.timedOut, FileManager.default.isExecutableFile(atPath: output) else {
            throw SettingsError("go-test \(package): does not compile: \(firstErrorLine(text))")
        }
        return output
    }

    /// The first `file.go:L:C: message` line of go's output, else its first line that is not
    /// a `# package` header.
    static func firstErrorLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if let located = lines.first(where: { $0.range(of: #"\.go:\d+(:\d+)?: "#, options: .regularExpression) != nil }) {
            return located
        }
        return lines.first { !$0.hasPrefix("#") } ?? "go test -c failed with no output"
    }

    /// Splits a -bench regex into its `/` levels (outside brackets and parentheses, after no
    /// backslash), as the testing package does.
    static func levels(ofPattern pattern: String) -> [String] {
        var result: [String] = []
        var current = ""
        var depth = 0, inBracket = false, escaped = false
        for c in pattern {
            if escaped { current.append(c); escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "[": inBracket = true
            case "]": inBracket = false
            case "(" where !inBracket: depth += 1
            case ")" where !inBracket: depth -= 1
            case "/" where !inBracket && depth == 0:
                result.append(current); current = ""; continue
            default: break
            }
            current.append(c)
        }
        result.append(current)
        return result
    }

    /// Lists the leaf benchmarks of the compiled package that `pattern` (Go's -bench syntax)
    /// selects. Throws when none matches.
    public static func discover(binary: String, package: String, pattern: String,
                                timeoutSeconds: Double = 300) throws -> [GoTestBenchmark] {
        let patternLevels = levels(ofPattern: pattern)
        guard let list = try? ProcessExecution.run([binary, "-test.list", patternLevels[0]], timeoutSeconds: 60, killGraceSeconds: 1),
              list.termination == .exited(0) else {
            throw SettingsError("go-test \(package): the test binary cannot list its benchmarks (is '\(pattern)' a valid Go regular expression?)")
        }
        let topLevel = String(decoding: list.standardOutput, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map(String.init).filter { $0.hasPrefix("Benchmark") }
        var environment = ProcessInfo.processInfo.environment
        environment["GOMAXPROCS"] = "1"
        var importPath: String? = nil
        var found: [(top: String, names: [String])] = []
        for top in topLevel {
            let selector = (["^" + BenchFormat.quoteMeta(top) + "$"] + patternLevels.dropFirst()).joined(separator: "/")
            let run = try? ProcessExecution.run([binary, "-test.run", "^$", "-test.bench", selector, "-test.benchtime", "1x",
                                                 "-test.count", "1"], environment: environment,
                                                timeoutSeconds: timeoutSeconds, killGraceSeconds: 1)
            let output = run.map { String(decoding: $0.standardOutput, as: UTF8.self) } ?? ""
            for line in output.split(whereSeparator: \.isNewline) where line.hasPrefix("pkg: ") {
                importPath = importPath ?? String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces)
            }
            let names = BenchFormat.results(in: output, expectedProcs: 1).map(\.name)
            let failed = run.map { $0.termination != .exited(0) } ?? true
            // A benchmark whose discovery failed (or printed nothing although the first level
            // matched it, with no deeper level to narrow it) stays a cell: its runs fail visibly.
            if names.isEmpty {
                if failed || patternLevels.count == 1 { found.append((top, [top])) }
            } else {
                var unique: [String] = []
                for n in names where !unique.contains(n) { unique.append(n) }
                if failed && !unique.contains(top) { unique.append(top) }
                found.append((top, unique))
            }
        }
        guard !found.isEmpty else {
            let all = (try? ProcessExecution.run([binary, "-test.list", "^Benchmark"], timeoutSeconds: 60, killGraceSeconds: 1))
                .map { String(decoding: $0.standardOutput, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init) } ?? []
            throw SettingsError("go-test \(package): no benchmark matches --bench '\(pattern)' (the package has \(all.isEmpty ? "no benchmarks" : all.joined(separator: ", ")))")
        }
        let path = importPath ?? package
        var result: [GoTestBenchmark] = []
        for (top, names) in found {
            for name in names {
                let levels = Array(name.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init))
                result.append(GoTestBenchmark(workload: "go-test:\(path):\(top)",
                                              params: BenchFormat.parameters(ofSubLevels: levels),
                                              fullName: name, binary: binary))
            }
        }
        return result
    }

    /// The outcome of one run of a test binary for `benchmark`.
    public static func classify(_ execution: ProcessExecution, benchmark: String, procs: Int,
                                timeoutSeconds: Double) -> ChildOutcome {
        let base = ChildRunner.classify(execution, timeoutSeconds: timeoutSeconds)
        var signaled = false
        if case .signaled = execution.termination { signaled = true }
        if base.status == .timeout || signaled {
            return ChildOutcome(status: base.status, error: ChildRunner.oneLine("\(benchmark): \(base.error)"), wallSeconds: execution.wallSeconds)
        }
        let output = String(decoding: execution.standardOutput, as: UTF8.self)
        let results = BenchFormat.results(in: output, expectedProcs: procs > 1 ? procs : nil)
        let mine = results.last { $0.name == benchmark && ($0.procs ?? 1) == procs }
        let failed = execution.termination != .exited(0) || output.contains("--- FAIL")
        if let mine, !failed {
            var metrics = BenchFormat.metrics(of: mine)
            metrics.append(RunMetric("wall_seconds", execution.wallSeconds, "s", .lower))
            metrics += execution.usage.metrics
            metrics.append(RunMetric("exit_status", 0, "code", .none))
            return ChildOutcome(status: .ok, metrics: metrics, wallSeconds: execution.wallSeconds)
        }
        return ChildOutcome(status: .error, error: ChildRunner.oneLine("\(benchmark): \(failureReason(output: output, errorOutput: String(decoding: execution.standardError, as: UTF8.self), termination: execution.termination))"),
                            wallSeconds: execution.wallSeconds)
    }

    /// Why a benchmark run has no result: the failure message, the panic, or no result line.
    static func failureReason(output: String, errorOutput: String, termination: ProcessTermination) -> String {
        let lines = (output + "\n" + errorOutput).split(whereSeparator: \.isNewline).map(String.init)
        if let panic = lines.firstIndex(where: { $0.hasPrefix("panic: ") }) {
            return lines[panic]
        }
        if let fail = lines.firstIndex(where: { $0.hasPrefix("--- FAIL") }) {
            let detail = lines[(fail + 1)...].prefix { $0.hasPrefix(" ") || $0.hasPrefix("\t") }
                .map { $0.trimmingCharacters(in: .whitespaces) }
            return "failed" + (detail.isEmpty ? "" : ": " + detail.joined(separator: " | "))
        }
        var reason = "printed no result line"
        if case .exited(let s) = termination, s != 0 { reason += " (exit status \(s))" }
        if case .signaled(let s) = termination { reason += " (killed by signal \(s))" }
        if let last = lines.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && $0 != "FAIL" && $0 != "PASS" }) {
            reason += ": " + last.trimmingCharacters(in: .whitespaces)
        }
        return reason
    }

    /// The outcome of one run of a `--command`: ok when it exits 0, with its wall time, CPU
    /// time, peak RSS, and any Go benchmark lines it printed.
    public static func classifyCommand(_ execution: ProcessExecution, name: String, procs: Int,
                                       timeoutSeconds: Double) -> ChildOutcome {
        let base = ChildRunner.classify(execution, timeoutSeconds: timeoutSeconds)
        if base.status == .timeout { return base }
        if case .signaled = execution.termination { return base }
        guard execution.termination == .exited(0) else {
            let status: Int32
            if case .exited(let s) = execution.termination { status = s } else { status = -1 }
            let tail = ChildRunner.reasonLines(of: execution.standardError)
            return ChildOutcome(status: .error, error: ChildRunner.oneLine("command \(name) exited with status \(status)\(tail.isEmpty ? "" : ": " + tail)"),
                                wallSeconds: execution.wallSeconds)
        }
        var metrics = [RunMetric("wall_seconds", execution.wallSeconds, "s", .lower)]
        let results = BenchFormat.results(in: String(decoding: execution.standardOutput, as: UTF8.self),
                                          expectedProcs: procs > 1 ? procs : nil)
        let distinct = Set(results.map(\.name))
        for result in results {
            let prefix = distinct.count == 1 ? "" : result.name.replacingOccurrences(of: ";", with: "_") + "."
            let more = BenchFormat.metrics(of: result, prefix: prefix).filter { m in !metrics.contains { $0.name == m.name } }
            metrics += more
        }
        metrics += execution.usage.metrics
        metrics.append(RunMetric("exit_status", 0, "code", .none))
        return ChildOutcome(status: .ok, metrics: metrics, wallSeconds: execution.wallSeconds)
    }
}

/// The user's workloads of one gobench invocation, and how to start their runs (and any run
/// under a CPU quota).
public final class UserWorkloads: @unchecked Sendable {
    public var benchmarks: [GoTestBenchmark] = []
    public var commands: [UserCommand] = []
    public var benchtime: String = "1s"
    /// The test binaries' folder, removed by `removeBinaries`.
    public var binaryFolder: String?

    public init() {}

    public var isEmpty: Bool { benchmarks.isEmpty && commands.isEmpty }

    /// The cells of the user's workloads at every procs and placement.
    public func cells(procs: [Int], placements: [PlacementPolicy]) -> [RunSettings] {
        var result: [RunSettings] = []
        for p in procs {
            for placement in placements {
                for b in benchmarks {
                    result.append(RunSettings(workload: b.workload, engine: .goTest, procs: p, scavenge: .off,
                                              placement: placement, params: b.params))
                }
                for c in commands {
                    result.append(RunSettings(workload: c.workload, engine: .command, procs: p, scavenge: .off,
                                              placement: placement, params: WorkloadParameters()))
                }
            }
        }
        return result
    }

    func benchmark(for settings: RunSettings, params: WorkloadParameters) -> GoTestBenchmark? {
        benchmarks.first { $0.workload == settings.workload && $0.params == params }
    }

    public func removeBinaries() {
        if let binaryFolder { try? FileManager.default.removeItem(atPath: binaryFolder) }
    }
}

/// Starts the runs the standard launcher cannot: the go-test and command engines, and any
/// engine's run under `--cpu-quota`. Installed as ChildRunner.customLaunch.
public struct UserLauncher: Sendable {
    public var user: UserWorkloads
    public var cgroups: CgroupQuotaRunner?
    /// The CPUs a run at (procs, placement) is pinned to; nil leaves the affinity as it is.
    public var affinity: @Sendable (Int, PlacementPolicy) -> [Int]?
    /// This process's affinity CPU count (what a child's default GOMAXPROCS starts from).
    public var cpuCount: Int
    /// Pins the calling thread to the CPUs; returns what restores its previous mask.
    public var pinThread: @Sendable ([Int]) throws -> @Sendable () -> Void

    public init(user: UserWorkloads, cgroups: CgroupQuotaRunner?, cpuCount: Int,
                affinity: @escaping @Sendable (Int, PlacementPolicy) -> [Int]?,
                pinThread: @escaping @Sendable ([Int]) throws -> @Sendable () -> Void) {
        self.user = user; self.cgroups = cgroups; self.cpuCount = cpuCount; self.affinity = affinity
        self.pinThread = pinThread
    }

    /// The outcome of `settings`, or nil when the standard way applies (a catalog engine
    /// without a quota).
    public func run(_ settings: RunSettings, interrupt: InterruptMonitor?, runner: ChildRunner) -> ChildOutcome? {
        let (quota, params) = CPUQuotaSetting.split(params: settings.params)
        let isUser = settings.engine == .goTest || settings.engine == .command
        guard isUser || quota != nil else { return nil }
        var arguments: [String]
        var environment: [String: String]? = nil
        var pinned: [Int]? = nil
        let classify: (ProcessExecution) -> ChildOutcome
        switch settings.engine {
        case .goTest:
            guard let benchmark = user.benchmark(for: settings, params: params) else {
                return ChildOutcome(status: .error, error: "\(settings.workload) [\(params)]: not a benchmark of this invocation's --go-test packages")
            }
            arguments = [benchmark.binary, "-test.run", "^$", "-test.bench", BenchFormat.exactPattern(benchmark.fullName),
                         "-test.count", "1", "-test.benchtime", user.benchtime, "-test.benchmem"]
            classify = { GoTestEngine.classify($0, benchmark: benchmark.fullName, procs: settings.procs, timeoutSeconds: runner.timeoutSeconds) }
        case .command:
            guard let command = user.commands.first(where: { $0.workload == settings.workload }) else {
                return ChildOutcome(status: .error, error: "\(settings.workload): not a --command of this invocation")
            }
            arguments = ["/bin/sh", "-c", command.shell]
            classify = { GoTestEngine.classifyCommand($0, name: command.name, procs: settings.procs, timeoutSeconds: runner.timeoutSeconds) }
        default:
            var stripped = settings
            stripped.params = params
            do { arguments = try runner.launcher.commandLine(stripped) } catch {
                return ChildOutcome(status: .error, error: "\(error)")
            }
            classify = { ChildRunner.classify($0, timeoutSeconds: runner.timeoutSeconds) }
        }
        // The children's environment is the runner's (the allow-list and the recorded
        // settings: ChildEnvironment), whatever the engine; a user's program gets GOMAXPROCS
        // there too (a catalog child gets it on its command line). A variable the user's
        // command needs beyond the allow-list goes in the command text, which names the cell.
        environment = runner.environment.variables
        if isUser {
            environment?["GOMAXPROCS"] = String(settings.procs)
            if settings.placement != .none { pinned = affinity(settings.procs, settings.placement) }
        }
        var group: TransientCgroup? = nil
        if let quota {
            guard let cgroups else {
                return ChildOutcome(status: .error, error: "cpu_quota=\(quota) but no cgroup controller was opened")
            }
            do { group = try cgroups.create(quota) } catch {
                return ChildOutcome(status: .error, error: "\(error)")
            }
            arguments = group!.wrap(arguments)
        }
        defer { group?.remove() }
        let execution: ProcessExecution
        do {
            execution = try withThreadAffinity(pinned) {
                try ProcessExecution.run(arguments, environment: environment, timeoutSeconds: runner.timeoutSeconds,
                                         killGraceSeconds: runner.killGraceSeconds,
                                         quitGraceSeconds: settings.engine == .command ? nil : ChildRunner.quitGraceSeconds,
                                         interruptFileDescriptor: interrupt?.fileDescriptor,
                                         forwardStandardErrorTo: runner.forwardsStandardError ? STDERR_FILENO : nil,
                                         isInterrupted: { interrupt?.isInterrupted ?? false })
            }
        } catch {
            return ChildOutcome(status: .error, error: "\(error)")
        }
        var outcome = classify(execution)
        outcome.interrupted = execution.interrupted
        ChildRunner.showGoroutineDump(of: execution, run: "\(settings.workload) [\(params)] at GOMAXPROCS \(settings.procs)",
                                      forwarded: runner.forwardsStandardError)
        if outcome.status == .ok {
            let childCPUs = pinned?.count ?? cpuCount
            outcome.metrics.append(RunMetric(name: "default_gomaxprocs",
                                             value: Double(CPUQuotaSetting.goDefaultProcs(affinityCPUs: childCPUs, quotaCPUs: quota?.cpus)),
                                             unit: "procs", direction: .none))
            if let throttling = group?.throttling() { outcome.metrics += throttling.metrics }
        }
        outcome.recordedEnvironment = runner.environment.recordedText
        return outcome
    }

    /// Runs `body` with the calling thread pinned to `cpus` (a child started meanwhile
    /// inherits the mask), then restores the thread's mask.
    func withThreadAffinity<T>(_ cpus: [Int]?, _ body: () throws -> T) throws -> T {
        guard let cpus, !cpus.isEmpty else { return try body() }
        let restore = try pinThread(cpus)
        defer { restore() }
        return try body()
    }
}
