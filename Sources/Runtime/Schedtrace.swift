// schedtrace: Go's GODEBUG=schedtrace=X line, printed by sysmon every X milliseconds on
// standard error when GOBENCH_SCHEDTRACE=X (or GODEBUG=schedtrace=X) is set. The line is
// Go 1.27's (runtime/proc.go, schedtrace with detailed == false), field for field:
//
//   SCHED 1004ms: gomaxprocs=2 idleprocs=0 threads=5 spinningthreads=0 needspinning=0 idlethreads=1 runqueue=0 [ 0 0 ] schedticks=[ 2081 1940 ]
//
// (Go before 1.21 printed neither needspinning nor schedticks, and wrote the list as
// `[0 0]`.) The fields, and what they read here:
//   ms               since the first trace, which sysmon prints on its first round (Go's
//                    starttime is set by the first schedtrace call the same way)
//   gomaxprocs       Scheduler.gomaxprocs
//   idleprocs        Ps on the idle list (Go's npidle)
//   threads          Ms alive: m0, sysmon and every M started and not ended (Go's mcount)
//   spinningthreads  Ms spinning for work (Go's nmspinning)
//   needspinning     always 0: Go sets it when a spinning M found work but no idle P to
//                    run it; this runtime's wakeP has no such request, so none is pending
//   idlethreads      Ms parked on the idle list (Go's nmidle; locked Ms waiting for
//                    their goroutine are not on it, as in Go)
//   runqueue         the global run queue's length
//   [ ... ]          each P's local run queue, tail - head: runnext is not counted, as Go
//                    does not count it
//   schedticks       each P's schedule tick (Go's schedtick)
// As Go does, the counters are read under the scheduler lock, and the Ps' queues and
// ticks with atomic loads (their owners change them without the lock); the line is
// written after the lock is released, with one write(2), so it never interleaves with
// other output mid-line.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// One schedtrace line's numbers.
struct SchedtraceSnapshot: Equatable {
    var milliseconds: Int64
    var gomaxprocs: Int
    var idleProcessors: Int
    var threads: Int
    var spinningThreads: Int
    var needSpinning: Int = 0
    var idleThreads: Int
    var globalRunQueue: Int
    var localRunQueues: [Int]
    var scheduleTicks: [UInt32]

    /// Go 1.27's line, with its newline.
    var line: String {
        var out = "SCHED \(milliseconds)ms: gomaxprocs=\(gomaxprocs) idleprocs=\(idleProcessors)"
            + " threads=\(threads) spinningthreads=\(spinningThreads) needspinning=\(needSpinning)"
            + " idlethreads=\(idleThreads) runqueue=\(globalRunQueue)"
        // Go: " " before each P, "[ " before the first, " ]" after the last.
        for (i, n) in localRunQueues.enumerated() {
            out += " "
            if i == 0 { out += "[ " }
            out += "\(n)"
            if i == localRunQueues.count - 1 { out += " ]" }
        }
        out += " schedticks=[ "
        for t in scheduleTicks { out += "\(t) " }
        out += "]\n"
        return out
    }
}

/// When sysmon printed the first trace (Go's starttime), and when it printed the last.
struct SchedtraceClock {
    let intervalNanoseconds: Int64
    var startNanoseconds: Int64 = 0
    /// 0 until the first trace: sysmon's first round prints at once, as Go's does.
    var lastNanoseconds: Int64 = 0

    init(milliseconds: Int) {
        intervalNanoseconds = Int64(milliseconds) * 1_000_000
    }

    var isOn: Bool { intervalNanoseconds > 0 }

    /// Go's test in sysmon: lasttrace + schedtrace * 1e6 <= now.
    func isDue(_ now: Int64) -> Bool {
        isOn && (lastNanoseconds == 0 || lastNanoseconds + intervalNanoseconds <= now)
    }

    /// How long sysmon may sleep and still print the next trace on time.
    func nanosecondsUntilDue(_ now: Int64) -> Int64 {
        guard isOn else { return .max }
        if lastNanoseconds == 0 { return 0 }
        return max(0, lastNanoseconds + intervalNanoseconds - now)
    }

    mutating func printed(at now: Int64) {
        if startNanoseconds == 0 { startNanoseconds = now }
        lastNanoseconds = now
    }
}

extension Scheduler {
    /// The numbers of one trace line, read as Go's schedtrace reads them.
    func schedtraceSnapshot(now: Int64, start: Int64) -> SchedtraceSnapshot {
        lock.lock()
        let procs = gomaxprocs
        let idleProcessors = Int(gb_load_acquire_i32(idlePCount))
        let threads = machineCount
        let spinning = Int(gb_load_acquire_i32(spinningCount))
        let idleThreads = idleMCount
        let global = Int(gb_load_relaxed_i64(globalSize))
        let ps = allP // (resized only under the lock)
        // The owners change these without the lock (atomic loads: RunQueue.count and
        // Processor.scheduleTick).
        let local = ps.map { $0.runQueue.count }
        let ticks = ps.map { $0.scheduleTick }
        lock.unlock()
        return SchedtraceSnapshot(
            milliseconds: (now - start) / 1_000_000, gomaxprocs: procs, idleProcessors: idleProcessors,
            threads: threads, spinningThreads: spinning, idleThreads: idleThreads,
            globalRunQueue: global, localRunQueues: local, scheduleTicks: ticks)
    }
}

/// Prints one trace line on standard error if one is due (sysmon, every round).
func schedtraceIfDue(_ clock: inout SchedtraceClock, now: Int64) {
    guard clock.isDue(now) else { return }
    clock.printed(at: now)
    let line = sched!.schedtraceSnapshot(now: now, start: clock.startNanoseconds).line
    writeStandardErrorAtOnce(line)
}

/// One write(2) of the whole text (retried on EINTR and short writes), bypassing stdio's
/// buffer, as Go's print does.
func writeStandardErrorAtOnce(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        guard var at = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = write(2, at, left)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            left -= written
            at += written
        }
    }
}
