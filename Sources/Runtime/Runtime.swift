// Runtime: Go's runtime API in Swift names, with Go's semantics.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Starts a goroutine (Go's `go` statement).
@inline(__always)
public func go(_ body: __owned @escaping () -> Void) {
    Runtime.spawn(stackBytes: 0, body)
}

public enum Runtime {
    // MARK: - Goroutines

    /// Starts a goroutine running `body` with a stack of `stackBytes` (0: the standard
    /// size; below StackAllocator.minimumStackBytes is a fatal error, above the maximum
    /// stack size, `Runtime.setMaxStack` or GOBENCH_MAXSTACK, gets the maximum: Go's
    /// maximum is the limit a stack may grow to). The new G goes to the spawning P's
    /// runnext, then wakep (Go's newproc).
    public static func spawn(stackBytes: Int, _ body: __owned @escaping () -> Void) {
        _ = inRuntime { spawnGoroutine(stackBytes: stackBytes, isSystem: false, body) }
    }

    /// Go's newproc; a system goroutine (the scavenger) is not counted by NumGoroutine.
    /// Returns the new goroutine's id. (Not the G: a reference to another G must not live
    /// across this G's preemption point, where the new one may run, end and be freed:
    /// Scavenger.swift, "Free goroutines".)
    @discardableResult
    static func spawnGoroutine(stackBytes: Int, isSystem: Bool, _ body: __owned @escaping () -> Void) -> Int64 {
        guard let m = Machine.current, let p = m.p, let parent = m.current else {
            fatalUsage("runtime: go statement outside a goroutine (call it inside Runtime.run)")
        }
        if stackBytes != 0 && stackBytes < StackAllocator.minimumStackBytes {
            fatalUsage(StackError.belowMinimum(stackBytes).description)
        }
        let s = sched!
        let id: Int64
        do {
            let gp = s.freeGet(p) ?? s.newGoroutine(on: p)
            // (A free G comes with needsContext, isSystem and requestedStackBytes reset by
            // its exit: a spawn writes only the G's first group, see Goroutine, "Layout".)
            gp.entry = GoroutineEntry(run: body)
            id = s.nextGoid(p)
            gp.id = id // (id is read before the G is queued: it may run and be reused at once)
            if stackBytes != 0 { gp.requestedStackBytes = min(stackBytes, s.maxStackBytes) }
            if isSystem { gp.isSystem = true }
            gp.spawnNode = p.node
            p.stats[.goroutinesSpawned] += 1
            if !isSystem { _ = gb_add_relaxed_i64(s.words.liveUserGoroutines, 1) }
            gp.setStatus(.runnable)
            s.runqPut(p, gp, next: true)
        }
        if s.mainStarted { s.wakeP() }
        checkPreempt(parent)
        return id
    }

