// schedtrace: Go's GODEBUG=schedtrace=X line, printed by sysmon every X milliseconds on
// standard error when GOBENCH_SCHEDTRACE=X (or GODEBUG=schedtrace=X) is set; with
// GODEBUG=scheddetail=1 the detailed trace instead (detailedSchedtrace, below), which a
// fatal error and SIGQUIT's dump also print when either setting is on. The line is
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
import Synchronization
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
        let idleProcessors = Int(gb_load_acquire_i32(words.idlePCount))
        let threads = synced.machineCount
        let spinning = Int(gb_load_acquire_i32(words.spinningCount))
        let idleThreads = synced.idleMCount
        let global = Int(gb_load_relaxed_i64(words.globalSize))
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

/// What a dying process prints first (Go's startpanic_m: schedtrace(true) when
/// GODEBUG's schedtrace or scheddetail is set): the detailed trace, or nothing. Called by
/// a fatal error and by SIGQUIT's dump.
func dyingSchedtrace() -> String {
    guard let s = sched, s.configuration.schedDetail || s.configuration.schedtraceMilliseconds > 0 else { return "" }
    let now = gb_nanotime()
    return s.detailedSchedtrace(now: now, start: now, dying: true)
}

/// Prints one trace line on standard error if one is due (sysmon, every round): the
/// detailed trace under GODEBUG=scheddetail=1, as Go's sysmon calls
/// schedtrace(debug.scheddetail > 0).
func schedtraceIfDue(_ clock: inout SchedtraceClock, now: Int64) {
    guard clock.isDue(now) else { return }
    clock.printed(at: now)
    let s = sched!
    let text = s.configuration.schedDetail
        ? s.detailedSchedtrace(now: now, start: clock.startNanoseconds, dying: false)
        : s.schedtraceSnapshot(now: now, start: clock.startNanoseconds).line
    writeStandardErrorAtOnce(text)
}

/// Go's schedtrace(true): the header with the stop-the-world counters, then a line per P,
/// per M and per G. As in Go, the Ps', Ms' and Gs' fields are read while their owners may
/// change them: a line is a snapshot of each field, not of the whole. The references
/// between them (a P's M, an M's P and G, a G's M) are printed by id after being matched
/// against the lists the locks hold (allP, synced.allM, allGoroutines), so a stale pointer never
/// is followed. Fields Go prints that this runtime has no counterpart for (an M's
/// mallocing, throwing, preemptoff, locks, dying) are left out rather than printed as
/// zeros. `sysmonwait` is always false: this sysmon never parks for good, it sleeps 10 ms
/// at most. An M is `blocked` while its thread sleeps on its park note (Go: on a note).
///
/// With `dying` (a fatal error or SIGQUIT's dump, possibly with a lock held by a thread
/// that will never release it) the locks are only tried: the trace says which one was busy
/// and prints what it can without it. The G lines stop after Traceback.maxGoroutines.
extension Scheduler {
    func detailedSchedtrace(now: Int64, start: Int64, dying: Bool) -> String {
        func take(_ l: RuntimeLock) -> Bool {
            if !dying { l.lock(); return true }
            return l.tryLock(patienceMilliseconds: 1000)
        }
        guard take(lock) else { return "SCHED: (scheduler lock busy: no trace)\n" }
        let ps = allP
        let machines = synced.allM
        var out = "SCHED \((now - start) / 1_000_000)ms: gomaxprocs=\(gomaxprocs)"
            + " idleprocs=\(gb_load_acquire_i32(words.idlePCount)) threads=\(synced.machineCount)"
            + " spinningthreads=\(gb_load_acquire_i32(words.spinningCount)) needspinning=0"
            + " idlethreads=\(synced.idleMCount) runqueue=\(gb_load_relaxed_i64(words.globalSize))"
            + " gcwaiting=\(isStopping) nmidlelocked=\(synced.lockedIdleMCount) stopwait=\(synced.stopWait)"
            + " sysmonwait=false\n"
        let listed = take(allGLock)
        var goroutineIDs: [UInt: Int64] = [:]
        let gs = listed ? allGoroutines : []
        if listed {
            goroutineIDs.reserveCapacity(gs.count)
            for gp in gs { goroutineIDs[gp.word] = gp.id }
        }
        func word(_ o: AnyObject) -> UInt { UInt(bitPattern: Unmanaged.passUnretained(o).toOpaque()) }
        var machineIDs: [UInt: Int64] = [:]
        for m in machines { machineIDs[word(m)] = m.id }
        var processorIDs: [UInt: Int] = [:]
        for p in ps { processorIDs[word(p)] = p.id }
        func name<T: BinaryInteger>(_ id: T?) -> String { id.map { "\($0)" } ?? "nil" }
        func goroutine(_ w: UInt?) -> String {
            guard let w, w != 0 else { return "nil" }
            return listed ? name(goroutineIDs[w]) : "?"
        }
        for p in ps {
            let timers = p.timers.lock.tryLock() ? p.timers.countLocked : nil
            if timers != nil { p.timers.lock.unlock() }
            out += "  P\(p.id): status=\(gb_load_acquire_u32(p.statusWord)) schedtick=\(p.scheduleTick)"
                + " syscalltick=\(gb_load_relaxed_u32(p.syscallTick))"
                + " m=\(name(machineIDs[gb_load_acquire_uptr(p.runningMachineWord)]))"
                + " runqsize=\(p.runQueue.count) gfreecnt=\(p.freeCount) timerslen=\(timers.map { "\($0)" } ?? "?")\n"
        }
        for m in machines {
            let p = m.pRef.map { processorIDs[UInt(bitPattern: $0.toOpaque())] } ?? nil
            let g = m.currentRef.map { UInt(bitPattern: $0.toOpaque()) }
            let lockedG = m.lockedG.map { word($0) }
            out += "  M\(m.id): p=\(name(p)) curg=\(goroutine(g)) spinning=\(m.spinning)"
                + " blocked=\(gb_load_acquire_u32(m.park.word) == 2) lockedg=\(goroutine(lockedG))\n"
        }
        if listed {
            var count = 0
            for gp in gs {
                if count == Traceback.maxGoroutines { out += "  ...additional goroutines elided...\n"; break }
                count += 1
                let raw = gp.statusWord.load(ordering: .acquiring) & ~GoroutineStatus.scanBit
                out += "  G\(gp.id): status=\(raw)(\(gp.waitReason.rawValue)) m=\(name(gp.m.map { machineIDs[word($0)] } ?? nil))"
                    + " lockedm=\(name(gp.lockedM.map { machineIDs[word($0)] } ?? nil))\n"
            }
            allGLock.unlock()
        } else {
            out += "  (goroutine list busy: no G lines)\n"
        }
        lock.unlock()
        return out
    }
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
