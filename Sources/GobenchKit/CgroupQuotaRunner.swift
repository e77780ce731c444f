// The CPU quota as a sweep dimension (`--cpu-quota none,1,1.5,2`): each run in a transient
// cgroup with that quota, its throttling read when it ends, the cgroup removed whatever happens.
//
// Layout: `<cpu controller>/<this process's cgroup>/gobench/gobench-<pid>-<n>`, one per run.
// A gobench that is killed (SIGKILL) cannot remove its groups; the next gobench that uses the
// dimension finds every `gobench-<pid>-*` whose pid is not a live gobench, kills what still
// runs in it and removes it.
//
// cgroup v2 (`cpu.max`, `cpu.stat` throttled_usec) is used when the unified hierarchy has the
// cpu controller; otherwise cgroup v1 (`cpu.cfs_quota_us`, `cpu.cfs_period_us`, `cpu.stat`
// throttled_time). GOBENCH_CGROUP_ROOT names the controller directory instead (tests use it to
// simulate a machine without a writable cgroup).
//
// The child joins its group before it executes anything of its own: it is started as
// `/bin/sh -c 'echo $$ > GROUP/tasks && exec "$@"' ...` (v2: cgroup.procs), so that a Go program's
// start-up (which reads its cgroup's quota for the default GOMAXPROCS) already sees the quota.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One value of `--cpu-quota`: none, or a number of CPUs (`1.5`, or `1500m` as Kubernetes
/// writes millicores).
public struct CPUQuotaSetting: Hashable, Sendable, CustomStringConvertible {
    /// nil: no limit (the run still gets a cgroup, without a quota, so that every cell of the
    /// dimension is started the same way).
    public var cpus: Double?

    public static let none = CPUQuotaSetting(cpus: nil)
    /// The params key that records the quota in a row (canonical, like a workload parameter).
    public static let parameterKey = "cpu_quota"
    /// The CFS period gobench sets, in microseconds.
    public static let periodMicroseconds: Int64 = 100_000

    public init(cpus: Double?) { self.cpus = cpus }

    /// Canonical: `none`, `0.5`, `1.5`, `2`.
    public var description: String { cpus.map(ResultRow.format) ?? "none" }

    public var quotaMicroseconds: Int64? { cpus.map { Int64(($0 * Double(CPUQuotaSetting.periodMicroseconds)).rounded()) } }

    public static func parse(_ text: String, cpuCount: Int) throws -> CPUQuotaSetting {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == "none" { return .none }
        var number = trimmed
        var scale = 1.0
        if trimmed.hasSuffix("m") { number = String(trimmed.dropLast()); scale = 1000 }
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number), value.isFinite else {
            throw SettingsError("cpu-quota '\(text)' is not none or a positive number of CPUs (e.g. 1.5 or 1500m)")
        }
        let cpus = value / scale
        guard cpus > 0 else { throw SettingsError("cpu-quota '\(text)' must be more than 0 CPUs") }
        guard cpus >= 0.01 else { throw SettingsError("cpu-quota '\(text)' is below the smallest CFS quota (0.01 CPUs)") }
        let maximum = Double(max(1, cpuCount)) * 1000
        guard cpus <= maximum else {
            throw SettingsError("cpu-quota '\(text)' is above \(ResultRow.format(maximum)) CPUs (the CPU count times 1000)")
        }
        return CPUQuotaSetting(cpus: (cpus * 1000).rounded() / 1000)
    }

    /// `none,1,1.5`: order kept, duplicates dropped.
    public static func parseList(_ text: String, cpuCount: Int) throws -> [CPUQuotaSetting] {
        var result: [CPUQuotaSetting] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SettingsError("cpu-quota list '\(text)' has an empty item")
            }
            let setting = try parse(String(item), cpuCount: cpuCount)
            if !result.contains(setting) { result.append(setting) }
        }
        return result
    }

    /// The quota a cell's params record, and the params without it (what the engine gets).
    /// nil quota: the params have no `cpu_quota` (the dimension is not swept).
    public static func split(params: WorkloadParameters) -> (quota: CPUQuotaSetting?, rest: WorkloadParameters) {
        let (value, rest) = params.removing(parameterKey)
        let quota = value.flatMap { $0 == "none" ? CPUQuotaSetting.none : Double($0).map { CPUQuotaSetting(cpus: $0) } }
        return (quota, rest)
    }

    /// `params` with `cpu_quota=Q` added.
    public static func adding(_ quota: CPUQuotaSetting, to params: WorkloadParameters) throws -> WorkloadParameters {
        try params.setting(parameterKey, to: quota.description)
    }

    /// Go 1.25+'s default GOMAXPROCS (runtime adjustCgroupGOMAXPROCS): the CPUs in the
    /// affinity mask, lowered to ceil(quota) but never below 2 by the quota. gobench's swift
    /// runtime has the same rule (Runtime/Topology/DefaultProcessorCount.swift).
    public static func goDefaultProcs(affinityCPUs: Int, quotaCPUs: Double?) -> Int {
        guard let q = quotaCPUs else { return affinityCPUs }
        return min(affinityCPUs, max(2, Int(q.rounded(.up))))
    }

    /// uber-go/automaxprocs' choice: floor(quota), at least 1; without a quota the CPU count.
    public static func automaxprocsProcs(affinityCPUs: Int, quotaCPUs: Double?) -> Int {
        guard let q = quotaCPUs else { return affinityCPUs }
        return min(affinityCPUs, max(1, Int(q.rounded(.down))))
    }
}