    /// Go's Gosched: the caller becomes runnable on the global queue.
    public static func gosched() {
        // Borrowed references all the way (see Machine.currentRef).
        guard let raw = gb_get_machine() else { return }
        Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
            guard let gpRef = m.currentRef else { return }
            gpRef._withUnsafeGuaranteedRef { gp in
                let saved = runtimeEnter(gp)
                // (Taking a lost P back may have moved gp off m: then the full path.)
                if saved & 2 != 0 || !goschedDirect(gp, m) { switchToScheduler(gp, .yield) }
                runtimeLeave(gp, saved)
            }
        }
    }

    /// A preemption point for CPU-bound code: yields when sysmon (a goroutine running
    /// for more than 10 ms) or stop-the-world asked this goroutine to.
    @inline(__always)
    public static func preemptionPoint() {
        guard let gp = currentGoroutine() else { return }
        if gp.preempt {
            let saved = runtimeEnter(gp)
            checkPreempt(gp)
            runtimeLeave(gp, saved)
        }
    }

    /// Go's Goexit: runs the goroutine's pending defers, then ends it. Other goroutines
    /// are not affected. The Swift frames of the goroutine are abandoned, not unwound:
    /// objects they retained are not released (Swift has no unwinding). The goroutine's
    /// body and its deferred functions themselves are released (in an optimized build; an
    /// unoptimized one keeps a copy of the body, or of a defer that called Goexit, in the
    /// abandoned frame, see runGoroutineBody and runDefers).
    public static func goexit() -> Never {
        guard let gp = currentGoroutine() else {
            fatalUsage("fatal error: runtime.Goexit called outside a goroutine")
        }
        _ = runtimeEnter(gp) // for good: the goroutine ends in the runtime
        if gp.panicking {
            // Called by a deferred function of a panic: the panic ends unprinted, as in
            // Go (runtime's GoexitInPanic test), and runtime.main stops waiting for it.
            gp.panicking = false
            gp.panics.removeAll()
            if let s = sched { _ = gb_sub_i64(s.words.panickingCount, 1) }
        }
        // A Goexit inside a defer (of a return, a Goexit or a panic) goes on with the defers
        // not yet started, as Go's nextDefer does; the frames it leaves behind own only
        // the defers that were running (runDefers).
        runDefers(gp)
        goexit1(gp)
    }

    /// Registers `f` to run when the current goroutine ends: by returning, by Goexit, or
    /// by panic (last registered, first run).
    public static func `defer`(_ f: @escaping () -> Void) {
        guard let gp = currentGoroutine() else {
            fatalUsage("runtime: defer outside a goroutine")
        }
        gp.defers.append(GoroutineEntry(run: f))
    }

    /// Go's NumGoroutine: goroutines that exist now (runnable, running, in a system
    /// call or waiting), not counting the runtime's own (the scavenger).
    public static func numGoroutine() -> Int {
        guard let s = sched else { return 0 }
        return Int(gb_load_acquire_i64(s.words.liveUserGoroutines))
    }

    /// The running goroutine's id, or 0 outside a goroutine.
    public static var goroutineID: Int64 { currentGoroutine()?.id ?? 0 }

    /// Go's panic, without recover: runs the goroutine's defers, prints the panic chain
    /// (`panic: MESSAGE`; a panic raised by a deferred function while this one runs adds
    /// `\tpanic: LATER`, as Go's printpanics) and the traceback GOTRACEBACK asks for
    /// (Traceback.swift), and exits with status 2. A panic raised by a defer goes on
    /// running the defers left, as in Go.
    public static func panic(_ message: String) -> Never {
        if let gp = currentGoroutine() {
            gp.panics.append(PanicRecord(message: message))
            if !gp.panicking {
                gp.panicking = true
                if let s = sched { _ = gb_add_i64(s.words.panickingCount, 1) }
            }
            runDefers(gp)
            flushStandardStreams()
            gb_fatal_exit(panicChainText(gp.panics) + Traceback.forPanic(gp), 2)
        }
        flushStandardStreams()
        gb_fatal_exit("panic: \(message)\n", 2)
    }

    // MARK: - Threads

    /// Go's LockOSThread: the calling goroutine runs only on its current thread, and no
    /// other goroutine runs there, until as many UnlockOSThread calls.
    public static func lockOSThread() {
        guard let gp = currentGoroutine() else { return }
        let saved = runtimeEnter(gp)
        defer { runtimeLeave(gp, saved) }
        guard let m = gp.m else { return }
        if gp.lockedExternal == UInt32.max { Runtime.panic("LockOSThread nesting overflow") }
        TemplateThread.lockingThread() // new Ms' threads come from a clean thread (TemplateThread.swift)
        gp.lockedExternal += 1
        m.lockedG = gp
        gp.lockedM = m
    }

    public static func unlockOSThread() {
        guard let gp = currentGoroutine() else { return }
        let saved = runtimeEnter(gp)
        defer { runtimeLeave(gp, saved) }
        if gp.lockedExternal == 0 { return }
        gp.lockedExternal -= 1
        dropLockIfUnlocked(gp)
    }

    /// The runtime's own lock (Go's lockOSThread with a lowercase l): separate counter.
    static func lockOSThreadInternal() {
        guard let gp = currentGoroutine(), let m = gp.m else { return }
        gp.lockedInternal += 1
        m.lockedG = gp
        gp.lockedM = m
    }

    static func unlockOSThreadInternal() {
        guard let gp = currentGoroutine() else { return }
        if gp.lockedInternal == 0 { fatalThrow("runtime: internal error: misuse of lockOSThread/unlockOSThread") } // Go's badunlockosthread
        gp.lockedInternal -= 1
        dropLockIfUnlocked(gp)
    }

    private static func dropLockIfUnlocked(_ gp: Goroutine) {
        if gp.lockedInternal != 0 || gp.lockedExternal != 0 { return }
        gp.m?.lockedG = nil
        gp.lockedM = nil
    }

    /// True when the calling goroutine is locked to its thread.
    public static var isLockedToThread: Bool {
        guard let gp = currentGoroutine() else { return false }
        return gp.lockedM != nil
    }

    /// The kernel thread id the calling goroutine runs on.
    public static var threadID: Int32 { gb_gettid() }

    // MARK: - GOMAXPROCS and stop-the-world

    /// Go's GOMAXPROCS: n <= 0 only reads; otherwise stops the world, resizes the set of
    /// Ps (removed Ps' queues go to the head of the global queue), restarts the world,
    /// and returns the previous value.
    @discardableResult
    public static func gomaxprocs(_ n: Int) -> Int {
        guard let s = sched else { return 0 }
        let old = s.gomaxprocs
        if n <= 0 || n == old { return old }
        guard let gp = currentGoroutine() else { fatalUsage("runtime: GOMAXPROCS(n) outside a goroutine") }
        let saved = runtimeEnter(gp)
        defer { runtimeLeave(gp, saved) }
        s.stopTheWorld()
        s.lock.lock()
        let runnable = s.resizeProcessors(n, caller: Machine.current!)
        // Clear the stop flag before anyone can take one of the Ps the resize put on the
        // idle list (Go clears gcwaiting under the same sched.lock as procresize): an M
        // that took one while the flag was still set would stop it again, uncounted.
        gb_store_release_u32(s.words.gcWaiting, 0)
        s.lock.unlock()
        s.startTheWorld(runnable)
        return old
    }

    // MARK: - Sleep

    /// Parks the goroutine for `nanoseconds`; it holds no M meanwhile.
    public static func sleep(nanoseconds: Int64) {
        guard let gp = currentGoroutine() else {
            var ts = timespec(tv_sec: Int(nanoseconds / 1_000_000_000), tv_nsec: Int(nanoseconds % 1_000_000_000))
            _ = nanosleep(&ts, nil)
            return
        }
        let saved = runtimeEnter(gp)
        defer { runtimeLeave(gp, saved) }
        if nanoseconds <= 0 { checkPreempt(gp); return }
        gp.waitReason = .sleep
        let until = gb_nanotime() + nanoseconds
        gp.sleepUntil = until
        switchToScheduler(gp, .sleep(until: until))
        gp.waitReason = .none
    }

    // MARK: - Statistics and settings

    /// A snapshot of the runtime's counters, readable while it runs, from a goroutine or
    /// any other thread. It takes no lock: the per-P counters are plain fields that only
    /// the P's owner writes, read here without synchronisation (relaxed reads: each value
    /// may be a few increments behind, and the fields are not read at one instant).
    public static func statistics() -> RuntimeStatistics {
        var out = RuntimeStatistics()
        guard let s = sched else { return out }
        var st = s.retiredStatistics
        for p in s.allP {
            let ps = p.stats
            st.add(ps)
            let queued = p.runQueue.count + (p.runQueue.runnextItem != 0 ? 1 : 0)
            out.processors.append(ProcessorStatisticsSnapshot(id: p.id, ps, runQueueLength: queued))
        }
        out.processorTotals = st.snapshot
        for c in GlobalCounter.allCases { out.globals[c.rawValue] = Statistics.shared[c] }
        out.processorTotals[ProcessorCounter.goroutineReadies.rawValue] &+= out[.readiesWithoutProcessor]
        out.spinningMachines = Int(max(0, gb_load_acquire_i32(s.words.spinningCount)))
        // The handler's refusals are counted in C, where a signal handler may count.
        for (i, c) in [GlobalCounter.asyncPreemptRefusalsInRuntime, .asyncPreemptRefusalsInSignalHandler,
                       .asyncPreemptRefusalsOffStack, .asyncPreemptRefusalsInLibrary,
                       .asyncPreemptRefusalsStale].enumerated() {
            out.globals[c.rawValue] &+= gb_preempt_refusals(Int32(i))
        }
        return out
    }

    /// Go's debug.SetMaxStack: the limit for stacks created from now on and for the
    /// goroutines that already run (StackAllocator.swift, "The maximum stack of running
    /// goroutines"); returns the previous one. Below the minimum stack size it is an error.
    @discardableResult
    public static func setMaxStack(_ bytes: Int) -> Int {
        if bytes < StackAllocator.minimumStackBytes {
            fatalUsage("runtime: invalid maximum stack size \(bytes): below the minimum stack of \(StackAllocator.minimumStackBytes) bytes")
        }
        if bytes > RuntimeConfiguration.maximumSizeBytes {
            fatalUsage("runtime: invalid maximum stack size \(bytes): above 1 TiB")
        }
        guard let s = sched else {
            let old = pendingMaxStackBytes ?? RuntimeConfiguration.defaultMaxStackBytes
            pendingMaxStackBytes = bytes
            return old
        }
        let old = s.maxStackBytes
        s.maxStackBytes = bytes
        if let gp = currentGoroutine() {
            // Runtime code (Preemption.swift): a P lost meanwhile is taken back first, and
            // no forced preemption lands while the world is stopped for the guards.
            let saved = runtimeEnter(gp)
            defer { runtimeLeave(gp, saved) }
            StackAllocator.applyMaxStackToRunningGoroutines(s, bytes)
        }
        return old
    }

    /// The standard stack size of `go { }`.
    public static var standardStackBytes: Int { sched?.stacks.standardBytes ?? RuntimeConfiguration.defaultStandardStackBytes }
    public static var maxStackBytes: Int { sched?.maxStackBytes ?? RuntimeConfiguration.defaultMaxStackBytes }
    public static var isRunning: Bool { sched != nil }
}

