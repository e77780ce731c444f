// syscall-heavy and locked-thread on this runtime.
import Foundation
import Histogram
import Runtime

enum SyscallWorkloads {
    /// `goroutines` goroutines, each doing n operations: a 1-byte write and read through
    /// its own pipe, a 1 µs nanosleep, or a 1-byte write and fsync of a temporary file,
    /// each call wrapped in Runtime.syscall (entersyscall/exitsyscall).
    static func syscallHeavy(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let goroutines = p.int("goroutines"), n = p.int("n"), kind = p.string("kind")
        let wg = WaitGroup()
        wg.add(goroutines)
        let samples = UnsafeMutablePointer<UInt64>.allocate(capacity: goroutines * n)
        samples.initialize(repeating: 1, count: goroutines * n)
        defer { samples.deallocate() }
        var failure: String? = nil
        let start = now()
        for g in 0..<goroutines {
            go {
                let mine = samples + g * n
                defer { wg.done() }
                switch kind {
                case "pipe":
                    var fds: [Int32] = [0, 0]
                    if pipe(&fds) != 0 { failure = "pipe: errno \(errno)"; return }
                    var byte: UInt8 = UInt8(g & 0xff)
                    for i in 0..<n {
                        let t0 = now()
                        let w = Runtime.syscall { write(fds[1], &byte, 1) }
                        let r = Runtime.syscall { read(fds[0], &byte, 1) }
                        mine[i] = UInt64(max(1, now() - t0))
                        if w != 1 || r != 1 { failure = "pipe write/read failed"; break }
                    }
                    close(fds[0]); close(fds[1])
                case "nanosleep":
                    for i in 0..<n {
                        let t0 = now()
                        var ts = timespec(tv_sec: 0, tv_nsec: 1000)
                        _ = Runtime.syscall { nanosleep(&ts, nil) }
                        mine[i] = UInt64(max(1, now() - t0))
                    }
                default: // fsync
                    var template = Array("/tmp/gobench-fsync-XXXXXX".utf8CString)
                    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
                    if fd < 0 { failure = "mkstemp: errno \(errno)"; return }
                    template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
                    var byte: UInt8 = 1
                    for i in 0..<n {
                        let t0 = now()
                        _ = Runtime.syscall { write(fd, &byte, 1) }
                        _ = Runtime.syscall { fsync(fd) }
                        mine[i] = UInt64(max(1, now() - t0))
                    }
                    close(fd)
                }
            }
        }
        wg.wait()
        let elapsed = now() - start
        if let failure { return .error("syscall-heavy: \(failure)") }
        let ops = goroutines * n
        var merged = newLatencyHistogram()
        for i in 0..<ops { _ = merged.record(samples[i]) }
        return .ok(ops: ops, metrics: standardMetrics(ops: ops, wallNanoseconds: elapsed) + latencyMetrics(merged) + runtimeMetrics())
    }

    /// Ping-pong between two goroutines each locked to its thread (and, in `mixed` mode,
    /// `unlocked` ordinary goroutines ping-ponging beside them).
    static func lockedThread(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), mixed = p.string("mode") == "mixed", unlocked = p.int("unlocked")
        let ping = Channel<Int>(), pong = Channel<Int>()
        let done = WaitGroup()
        var threadChanges = 0
        done.add(1)
        go {
            Runtime.lockOSThread()
            let tid = Runtime.threadID
            while let v = ping.receive() {
                if Runtime.threadID != tid { threadChanges += 1 }
                pong.send(v)
            }
            Runtime.unlockOSThread()
            done.done()
        }
        let stopOthers = Channel<Int>()
        let others = WaitGroup()
        if mixed {
            for _ in 0..<max(1, unlocked / 2) {
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
        var h = newLatencyHistogram()
        let result = Channel<Int64>(capacity: 1)
        go {
            Runtime.lockOSThread()
            let tid = Runtime.threadID
            let start = now()
            for i in 0..<n {
                let t0 = now()
                ping.send(i)
                _ = pong.receive()
                _ = h.record(UInt64(max(1, now() - t0)))
                if Runtime.threadID != tid { threadChanges += 1 }
            }
            result.send(now() - start)
            Runtime.unlockOSThread()
        }
        let elapsed = result.receive()!
        ping.close()
        done.wait()
        stopOthers.close()
        others.wait()
        if threadChanges != 0 { return .error("locked-thread: a locked goroutine changed threads \(threadChanges) times") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + latencyMetrics(h) + runtimeMetrics())
    }
}