/// Throttling of one transient cgroup over its run.
public struct CgroupThrottling: Equatable, Sendable {
    public var periods: Double
    public var throttledPeriods: Double
    public var throttledMicroseconds: Double

    public var metrics: [RunMetric] {
        [RunMetric("nr_throttled", throttledPeriods, "count", .lower),
         RunMetric("throttled_usec", throttledMicroseconds, "us", .lower),
         RunMetric("nr_periods", periods, "count", .none)]
    }

    /// Parses cpu.stat of either version.
    public static func parse(cpuStat text: String) -> CgroupThrottling {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let v = Double(parts[1]) { values[String(parts[0])] = v }
        }
        let usec = values["throttled_usec"] ?? (values["throttled_time"].map { $0 / 1000 } ?? 0)
        return CgroupThrottling(periods: values["nr_periods"] ?? 0, throttledPeriods: values["nr_throttled"] ?? 0,
                                throttledMicroseconds: usec.rounded())
    }
}

/// Creates, fills and removes the transient cgroups of one gobench process.
public final class CgroupQuotaRunner: @unchecked Sendable {
    public enum Version: String, Sendable { case v1, v2 }

    /// The `gobench` parent group.
    public let parent: String
    public let version: Version
    private let lock = NSLock()
    private var counter = 0

    init(parent: String, version: Version) { self.parent = parent; self.version = version }