nonisolated(unsafe) var pendingMaxStackBytes: Int? = nil

/// Yields if a preemption was requested (the check at every runtime call).
@inline(__always)
func checkPreempt(_ gp: Goroutine) {
    if gp.preempt {
        gp.preempt = false
        gp.m?.p?.stats[.preemptions] += 1
        switchToScheduler(gp, .preempted)
    }
}

/// Makes a waiting goroutine runnable (Go's goready): onto `p`'s runnext when given, else
/// the global queue; then wakep.
func ready(_ gp: Goroutine, on p: Processor?, next: Bool) {
    schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in
        gp.casStatus(.waiting, .runnable)
        if let p {
            p.stats[.goroutineReadies] &+= 1 // (`p` is the caller's own P)
            s.runqPut(p, gp, next: next)
        } else {
            Statistics.shared.add(.readiesWithoutProcessor)
            s.lock.lock()
            s.globalPut(gp)
            s.lock.unlock()
        }
        s.wakeP()
    }
}

/// ready() from a goroutine or g0: the current M's P when it has one. (Borrowed
/// references: a channel operation readies its partner on every hand-off.)
@inline(__always)
func readyFromHere(_ gp: Goroutine) {
    guard let raw = gb_get_machine() else { ready(gp, on: nil, next: true); return }
    Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
        if let pRef = m.pRef {
            pRef._withUnsafeGuaranteedRef { p in ready(gp, on: p, next: true) }
        } else {
            ready(gp, on: nil, next: true)
        }
    }
}

/// readyFromHere for a G held unmanaged (a waiter's).
@inline(__always)
func readyFromHere(_ gp: Unmanaged<Goroutine>) {
    gp._withUnsafeGuaranteedRef { readyFromHere($0) }
}

/// Parks the running goroutine; g0 unlocks `lock` once the G is off its stack.
@inline(__always)
func park(_ gp: Goroutine, reason: WaitReason, unlocking lock: RuntimeLock?) {
    gp.waitReason = reason
    switchToScheduler(gp, .park(lock.map { Unmanaged.passUnretained($0) }))
    gp.waitReason = .none
}

/// Calls `body` with the running goroutine and its M, borrowed (no retain or release
/// call: an M lives as long as the runtime, and the scavenger frees only dead Gs);
/// outside a goroutine, fails with `message`.
@inline(__always)
func withCurrentGoroutine<R>(orFail message: @autoclosure () -> String, _ body: (Goroutine, Machine) -> R) -> R {
    guard let raw = gb_get_machine() else { fatalUsage(message()) }
    return Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
        guard let gpRef = m.currentRef else { fatalUsage(message()) }
        return gpRef._withUnsafeGuaranteedRef { gp in body(gp, m) }
    }
}
