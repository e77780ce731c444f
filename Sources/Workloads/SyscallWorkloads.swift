// syscall-heavy and locked-thread on this runtime.
import GobenchKit
import Foundation
import Histogram
import Runtime

enum SyscallWorkloads {
    /// `goroutines` goroutines, each doing n operations: a 1-byte write and read through
    /// its own pipe, a 1 µs nanosleep, or a 1-byte write and fsync of a temporary file (in
    /// $TMPDIR, else /tmp, as Go's os.CreateTemp), each call wrapped in Runtime.syscall
    /// (entersyscall/exitsyscall). As the Go peer: the pipes and files are opened before
    /// the measurement and closed after it, and each op takes one clock reading (its
    /// latency is the time since the previous one).
    static func syscallHeavy(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let goroutines = p.int("goroutines"), n = p.int("n"), kind = p.string("kind")
        // Per goroutine: [read end, write end] of its pipe, or its file twice.
        var descriptors: [(Int32, Int32)] = []
        defer {
            for (r, w) in descriptors {
                close(r)
                if w != r { close(w) }
            }
        }
        if kind != "nanosleep" {
            let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
            for _ in 0..<goroutines {
                if kind == "pipe" {
                    var fds: [Int32] = [0, 0]
                    if pipe(&fds) != 0 { return .error("syscall-heavy: pipe: errno \(errno)") }
                    descriptors.append((fds[0], fds[1]))
                } else {
                    var template = Array("\(directory)/gobench-fsync-XXXXXX".utf8CString)
                    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
                    if fd < 0 { return .error("syscall-heavy: mkstemp in \(directory): errno \(errno)") }
                    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                    descriptors.append((fd, fd))
                }
            }
        }
        let wg = WaitGroup()
        wg.add(goroutines)
        let latencies = UnsafeMutablePointer<Int64>.allocate(capacity: goroutines * n)
        defer { latencies.deallocate() }
        final class Failure: @unchecked Sendable { var text: String? }
        let failure = Failure()
        let clock = SectionClock()
        for g in 0..<goroutines {
            let (readFD, writeFD) = kind == "nanosleep" ? (-1, -1) : descriptors[g]
            go {
                let mine = latencies + g * n
                defer { wg.done() }
                var byte: UInt8 = UInt8(g & 0xff)
                var previous = now()
                for i in 0..<n {
                    switch kind {
                    case "pipe":
                        let w = Runtime.syscall { write(writeFD, &byte, 1) }
                        let r = Runtime.syscall { read(readFD, &byte, 1) }
                        if w != 1 || r != 1 { failure.text = "pipe write/read failed: errno \(errno)"; return }
                    case "nanosleep":
                        var ts = timespec(tv_sec: 0, tv_nsec: 1000)
                        _ = Runtime.syscall { nanosleep(&ts, nil) } // (a cut-short sleep still counts, as Go's)
                    default: // fsync
                        let w = Runtime.syscall { write(writeFD, &byte, 1) }
                        let f = Runtime.syscall { fsync(writeFD) }
                        if w != 1 || f != 0 { failure.text = "fsync write/fsync failed: errno \(errno)"; return }
                    }
                    let t = now()
                    mine[i] = t - previous
                    previous = t
                }
            }
        }
        wg.wait()
        let section = clock.stop()
        if let text = failure.text { return .error("syscall-heavy: \(text)") }
        let ops = goroutines * n
        let merged = latencyHistogram(latencies, count: ops)
        return .ok(ops: ops, metrics: standardMetrics(ops: ops, section: section) + latencyMetrics(merged) + runtimeMetrics())
    }

    /// Ping-pong between two goroutines each locked to its thread (and, in `mixed` mode,
    /// `unlocked` ordinary goroutines ping-ponging beside them, in pairs). As the Go peer:
    /// one clock reading per round trip. Each locked goroutine also checks, every round
    /// trip, that it is still on its thread (pthread_self: a thread-local read, no system
    /// call), which the Go peer leaves to Go's runtime.
    static func lockedThread(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), mixed = p.string("mode") == "mixed", unlocked = p.int("unlocked")
        if mixed && unlocked % 2 != 0 {
            return .error("locked-thread: unlocked=\(unlocked) must be even (the unlocked goroutines ping-pong in pairs)")
        }
        let ping = Channel<Int>(), pong = Channel<Int>()
        // As the Go peer: the echo goroutine says it has locked its thread before the
        // measuring goroutine starts the clock.
        let ready = Channel<Int>()
        let done = WaitGroup()
        var threadChanges = 0
        done.add(1)
        go {
            Runtime.lockOSThread()
            let thread = pthread_self()
            ready.send(0)
            while let v = ping.receive() {
                if pthread_self() != thread { threadChanges += 1 }
                pong.send(v)
            }
            Runtime.unlockOSThread()
            done.done()
        }
        let stopOthers = Channel<Int>()
        let others = WaitGroup()
        if mixed {
            for _ in 0..<(unlocked / 2) {
                let a = Channel<Int>(), b = Channel<Int>()
                others.add(2)
                go {
                    var i = 0
                    while stopOthers.tryReceive() == nil { a.send(i); _ = b.receive(); i += 1 }
                    a.close()
                    others.done()
                }
                go {
                    while let v = a.receive() { b.send(v) }
                    others.done()
                }
            }
        }
        let latencies = UnsafeMutablePointer<Int64>.allocate(capacity: n)
        defer { latencies.deallocate() }
        let result = Channel<Section>(capacity: 1)
        go {
            Runtime.lockOSThread()
            let thread = pthread_self()
            _ = ready.receive()
            let clock = SectionClock()
            var previous = clock.wallStart
            for i in 0..<n {
                ping.send(i)
                _ = pong.receive()
                let t = now()
                latencies[i] = t - previous
                previous = t
                if pthread_self() != thread { threadChanges += 1 }
            }
            result.send(clock.stop())
            Runtime.unlockOSThread()
        }
        let section = result.receive()!
        ping.close()
        done.wait()
        stopOthers.close()
        others.wait()
        if threadChanges != 0 { return .error("locked-thread: a locked goroutine changed threads \(threadChanges) times") }
        let h = latencyHistogram(latencies, count: n)
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + latencyMetrics(h) + runtimeMetrics())
    }
}
