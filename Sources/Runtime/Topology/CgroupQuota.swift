// Finds the process's cgroup CPU quota (v2 cpu.max, v1 cpu.cfs_quota_us/cfs_period_us).

/// Which cgroup hierarchy the quota came from.
public enum CgroupVersion: String, Equatable, Sendable {
    case v1, v2
}

/// A CPU bandwidth limit: the cgroup may use `quotaMicroseconds` of CPU time every
/// `periodMicroseconds`, i.e. `quota / period` CPUs' worth.
///
/// Found as Go 1.25's runtime finds it: the process's cgroup from `/proc/self/cgroup`
/// (a v1 line whose controllers include `cpu` wins, else the v2 `0::` line), the
/// hierarchy's mount from `/proc/self/mountinfo`, then the limit files of that cgroup
/// and of each parent up to the mount root; the tightest level is the limit.
public struct CgroupQuota: Equatable, Sendable {
    public var quotaMicroseconds: Int64
    public var periodMicroseconds: Int64
    public var version: CgroupVersion
    /// The cgroup directory whose file set the limit.
    public var directory: String

    public init(quotaMicroseconds: Int64, periodMicroseconds: Int64, version: CgroupVersion, directory: String) {
        self.quotaMicroseconds = quotaMicroseconds
        self.periodMicroseconds = periodMicroseconds
        self.version = version
        self.directory = directory
    }

    /// The limit in CPUs, e.g. 1.5 for `150000 100000`.
    public var cpuLimit: Double { Double(quotaMicroseconds) / Double(periodMicroseconds) }

    /// ceil(quota / period), in whole CPUs, computed in integers.
    public var cpuLimitRoundedUp: Int {
        Int((quotaMicroseconds + periodMicroseconds - 1) / periodMicroseconds)
    }

    /// Parses a v2 `cpu.max` ("max 100000" or "150000 100000"); nil quota means no limit.
    public static func parseCPUMax(_ text: String, path: String = "cpu.max") throws -> (quota: Int64?, period: Int64) {
        let fields = text.trimmingSettingWhitespace().split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 2 else {
            throw TopologyError.malformedFile(path: path, reason: "expected 'QUOTA PERIOD', got '\(text.trimmingSettingWhitespace())'")
        }
        let period = try positiveInteger(fields[1], path: path, what: "period")
        if fields[0] == "max" { return (nil, period) }
        return (try positiveInteger(fields[0], path: path, what: "quota"), period)
    }

    /// Parses v1 `cpu.cfs_quota_us` ("-1" means no limit) and `cpu.cfs_period_us`.
    public static func parseCFS(quotaText: String, periodText: String, directory: String = "") throws -> (quota: Int64?, period: Int64) {
        let quotaPath = directory + "/cpu.cfs_quota_us", periodPath = directory + "/cpu.cfs_period_us"
        let period = try positiveInteger(Substring(periodText.trimmingSettingWhitespace()), path: periodPath, what: "period")
        let quota = quotaText.trimmingSettingWhitespace()
        if quota == "-1" { return (nil, period) }
        return (try positiveInteger(Substring(quota), path: quotaPath, what: "quota"), period)
    }

    /// The quota of the calling process, nil when it has none (or no cgroup CPU
    /// controller is mounted). `procSelf` and `root` are seams for fixtures: mount points
    /// in mountinfo are read below `root`. Throws when a file exists but is malformed.
    public static func read(procSelf: String = "/proc/self", root: String = "") throws -> CgroupQuota? {
        guard let cgroupText = SystemFile.readText(procSelf + "/cgroup"),
              let mountinfoText = SystemFile.readText(procSelf + "/mountinfo") else { return nil }
        let memberships = parseProcCgroup(cgroupText)
        let mounts = parseMountinfo(mountinfoText)
        if let v1Path = memberships.first(where: { $0.hierarchy != "0" && $0.controllers.contains("cpu") })?.path,
           let mount = mounts.first(where: { $0.fileSystemType == "cgroup" && $0.superOptions.contains("cpu") }) {
            return try tightestLimit(version: .v1, cgroupPath: v1Path, mount: mount, root: root)
        }
        if let v2Path = memberships.first(where: { $0.hierarchy == "0" && $0.controllers.isEmpty })?.path,
           let mount = mounts.first(where: { $0.fileSystemType == "cgroup2" }) {
            return try tightestLimit(version: .v2, cgroupPath: v2Path, mount: mount, root: root)
        }
        return nil
    }

