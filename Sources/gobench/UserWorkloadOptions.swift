// The options run, sweep and tune share (in CommonOptions) for the user's own workloads (--go-test, --command) and
// the CPU quota dimension (--cpu-quota): parsing, compiling and listing the benchmarks,
// opening the cgroup controller, and the cells they add (GobenchKit/GoTestEngine.swift,
// GobenchKit/CgroupQuotaRunner.swift).
import ArgumentParser
import Foundation
import GobenchKit
import Runtime

struct UserWorkloadOptions: ParsableArguments {
    @Option(name: .customLong("go-test"), help: "A Go package whose benchmarks are workloads (a directory or import path; repeatable).")
    var goTest: [String] = []

    @Option(help: "With --go-test: Go's -bench regular expression selecting the benchmarks.")
    var bench: String = "."

    @Option(help: "With --go-test: Go's -benchtime of each run (1s, 500ms, 1000x).")
    var benchtime = Benchtime(argument: "1s")!

    @Option(name: .customLong("command"), help: "NAME='shell command': a command timed as a whole process (repeatable).")
    var commands: [String] = []

    @Option(name: .customLong("cpu-quota"), help: "CPU quotas, comma-separated: none or CPUs (0.5, 1.5, 1500m); each run in a cgroup with that quota.")
    var cpuQuota: CPUQuotaList?

    var isActive: Bool { !goTest.isEmpty || !commands.isEmpty }

    /// Checks the options, opens the cgroup controller when quotas are asked for (removing
    /// leftovers of killed gobench processes), compiles the packages and lists their
    /// benchmarks. Errors are SettingsError (one line).
    func prepare(command: String) throws -> (UserWorkloads, CgroupQuotaRunner?, [CPUQuotaSetting]?) {
        let quotas = cpuQuota?.quotas
        let user = UserWorkloads()
        user.benchtime = benchtime.text
        for text in commands {
            let command = try UserCommand.parse(text)
            guard !user.commands.contains(where: { $0.name == command.name }) else {
                throw SettingsError("command name '\(command.name)' given twice")
            }
            user.commands.append(command)
        }
        var cgroups: CgroupQuotaRunner? = nil
        if quotas != nil {
            let opened = try CgroupQuotaRunner.open()
            let removed = opened.removeLeftovers()
            if !removed.isEmpty {
                CommandErrors.warn("removed \(removed.count) leftover cgroup\(removed.count == 1 ? "" : "s") of gobench processes that ended: \(removed.joined(separator: ", "))")
            }
            cgroups = opened
        }
        if !goTest.isEmpty {
            let go = try GoTestEngine.toolchain()
            let folder = NSTemporaryDirectory() + "gobench-gotest-\(getpid())"
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            user.binaryFolder = folder
            UserWorkloadOptions.removeAtExit(folder)
            do {
                for package in goTest {
                    FileHandle.standardError.write(Data("\(command): compiling \(package) with go test -c\n".utf8))
                    let binary = try GoTestEngine.compile(package: package, go: go, into: folder)
                    let found = try GoTestEngine.discover(binary: binary, package: package, pattern: bench)
                    user.benchmarks += found.filter { b in !user.benchmarks.contains { $0.workload == b.workload && $0.params == b.params } }
                }
            } catch {
                user.removeBinaries()
                throw error
            }
        }
        return (user, cgroups, quotas)
    }

    /// Folders removed when the process exits, also through an error's exit(1) that skips
    /// the commands' `defer`.
    nonisolated(unsafe) static var foldersToRemove: [String] = []

    static func removeAtExit(_ folder: String) {
        if foldersToRemove.isEmpty {
            atexit { for f in UserWorkloadOptions.foldersToRemove { try? FileManager.default.removeItem(atPath: f) } }
        }
        foldersToRemove.append(folder)
    }

    static func checkBenchtime(_ text: String) throws {
        if text.hasSuffix("x") {
            guard let n = Int(text.dropLast()), n >= 1 else {
                throw SettingsError("benchtime '\(text)' is not a duration (1s, 500ms) or a count (100x)")
            }
            return
        }
        _ = try DurationText.nanoseconds(text, what: "benchtime")
    }

    /// Every cell with `cpu_quota=Q` for each quota (the cells unchanged without quotas).
    /// Sorted, as a plan's grid must be (shards take positions in it).
    static func withQuotas(_ cells: [RunSettings], _ quotas: [CPUQuotaSetting]?) throws -> [RunSettings] {
        guard let quotas else { return cells.sorted() }
        return try cells.flatMap { cell in
            try quotas.map { q -> RunSettings in
                var c = cell
                c.params = try CPUQuotaSetting.adding(q, to: cell.params)
                return c
            }
        }.sorted()
    }

    /// Installs the launcher of the user's engines and of quota runs on `runner`.
    static func install(on runner: inout ChildRunner, user: UserWorkloads, cgroups: CgroupQuotaRunner?, cpus: Int) {
        let launcher = UserLauncher(user: user, cgroups: cgroups, cpuCount: cpus, affinity: UserWorkloadOptions.placementCPUs,
                                    pinThread: UserWorkloadOptions.pinThread)
        runner.customLaunch = { settings, interrupt, runner in launcher.run(settings, interrupt: interrupt, runner: runner) }
    }

    /// Pins the calling thread to `cpus`; the closure restores its mask.
    @Sendable static func pinThread(_ cpus: [Int]) throws -> @Sendable () -> Void {
        let old = try ThreadAffinity.current()
        do { try ThreadAffinity.set(CPUSet(cpus)) } catch { throw SettingsError("cannot pin to CPUs \(cpus): \(error)") }
        return { try? ThreadAffinity.set(old) }
    }

    /// The CPUs of the first `procs` Ps of a placement (the runtime's PlacementMap): what a
    /// go-test or command run is pinned to. nil for `none` or when it cannot be computed.
    @Sendable static func placementCPUs(procs: Int, placement: PlacementPolicy) -> [Int]? {
        guard placement != .none,
              let snapshot = try? TopologySnapshot.discover(overrideText: ""),
              let map = try? PlacementMap(topology: snapshot.narrowedTopology, processorCount: procs, policy: placement) else { return nil }
        return Array(Set(map.processors.flatMap { $0.cpus.cpus })).sorted()
    }
}
