// Describes the machine a sweep runs on, for the machine columns of every CSV row: host, CPU
// model, cores, NUMA nodes, kernel, Swift and Go versions, gobench version and commit.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum MachineProbe {
    /// Everything for the CSV. Runs `swift-frontend --version` and `git rev-parse` once, each
    /// found in PATH's absolute folders (never the working directory). The Go version is read
    /// only when `goPeerExecutable` is given (the go engine runs): from the peer binary itself,
    /// else from `go version` of the `go` in PATH; without it the column says `none`.
    public static func probe(goPeerExecutable: String? = nil) -> MachineInfo {
        MachineInfo(host: hostName(), cpuModel: cpuModel(), cores: onlineCPUCount(),
                    numaNodes: numaNodeCount(), kernel: kernelRelease(),
                    swiftVersion: swiftVersion(),
                    goVersion: goPeerExecutable.map { goVersion(peer: $0) } ?? "none",
                    gobenchVersion: GobenchVersion.string, gobenchCommit: gitCommit())
    }

    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
        let name = String(cString: buffer)
        return name.isEmpty ? "unknown" : name
    }

    /// `model name` of /proc/cpuinfo (x86), else `Hardware`/`CPU part` lines, else "unknown".
    public static func cpuModel(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String {
        guard let text = cpuinfo else { return "unknown" }
        for key in ["model name", "Hardware", "cpu model", "CPU part"] {
            for line in text.split(separator: "\n") where line.hasPrefix(key) {
                if let colon = line.firstIndex(of: ":") {
                    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if !value.isEmpty { return value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
                }
            }
        }
        return "unknown"
    }

    /// Logical CPUs online.
    public static func onlineCPUCount() -> Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// CPUs in this process's affinity mask (what GOMAXPROCS defaults from).
    /// Read from `Cpus_allowed_list` of /proc/self/status (`0-3,8-11`).
    public static func affinityCPUCount(status: String? = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) -> Int {
        guard let line = status?.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else {
            return onlineCPUCount()
        }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 { count += 1 } else if bounds.count == 2, bounds[1] >= bounds[0] { count += bounds[1] - bounds[0] + 1 }
        }
        return count > 0 ? count : onlineCPUCount()
    }

    /// The number of `nodeN` directories under /sys/devices/system/node, at least 1.
    public static func numaNodeCount(root: String = "/sys/devices/system/node") -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let nodes = entries.filter { $0.hasPrefix("node") && $0.dropFirst(4).allSatisfy(\.isNumber) && $0.count > 4 }
        return max(1, nodes.count)
    }

    public static func kernelRelease() -> String {
        var name = utsname()
        guard uname(&name) == 0 else { return "unknown" }
        return withUnsafeBytes(of: &name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    }

    /// `6.3.1` from `swift-frontend --version`, else the version this binary was compiled
    /// with. (Not the `swift` driver: it leaves an empty TemporaryDirectory.* in $TMPDIR
    /// every time.)
    public static func swiftVersion() -> String {
        if let text = ProcessExecution.output(of: ["swift-frontend", "--version"]),
           let version = parseSwiftVersion(text) {
            return version
        }
        return compiledSwiftVersion
    }

    static func parseSwiftVersion(_ text: String) -> String? {
        guard let range = text.range(of: "Swift version ") else { return nil }
        let version = text[range.upperBound...].prefix { !$0.isWhitespace }
        return version.isEmpty ? nil : String(version)
    }

    static var compiledSwiftVersion: String {
        #if compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// The Go release the peer was built with, read from the Go build information in the
    /// binary (nothing is executed), else `go version` of the `go` found in PATH's absolute
    /// folders, else "unknown".
    public static func goVersion(peer: String) -> String {
        if let version = embeddedGoVersion(path: peer) { return version }
        if let go = ProcessExecution.executablePath("go"),
           let text = ProcessExecution.output(of: [go, "version"]), let version = parseGoVersion(text) {
            return version
        }
        return "unknown"
    }

    /// The Go version in a Go binary's build information (Go 1.18 and later): the 32-byte
    /// header `\xff Go buildinf:`, pointer size, flags (bit 1: inline strings), then the
    /// version as a varint-prefixed string. nil for anything else.
    public static func embeddedGoVersion(path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 64 << 20) else { return nil }
        let marker: [UInt8] = [0xff] + Array(" Go buildinf:".utf8)
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            var offset = 0
            // The header is 16-byte aligned.
            while offset + 32 < bytes.count {
                if bytes[offset] == 0xff && bytes[offset..<(offset + marker.count)].elementsEqual(marker) {
                    guard bytes[offset + 15] & 0x2 != 0 else { return nil }
                    var at = offset + 32
                    var length = 0, shift = 0
                    while at < bytes.count, shift < 63 {
                        let b = bytes[at]; at += 1
                        length |= Int(b & 0x7f) << shift
                        if b & 0x80 == 0 { break }
                        shift += 7
                    }
                    guard length > 0, length < 64, at + length <= bytes.count else { return nil }
                    let version = String(decoding: bytes[at..<(at + length)], as: UTF8.self)
                    return version.hasPrefix("go1") && version.allSatisfy({ !$0.isWhitespace }) ? version : nil
                }
                offset += 16
            }
            return nil
        }
    }

    /// `go1.27.0` from `go version go1.27.0 linux/amd64` or `PATH: go1.27.0`.
    static func parseGoVersion(_ text: String) -> String? {
        text.split(whereSeparator: { $0.isWhitespace || $0 == ":" }).first { $0.hasPrefix("go1") }.map(String.init)
    }

    /// `git rev-parse --short HEAD` in the directory of this executable (a build under the
    /// checkout it was built from), "unknown" when that is not in a checkout. The current
    /// directory is not asked: it may be another repository.
    public static func gitCommit(executable: String = EngineLauncher.currentExecutable) -> String {
        let directory = (executable as NSString).deletingLastPathComponent
        guard !directory.isEmpty else { return "unknown" }
        return ProcessExecution.output(of: ["git", "-C", directory, "rev-parse", "--short", "HEAD"])
            .flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
    }
}