    /// The controller directory this process's transient groups go under, or the one-line
    /// reason why there is none that can be used.
    public static func open(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CgroupQuotaRunner {
        let refusal = "the --cpu-quota dimension needs a writable cgroup cpu controller (root, or a delegated cgroup); leave --cpu-quota out"
        let base: String
        let version: Version
        if let root = environment["GOBENCH_CGROUP_ROOT"], !root.isEmpty {
            guard let v = detectVersion(root) else {
                throw SettingsError("cpu-quota: GOBENCH_CGROUP_ROOT=\(root) is not a cgroup cpu controller directory (no cpu.max or cpu.cfs_quota_us): \(refusal)")
            }
            (base, version) = (root, v)
        } else {
            guard let found = locateController() else {
                throw SettingsError("cpu-quota: no cgroup cpu controller is mounted: \(refusal)")
            }
            (base, version) = found
        }
        let parent = base + "/gobench"
        if version == .v2 {
            // The cpu controller must be enabled for the children of base and of parent.
            _ = writeFile(base + "/cgroup.subtree_control", "+cpu")
        }
        if mkdir(parent, 0o755) != 0 && errno != EEXIST {
            throw SettingsError("cpu-quota: cannot create \(parent): \(String(cString: strerror(errno))): \(refusal)")
        }
        if version == .v2, let problem = writeFile(parent + "/cgroup.subtree_control", "+cpu") {
            throw SettingsError("cpu-quota: cannot enable the cpu controller in \(parent): \(problem): \(refusal)")
        }
        let runner = CgroupQuotaRunner(parent: parent, version: version)
        // A trial group proves that groups can be made and limited here.
        do {
            let trial = try runner.create(CPUQuotaSetting(cpus: 1))
            trial.remove()
        } catch let error as SettingsError {
            throw SettingsError("\(error.description): \(refusal)")
        }
        return runner
    }

    static func detectVersion(_ directory: String) -> Version? {
        let fm = FileManager.default
        if fm.fileExists(atPath: directory + "/cpu.max") { return .v2 }
        if fm.fileExists(atPath: directory + "/cpu.cfs_quota_us") { return .v1 }
        return nil
    }

    /// The v2 hierarchy when it has the cpu controller, else the v1 cpu hierarchy; each at
    /// this process's own cgroup within it.
    static func locateController() -> (String, Version)? {
        guard let mounts = try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8),
              let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        var ownPath: [String: String] = [:]  // controller list ("" for v2) -> path
        for line in membership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if parts.count == 3 { ownPath[String(parts[1])] = String(parts[2]) }
        }
        var v1: (String, Version)? = nil
        for line in mounts.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 4 else { continue }
            let point = String(f[1]), type = f[2], options = f[3].split(separator: ",")
            if type == "cgroup2" {
                let path = point + (ownPath[""].map { $0 == "/" ? "" : $0 } ?? "")
                if let controllers = try? String(contentsOfFile: path + "/cgroup.controllers", encoding: .utf8),
                   controllers.split(whereSeparator: { $0 == " " || $0 == "\n" }).contains("cpu") {
                    return (path, .v2)
                }
            } else if type == "cgroup", options.contains("cpu") {
                let key = ownPath.keys.first { $0.split(separator: ",").contains("cpu") }
                let own = key.flatMap { ownPath[$0] } ?? "/"
                v1 = (point + (own == "/" ? "" : own), .v1)
            }
        }
        return v1
    }

    /// Writes `text` to an existing control file; the error text, or nil on success.
    @discardableResult
    static func writeFile(_ path: String, _ text: String) -> String? {
        let fd = Glibc.open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        return n == bytes.count ? nil : "\(path): \(String(cString: strerror(errno)))"
    }

    /// Makes the next transient group with `quota`.
    public func create(_ quota: CPUQuotaSetting) throws -> TransientCgroup {
        lock.lock(); counter += 1; let n = counter; lock.unlock()
        let path = "\(parent)/gobench-\(getpid())-\(n)"
        guard mkdir(path, 0o755) == 0 else {
            throw SettingsError("cpu-quota: cannot create \(path): \(String(cString: strerror(errno)))")
        }
        let group = TransientCgroup(path: path, version: version)
        let problem: String?
        switch version {
        case .v1:
            problem = CgroupQuotaRunner.writeFile(path + "/cpu.cfs_period_us", String(CPUQuotaSetting.periodMicroseconds))
                ?? CgroupQuotaRunner.writeFile(path + "/cpu.cfs_quota_us", quota.quotaMicroseconds.map(String.init) ?? "-1")
        case .v2:
            problem = CgroupQuotaRunner.writeFile(path + "/cpu.max", "\(quota.quotaMicroseconds.map(String.init) ?? "max") \(CPUQuotaSetting.periodMicroseconds)")
        }
        if let problem {
            group.remove()
            throw SettingsError("cpu-quota: cannot set the quota: \(problem)")
        }
        return group
    }

    /// Removes the groups of gobench processes that are gone (killed before they could),
    /// killing whatever still runs in them. Returns the paths removed.
    @discardableResult
    public func removeLeftovers() -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix("gobench-") {
            let parts = name.split(separator: "-")
            guard parts.count == 3, let pid = Int32(parts[1]), pid != getpid() else { continue }
            if CgroupQuotaRunner.isLiveGobench(pid) { continue }
            let group = TransientCgroup(path: parent + "/" + name, version: version)
            if group.remove() { removed.append(group.path) }
        }
        return removed
    }

    /// Whether `pid` is a running gobench (not a reused pid of another program).
    static func isLiveGobench(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        let comm = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return comm.hasPrefix("gobench")
    }
}

/// One run's cgroup.
public struct TransientCgroup: Sendable {
    public var path: String
    public var version: CgroupQuotaRunner.Version

    /// The file a process writes its pid to, to join.
    public var processesFile: String { path + "/cgroup.procs" }

    /// The file the joining shell writes its pid to: v1's `tasks` (the shell has one thread,
    /// and moving a thread skips the kernel's process-wide migration lock, whose RCU grace
    /// period made the join several milliseconds slower on a loaded machine), v2's
    /// `cgroup.procs`.
    public var joinFile: String { version == .v1 ? path + "/tasks" : processesFile }

    /// `arguments` wrapped so that the process joins this group before it executes them.
    public func wrap(_ arguments: [String]) -> [String] {
        ["/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", joinFile] + arguments
    }

    public func throttling() -> CgroupThrottling? {
        guard let text = try? String(contentsOfFile: path + "/cpu.stat", encoding: .utf8) else { return nil }
        return CgroupThrottling.parse(cpuStat: text)
    }

    /// Removes the group, first killing any process left in it. True when it is gone.
    @discardableResult
    public func remove() -> Bool {
        for attempt in 0..<40 {
            if rmdir(path) == 0 || errno == ENOENT { return true }
            if errno != EBUSY && errno != ENOTEMPTY { return false }
            if errno == ENOTEMPTY, attempt > 0 { return false }  // not a cgroup: files in it
            let procs = (try? String(contentsOfFile: processesFile, encoding: .utf8)) ?? ""
            for line in procs.split(separator: "\n") { if let pid = Int32(line) { kill(pid, SIGKILL) } }
            usleep(25_000)
        }
        return false
    }
}
