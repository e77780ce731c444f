// The processes a killed sweep left behind. Every child that gobench starts while it holds the
// lock of a results file carries `GOBENCH_SWEEP_OWNER=PID:STARTTIME:PATH` in its environment
// (the holder's pid and start time, the results file's absolute path), and its descendants
// inherit it, a grandchild that called setsid() included. While the sweep lives, its children
// die with it (PR_SET_PDEATHSIG) and it reaps what escapes their group (the subreaper); when
// it is killed with SIGKILL, a descendant in its own session outlives it, re-parented to init.
// The next gobench to lock that file (`sweep --resume`, a new sweep on the same -o, repair)
// scans /proc/*/environ for the tag of that file whose holder is gone, and kills those
// processes through a process descriptor, so that a reused pid is never signalled.
//
// The tag is not a setting of the run: it is added when a child starts (ProcessExecution.run),
// after the recorded environment (the `env` column) was taken, so it is never in a row.
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CProcess

public enum SweepOwnerTag {
    /// The variable that names the sweep a process belongs to.
    public static let variable = "GOBENCH_SWEEP_OWNER"

    /// The tag this process gives the children it starts, set while it holds a results
    /// file's lock (nil otherwise). Set and read from the thread that starts children.
    nonisolated(unsafe) public private(set) static var current: String? = nil

    /// Tags this process's children as belonging to the results file at `path` (its lock
    /// is held).
    static func claim(results path: String) {
        guard let start = processState(getpid())?.startTime else { return }
        current = "\(getpid()):\(start):\(absolutePath(path))"
    }

    /// Stops tagging (the lock of `path` is released).
    static func release(results path: String) {
        if let current, parse(current)?.path == absolutePath(path) { self.current = nil }
    }

    /// The `NAME=VALUE` strings of a child's environment with this process's tag in place of
    /// any inherited one; unchanged while there is no tag.
    public static func tagging(_ environment: [String]) -> [String] {
        guard let current else { return environment }
        return environment.filter { !$0.hasPrefix(variable + "=") } + ["\(variable)=\(current)"]
    }

    /// The owner's pid and start time and the results path of a tag; nil when malformed.
    static func parse(_ value: String) -> (pid: pid_t, start: UInt64, path: String)? {
        let parts = value.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = pid_t(parts[0]), pid > 0, let start = UInt64(parts[1]),
              parts[2].hasPrefix("/") else { return nil }
        return (pid, start, String(parts[2]))
    }

    /// `path` absolute, its folder with symbolic links resolved (the file itself may not
    /// exist yet), so that every spelling of one results file gives one tag.
    static func absolutePath(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let folder = realpath(directory, &resolved) != nil ? String(cString: resolved) : url.deletingLastPathComponent().standardizedFileURL.path
        return (folder == "/" ? "" : folder) + "/" + url.lastPathComponent
    }

    /// State letter and start time (clock ticks since boot) of `pid` from /proc/PID/stat;
    /// nil when it is gone.
    static func processState(_ pid: pid_t) -> (state: Character, startTime: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = UInt64(fields[19]) else { return nil }
        return (state, start)
    }

    /// True while the process that a tag names runs (not a zombie, the same start time).
    static func ownerAlive(pid: pid_t, start: UInt64) -> Bool {
        guard let info = processState(pid) else { return false }
        return info.startTime == start && info.state != "Z" && info.state != "X"
    }

    /// The environment of `pid` (its value of `variable`), nil when it has none or cannot be
    /// read (another user's process, one that ended).
    static func tag(of pid: pid_t) -> String? {
        let fd = open("/proc/\(pid)/environ", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while bytes.count < 1 << 22 {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        let prefix = Array((variable + "=").utf8)
        for entry in bytes.split(separator: 0, omittingEmptySubsequences: true) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// Kills every process tagged for the results file at `path` whose sweep is gone, and
    /// waits (up to a second each) for them to end. Scans again while the last scan found
    /// some (a process may have started another before it was killed). Returns their pids.
    public static func stopOrphans(results path: String) -> [pid_t] {
        let target = absolutePath(path)
        var stopped: [pid_t] = []
        for _ in 0..<8 {
            guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { break }
            var found = false
            for entry in entries {
                guard let pid = pid_t(entry), pid != getpid() else { continue }
                // The descriptor first: what is read next belongs to this process or to none.
                let descriptor = gbp_pidfd_open(pid)
                let usesDescriptor = descriptor >= 0
                if !usesDescriptor && errno != ENOSYS { continue }  // ended meanwhile
                defer { if usesDescriptor { close(descriptor) } }
                guard let state = processState(pid), state.state != "Z", state.state != "X",
                      let value = tag(of: pid), let owner = parse(value), owner.path == target,
                      !ownerAlive(pid: owner.pid, start: owner.start) else { continue }
                let sent = usesDescriptor ? gbp_pidfd_send_signal(descriptor, SIGKILL) : kill(pid, SIGKILL)
                guard sent == 0 else { continue }
                found = true
                stopped.append(pid)
                if usesDescriptor {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    _ = poll(&poller, 1, 1000)  // readable once the process has ended
                }
            }
            if !found { break }
        }
        return stopped
    }

    /// `stopOrphans`, and a one-line notice of what it stopped (none when nothing).
    static func stopOrphansNotice(results path: String) -> [String] {
        let stopped = stopOrphans(results: path)
        guard !stopped.isEmpty else { return [] }
        let count = stopped.count == 1 ? "1 process" : "\(stopped.count) processes"
        var pids = stopped.prefix(10).map(String.init).joined(separator: ", ")
        if stopped.count > 10 { pids += ", ..." }
        return ["stopped \(count) left running by a gobench that was killed while it held \(path) (pid \(pids))"]
    }
}