    // MARK: - Parsing /proc/self/cgroup and mountinfo

    struct Membership: Equatable {
        var hierarchy: String
        var controllers: [String]
        var path: String
    }

    struct Mount: Equatable {
        var root: String
        var mountPoint: String
        var fileSystemType: String
        var superOptions: [String]
    }

    /// Lines "ID:controller,controller:/path"; v2 is "0::/path". The path may contain ':'.
    static func parseProcCgroup(_ text: String) -> [Membership] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { return nil }
            let controllers = fields[1].split(separator: ",").map(String.init)
            return Membership(hierarchy: String(fields[0]), controllers: controllers, path: String(fields[2]))
        }
    }

    /// mountinfo lines: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPEROPTIONS".
    static func parseMountinfo(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 1 < fields.count else { return nil }
            let superOptions = dash + 3 < fields.count ? fields[dash + 3].split(separator: ",").map(String.init) : []
            return Mount(root: unescapeMountField(fields[3]), mountPoint: unescapeMountField(fields[4]),
                         fileSystemType: fields[dash + 1], superOptions: superOptions)
        }
    }

    /// mountinfo writes space, tab, newline and backslash as octal escapes (\040).
    static func unescapeMountField(_ field: String) -> String {
        var bytes: [UInt8] = []
        let source = Array(field.utf8)
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "\\"), index + 4 <= source.count,
               let value = UInt8(String(decoding: source[(index + 1)..<(index + 4)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Walks from the process's cgroup directory up to the mount point and keeps the level
    /// with the smallest quota/period.
    static func tightestLimit(version: CgroupVersion, cgroupPath: String, mount: Mount, root: String) throws -> CgroupQuota? {
        // The cgroup path is relative to the hierarchy's root; the mount shows `mount.root`
        // of it. A path outside the mount's root (another cgroup namespace) is unreachable:
        // read the mount point itself.
        var relative = ""
        if mount.root == "/" {
            relative = cgroupPath == "/" ? "" : cgroupPath
        } else if cgroupPath == mount.root {
            relative = ""
        } else if cgroupPath.hasPrefix(mount.root + "/") {
            relative = String(cgroupPath.dropFirst(mount.root.count))
        }
        let top = root + mount.mountPoint
        var directory = top + relative
        var tightest: CgroupQuota? = nil
        while true {
            if let level = try readLevel(version: version, directory: directory),
               tightest == nil || level.cpuLimit < tightest!.cpuLimit {
                tightest = level
            }
            if directory.count <= top.count { break }
            guard let slash = directory.lastIndex(of: "/") else { break }
            directory = String(directory[..<slash])
            if directory.count < top.count { break }
        }
        return tightest
    }

    static func readLevel(version: CgroupVersion, directory: String) throws -> CgroupQuota? {
        switch version {
        case .v2:
            let path = directory + "/cpu.max"
            guard let text = SystemFile.readText(path) else { return nil }
            let parsed = try parseCPUMax(text, path: path)
            return parsed.quota.map { CgroupQuota(quotaMicroseconds: $0, periodMicroseconds: parsed.period, version: .v2, directory: directory) }
        case .v1:
            guard let quotaText = SystemFile.readText(directory + "/cpu.cfs_quota_us"),
                  let periodText = SystemFile.readText(directory + "/cpu.cfs_period_us") else { return nil }
            let parsed = try parseCFS(quotaText: quotaText, periodText: periodText, directory: directory)
            return parsed.quota.map { CgroupQuota(quotaMicroseconds: $0, periodMicroseconds: parsed.period, version: .v1, directory: directory) }
        }
    }

    static func positiveInteger(_ text: Substring, path: String, what: String) throws -> Int64 {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(text), value > 0 else {
            throw TopologyError.malformedFile(path: path, reason: "\(what) '\(text)' is not a positive integer")
        }
        return value
    }
}
