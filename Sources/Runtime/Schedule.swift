// The scheduling loop that runs on each M's g0, and the goroutine side of a switch.
// (The protocol is described at the top of Scheduler.swift.)
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A new M's thread: take the P it was given, then schedule until the runtime ends.
func machineMain(_ m: Machine) {
    m.attachToThread()
    if m.isSysmon {
        sysmonMain(m)
        return
    }
    guard let p = m.nextP else { fatal("mstart: M without a P") }
    m.nextP = nil
    sched.acquireP(m, p)
    schedule(m)
    retireMachine(m)
}

/// Ends an M's thread (shutdown, or a locked goroutine exited on it).
func retireMachine(_ m: Machine) {
    let s = sched!
    s.lock.lock()
    s.synced.machineCount -= 1
    s.lock.unlock()
    gb_set_machine(nil)
    m.enterQuiescentState() // for good: its frames never run again
    if !m.isM0 { gb_thread_exit() }
}

/// The scheduler loop on g0 (Go's schedule): find a G, run it, carry out what it asked
/// when it switches back. Returns when the runtime shuts down or the M must end.
func schedule(_ m: Machine) {
    let s = sched!
    while true {
        m.passQuiescentPoint() // for the scavenger's grace period (Scavenger.swift)
        if s.isShuttingDown { releaseForShutdown(m); return }
        if let lg = m.lockedG {
            // This M belongs to a goroutine: sleep until it is runnable, then run it.
            if !stopLockedM(m) { return }
            execute(m, lg, inheritTime: false)
            if finishSwitch(m) { return }
            continue
        }
        if s.isStopping { if !stopForTheWorld(m) { return }; continue }
        guard let (word, inheritTime) = findRunnable(m) else { return }
        if m.spinning { resetSpinning(m) }
        // Borrowed, by its word: this frame counts no reference to the G (none is held
        // once it runs, for the scavenger's grace period; and no retain or release).
        let gpRef = Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: word).unsafelyUnwrapped)
        let locked = gpRef._withUnsafeGuaranteedRef { gp -> Bool in
            guard let lm = gp.lockedM, lm !== m else { return false }
            // Hand our P to the goroutine's own M (Go's startlockedm) and stop.
            startLockedM(m, gp)
            return true
        }
        if locked {
            if !s.stopM(m, quiescent: true) { return }
            continue
        }
        gpRef._withUnsafeGuaranteedRef { execute(m, $0, inheritTime: inheritTime) }
        if finishSwitch(m) { return }
    }
}

/// Runs `gp` on `m` until it switches back (Go's execute + gogo).
@inline(__always)
func execute(_ m: Machine, _ gp: Goroutine, inheritTime: Bool) {
    // The P borrowed (no retain before the switch and release after it).
    guard let pRef = m.pRef else { fatal("execute: M without a P") }
    pRef._withUnsafeGuaranteedRef { p in
        if !inheritTime { p.scheduleTick &+= 1 }
        if gp.needsContext { schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { $0.prepareToRun(gp, on: p) } }
        if gp.parkedStackState != .none { resumeParkedStack(gp) } // the scavenger saw it parked
        takeAsRunning(gp, m, p)
        m.executedWord = gp.word
        prefetchNextRunnable(p)
    }
    _ = gb_context_switch(m.g0, gp.context, nil)
    gb_set_current_stack(nil)
    gb_preempt_leave(m.preemptRecord, 0) // g0 is the runtime (Preemption.swift)
}

/// The G this P will most likely run next: its first lines (the object's header, the
/// spawner's fields and the runner's) are fetched while the current G runs. A G queued
/// for long, or written last on another CPU, costs misses on its first touch otherwise,
/// one after the other in schedule (WordRing.swift).
@inline(__always)
func prefetchNextRunnable(_ p: Processor) {
    let w = p.runQueue.nextItemHint
    if w == 0 { return }
    let g = UnsafeRawPointer(bitPattern: w)!
    gb_prefetch_write(g)
    gb_prefetch_write(g + 64)
    gb_prefetch_read(g + 128)
}

/// `gp` becomes `m`'s running goroutine on `p`, just before the switch to it (execute's,
/// and a direct Gosched's, way in).
@inline(__always)
func takeAsRunning(_ gp: Goroutine, _ m: Machine, _ p: Processor) {
    p.stats[.schedules] += 1
    if gp.spawnNode != p.node { p.stats[.remoteRuns] += 1 }
    // A CAS, not a store: a G that is not runnable here (a runtime bug: on two queues)
    // must fail loudly, never run twice on one stack.
    gp.casStatus(.runnable, .running)
    // A request that came while the G ran on, then parked instead of yielding, is stale:
    // the G starts a fresh slice (Go's execute clears gp.preempt too).
    gp.preempt = false
    m.current = gp
    gp.m = m
    gb_store_release_uptr(p.runningMachineWord, UInt(bitPattern: Unmanaged.passUnretained(m).toOpaque()))
    gb_store_release_uptr(p.runningWord, gp.word) // pairs with sysmon's load-acquire
    gb_set_current_stack(gp.stackRecord)
}

/// Carries out the action of the G that just switched back to g0. Returns true when this
/// M must stop scheduling (its locked G exited and the thread ends).
@inline(__always)
func finishSwitch(_ m: Machine) -> Bool {
    guard let gpRef = m.currentRef else { fatal("schedule: no current goroutine after switch") }
    var action = SwitchAction.none
    swap(&action, &m.action) // (a move: no copy of the action's payload)
    return gpRef._withUnsafeGuaranteedRef { gp in
        schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in finishSwitch(s, m, gp, action) }
    }
}

// Out of line on purpose, as goschedDirect: the parameters are borrowed for the whole
// body (every switch back to g0 comes through here).
@inline(never)
func finishSwitch(_ s: Scheduler, _ m: Machine, _ gp: Goroutine, _ action: SwitchAction) -> Bool {
    let pRef = m.pRef
    if let pRef { pRef._withUnsafeGuaranteedRef { gb_store_relaxed_uptr($0.runningWord, 0) } }
    if let p = m.oldP { gb_store_relaxed_uptr(p.runningWord, 0) }
    /// The G has parked (Go's park_m before its unlockf): counted on its P (a parking G's
    /// M holds its P), waiting, off this M.
    @inline(__always) func parked() {
        pRef?._withUnsafeGuaranteedRef { $0.stats[.goroutineParks] &+= 1 }
        gp.setStatus(.waiting)
        m.current = nil
        gp.m = nil
    }
    switch action {
    case .yield, .preempted:
        // Go's gosched_m / gopreempt_m: to the global queue. (Running Gs belong to their
        // M alone: plain release stores for the status.)
        gp.setStatus(.runnable)
        m.current = nil
        gp.m = nil
        s.lock.lock()
        s.globalPut(gp)
        s.lock.unlock()
        s.wakeP() // Go's goschedImpl: an idle P may take it
    case .park(let unlock):
        parked()
        // Only now, with the G off its stack, may its waker run it.
        unlock?._withUnsafeGuaranteedRef { $0.unlock() }
    case .sleep(let when):
        let isSystem = gp.isSystem
        parked()
        // Only now, with the G off its stack, may the timer ready it. (No false deadlock
        // meanwhile: this M is running, and checkDead looks for none.)
        guard let pRef else { fatal("sleep: goroutine \(gp.id) parked without a P") }
        pRef._withUnsafeGuaranteedRef { $0.timers.add(whenNanoseconds: when, g: gp, isSystem: isSystem, queue: s.timers) }
    case .parkUnlockAll:
        parked()
        for l in m.parkLocks.reversed() { l.unlock() }
        m.parkLocks.removeAll(keepingCapacity: true) // no allocation at the next select
    case .exit:
        return exitGoroutine0(m, gp)
    case .syscallNoP:
        // exitsyscall found no P (Go's exitsyscall0): look for an idle P once more under
        // the lock that the queue put takes, so that a P freed meanwhile cannot sit idle
        // beside this G; else the G goes to the global queue and this M stops.
        gp.casStatus(.syscall, .runnable)
        m.current = nil
        gp.m = nil
        s.lock.lock()
        if !s.isStopping, let p = s.idlePGet() {
            s.lock.unlock()
            s.acquireP(m, p)
            s.runqPut(p, gp, next: true)
            return false
        }
        s.globalPut(gp)
        s.lock.unlock()
        _ = consume gp // gp may run and end elsewhere: no reference held while we sleep
        if m.lockedG == nil, !s.stopM(m, quiescent: true) { return true }
    case .yieldQueued:
        gp.setStatus(.runnable)
        m.current = nil
        gp.m = nil
        s.lock.unlock() // taken by goschedDirect; from here gp may run elsewhere
        s.wakeP()
    case .abandon:
        m.current = nil
        gp.m = nil
    case .none:
        fatal("schedule: goroutine \(gp.id) switched to g0 without an action")
    }
    return false
}

/// Go's goexit0: the G is dead, its stack and the G go back for reuse.
func exitGoroutine0(_ m: Machine, _ gp: Goroutine) -> Bool {
    let s = sched!
    let p = m.p!
    // The stack goes back before the G is dead, so whoever sees a dead G sees it stackless.
    s.releaseStack(gp, to: p)
    gp.casStatus(.running, .dead)
    m.current = nil
    gp.m = nil
    if !gp.isSystem { _ = gb_sub_i64(s.words.liveUserGoroutines, 1) }
    if let body = gp.runningBodyContext {
        // Goexit abandoned the first frame, which owned the body: release it here.
        gp.runningBodyContext = nil
        Unmanaged<AnyObject>.fromOpaque(body).release()
    }
    if !gp.runningDeferContexts.isEmpty {
        // Goexit inside a running defer abandoned the frames that owned those defers.
        for context in gp.runningDeferContexts { Unmanaged<AnyObject>.fromOpaque(context).release() }
        gp.runningDeferContexts.removeAll(keepingCapacity: true)
    }
    gp.entry = nil // (taken by the first run; a G always runs before it exits)
    gp.needsContext = true
    gp.isSystem = false
    gp.requestedStackBytes = 0
    if !gp.defers.isEmpty { gp.defers.removeAll() }
    gp.waitReason = .none
    gp.preempt = false
    var wasLocked = false
    if gp.lockedM != nil { // (the counters are non-zero only with lockedM set)
        wasLocked = gp.lockedInternal > 0 || gp.lockedExternal > 0
        gp.lockedM = nil
        gp.lockedExternal = 0
        gp.lockedInternal = 0
    }
    m.lockedG = nil
    if gp.isMain {
        gp.isMain = false
        s.freePut(p, gp)
        mainGoroutineExited(m)
        if s.isShuttingDown { return false }
    } else {
        s.freePut(p, gp)
    }
    if wasLocked {
        // A goroutine that exits while locked ends its thread (Go: the thread may be in
        // a state the next goroutine must not inherit). m0 cannot end; it parks instead.
        s.handoffP(s.releaseP(m))
        if m.isM0 {
            s.lock.lock()
            s.synced.lockedIdleMCount += 1
            s.checkDead()
            s.lock.unlock()
            while !s.isShuttingDown { m.park.sleep(); m.park.clear() }
            return true
        }
        Statistics.shared.add(.threadsExited)
        retireMachine(m)
        return true // not reached for other Ms
    }
    return false
}

// MARK: - Finding work

/// Go's findRunnable: blocks (parks the M) until there is a G to run. Returns its word
/// (Goroutine.word: the caller borrows the G, no reference is counted) and whether it
/// inherits the time slice, or nil when the runtime shuts down.
@inline(__always)
func findRunnable(_ m: Machine) -> (UInt, Bool)? {
    schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in findRunnable(s, m) }
}

/// Steps 1 to 3 of findRunnable, on the M's own P and the global queue: the path of
/// every switch, so its references are borrowed (no retain or release per schedule).
@inline(__always)
func findRunnableHere(_ s: Scheduler, _ p: Processor) -> (UInt, Bool)? {
    // (The due check inline: most schedules find no timer due.)
    let timers = p.timers
    if gb_load_acquire_i64(timers.nextWhen) != .max { timers.runDue(on: p, queue: s.timers) }
    // 1. Fairness: every 61st tick, the global queue first (Go's number: a prime
    //    that is not too small, so neither queue starves).
    if p.scheduleTick % 61 == 0 {
        s.placement.observeNode(of: p)
        if gb_load_relaxed_i64(s.words.globalSize) > 0 {
            s.lock.lock()
            let gp = s.globalGet(p, max: 1)
            s.lock.unlock()
            if let gp { return (gp.word, false) }
        }
    }
    // 2. The local queue.
    if let (w, inherit) = p.runQueue.get() { return (w, inherit) }
    // 3. A batch from the global queue.
    if gb_load_relaxed_i64(s.words.globalSize) > 0 {
        s.lock.lock()
        let gp = s.globalGet(p, max: 0)
        s.lock.unlock()
        if let gp { return (gp.word, false) }
    }
    return nil
}

func findRunnable(_ s: Scheduler, _ m: Machine) -> (UInt, Bool)? {
    while true {
        if s.isShuttingDown { releaseForShutdown(m); return nil }
        if s.isStopping {
            if !stopForTheWorld(m) { return nil }
            continue
        }
        guard let pRef = m.pRef else { fatal("findrunnable: M without a P") }
        if let found = pRef._withUnsafeGuaranteedRef({ findRunnableHere(s, $0) }) { return found }
        let p = pRef.takeUnretainedValue()
        // 4. Steal, if not too many Ms spin already.
        let busy = Int32(s.gomaxprocs) - gb_load_acquire_i32(s.words.idlePCount)
        if m.spinning || 2 * gb_load_acquire_i32(s.words.spinningCount) < busy {
            s.placement.observeNode(of: p)
            if !m.spinning {
                m.spinning = true
                _ = gb_add_i32(s.words.spinningCount, 1)
                p.stats[.spinningStarts] &+= 1
            }
            if let gp = stealWork(m, p) { return (gp.word, false) }
            // The other Ps' due timers, onto our queue (Go's stealWork runs them too).
            if s.timers.runDueEverywhere(on: p, except: p.timers) > 0 { continue }
        }
        // Nothing: give up the P and park.
        s.lock.lock()
        if s.isStopping || s.isShuttingDown { s.lock.unlock(); continue }
        if gb_load_relaxed_i64(s.words.globalSize) > 0 {
            let gp = s.globalGet(p, max: 0)
            s.lock.unlock()
            if let gp { return (gp.word, false) }
            continue
        }
        s.releaseP(m)
        s.idlePPut(p)
        s.lock.unlock()
        if m.spinning {
            m.spinning = false
            _ = gb_sub_i32(s.words.spinningCount, 1)
            // The re-check of step 3 of the protocol: the decrement above is sequentially
            // consistent with a submitter's enqueue-then-wakep.
            gb_fence_seq_cst()
            if anyPHasWork(s) {
                s.lock.lock()
                if let ip = s.idlePGet() {
                    s.lock.unlock()
                    s.acquireP(m, ip)
                    m.spinning = true
                    _ = gb_add_i32(s.words.spinningCount, 1)
                    ip.stats[.spinningStarts] &+= 1
                    continue
                }
                s.lock.unlock()
            }
        }
        // Someone must wait for the timers: the first M to go idle while timers are
        // pending sleeps until the earliest one (Go lets it wait in netpoll).
        // Only user timers: the runtime's own (the scavenger's) are run by sysmon, and
        // must not keep a deadlocked program alive (this M goes to stopM's checkDead).
        if s.timers.hasUserTimers && s.timers.becomeWaiter() {
            s.timers.waitForNext(m)
            s.lock.lock()
            let ip = s.idlePGet()
            s.lock.unlock()
            if let ip {
                s.acquireP(m, ip)
                continue
            }
        }
        if !s.stopM(m, quiescent: true) { return nil }
    }
}

/// True when some P's local queue or the global queue has work (the spinner's re-check
/// before parking).
func anyPHasWork(_ s: Scheduler) -> Bool {
    for p in s.allP where !p.runQueue.isEmpty { return true }
    return gb_load_relaxed_i64(s.words.globalSize) > 0
}

/// Go's stealWork: 4 rounds over the Ps in a random order (topology-aware: Ps on the same
/// node first); the victim's runnext only in the last round.
func stealWork(_ m: Machine, _ p: Processor) -> Goroutine? {
    let s = sched!
    if s.allP.count <= 1 { return nil }
    var found: Goroutine? = nil
    for round in 0..<4 {
        let stealRunNext = round == 3
        s.placement.forEachVictim(of: p, allP: s.allP) { victim in
            if s.isStopping { return true }
            if victim.runQueue.isEmpty { return false }
            p.stats[.stealAttempts] &+= 1
            var taken: UInt32 = 0
            if let w = p.runQueue.steal(from: victim.runQueue, stealRunNext: stealRunNext,
                                        victimRunning: victim.status == .running, taken: &taken) {
                p.stats[.steals] += 1
                p.stats[.stolenGoroutines] &+= UInt64(taken)
                if victim.node != p.node { p.stats[.remoteSteals] += 1 }
                found = Goroutine.from(word: w)
                return true
            }
            return false
        }
        if found != nil || s.isStopping { return found }
    }
    return nil
}

/// A spinning M found work: stop spinning; if it was the last spinner, wake another so
/// that the rest of a burst is picked up (Go's resetspinning).
@inline(__always)
func resetSpinning(_ m: Machine) {
    m.spinning = false
    let n = gb_sub_i32(sched.words.spinningCount, 1)
    if n < 0 { fatal("findrunnable: negative nmspinning") }
    if n == 0 { sched.wakeP() }
}

// MARK: - Locked goroutines

/// Go's startlockedm: hand our P to the M that `gp` is locked to and wake it. The locked
/// M stops counting as idle before it wakes (Go: incidlelocked(-1) before notewakeup), so
/// checkDead never sees a moment with nobody running; both sides update the count under
/// sched.lock, with Machine.countedLockedIdle saying whether the M is counted.
func startLockedM(_ m: Machine, _ gp: Goroutine) {
    let s = sched!
    guard let lm = gp.lockedM else { return }
    let p = s.releaseP(m)
    Statistics.shared.add(.lockedHandoffs)
    s.lock.lock()
    lm.nextP = p
    lm.pendingLockedRun = gp
    if lm.countedLockedIdle {
        lm.countedLockedIdle = false
        s.synced.lockedIdleMCount -= 1
    }
    s.lock.unlock()
    Statistics.shared.add(.machineWakeups)
    lm.park.wakeup()
}

/// Go's stoplockedm: the locked G is not running; hand off our P and sleep until the G
/// is runnable and someone hands us a P (startLockedM). Returns false on shutdown.
func stopLockedM(_ m: Machine) -> Bool {
    let s = sched!
    if let p = m.p {
        // Go hands the P off (handoffp); the M that takes it finds the next G and, when
        // that G is locked to another M, hands the P on once more (startlockedm): two
        // thread wake-ups per switch between locked goroutines. When our P's next G is
        // locked, its M gets the P straight from here: one wake-up.
        if !s.isStopping, let (w, _) = p.runQueue.get() {
            let next = Goroutine.from(word: w)
            if next.lockedM === m {
                return true // our own G became runnable meanwhile: run it on our P
            } else if next.lockedM != nil {
                startLockedM(m, next)
            } else {
                s.runqPut(p, next, next: true) // back at the front, where it was
                s.handoffP(s.releaseP(m))
            }
        } else {
            s.handoffP(s.releaseP(m))
        }
    }
    Statistics.shared.add(.machineParks)
    s.lock.lock()
    if m.pendingLockedRun == nil {
        m.countedLockedIdle = true
        s.synced.lockedIdleMCount += 1
        s.checkDead()
    }
    s.lock.unlock()
    while true {
        s.lock.lock()
        let ready = m.pendingLockedRun != nil
        s.lock.unlock()
        if ready { break }
        m.park.sleep(spinningFor: lockedMachineSpinNanoseconds)
        m.park.clear()
        if s.isShuttingDown { return false }
    }
    s.lock.lock()
    m.pendingLockedRun = nil
    let p = m.nextP
    m.nextP = nil
    s.lock.unlock()
    guard let p else { fatal("stoplockedm: woken without a P") }
    s.acquireP(m, p)
    return true
}

/// How long a locked M that waits for its goroutine's turn watches its park word before it
/// sleeps in the kernel. Zero: it sleeps at once, as Go's stoplockedm (notesleep). A spin
/// keeps one CPU busy per waiting locked M: the locked ping-pong then costs more CPU per
/// round trip than Go's (`cpu_ns_per_op`), and on a loaded machine the spinning thread takes
/// the CPU that the goroutine it waits for needs.
let lockedMachineSpinNanoseconds: Int64 = 0

// MARK: - Stop-the-world, the M side

/// Go's gcstopm: give our P to the world-stopper and park until restarted.
func stopForTheWorld(_ m: Machine) -> Bool {
    let s = sched!
    if m.spinning {
        m.spinning = false
        _ = gb_sub_i32(s.words.spinningCount, 1)
    }
    s.lock.lock()
    if !s.isStopping {
        // The world restarted since this M looked: keep the P and go on.
        s.lock.unlock()
        return true
    }
    let p = s.releaseP(m)
    p.setStatus(.stopped)
    s.synced.stopWait -= 1
    if s.synced.stopWait == 0 { s.stopNote.wakeup() }
    s.lock.unlock()
    return s.stopM(m, quiescent: true) // (called where no frame holds a G)
}

/// At shutdown an M gives up its P and its thread ends (m0 returns to Runtime.run).
func releaseForShutdown(_ m: Machine) {
    if let p = m.p {
        m.p = nil
        p.m = nil
    }
}

// MARK: - The goroutine side

/// The first frame of every goroutine (the context's entry).
func goroutineMain(_ arg: UnsafeMutableRawPointer) {
    let gp = Unmanaged<Goroutine>.fromOpaque(arg).takeUnretainedValue()
    resumeAfterSwitch(gp) // (goschedDirect never starts a fresh G; kept for safety)
    // A user goroutine's body and defers are its own code, which the runtime may preempt
    // asynchronously (Preemption.swift); the runtime's goroutines never are.
    if !gp.isSystem && !gp.isMain { gb_runtime_leave(1) }
    runGoroutineBody(gp)
    _ = runtimeEnter(gp) // the P back if it was lost, before goexit uses it
    goexit1(gp)
}

/// Runs the body and then the pending defers. A separate frame, so that everything the
/// body retained is released before the final switch (which never returns). The frame
/// takes the body out of the G (a move: no retain, and the spawner's line is not written
/// again until exit) and calls it; should Goexit abandon the frame, exitGoroutine0
/// releases the body through runningBodyContext.
@inline(never)
func runGoroutineBody(_ gp: Goroutine) {
    // (This shape, a swap into a local var and a call through it, is the one the
    // optimizer compiles to a call without a retain; `if let body = gp.entry.take()`
    // copies the closure first. Unoptimized builds copy it for the call whatever the
    // shape, so there Goexit leaks that copy: one of the abandoned frames' references.)
    var body: GoroutineEntry? = nil
    swap(&body, &gp.entry)
    gp.runningBodyContext = GoroutineEntry.context(of: &body)
    body?.run()
    body = nil // released before the defers run (a defer may Goexit)
    gp.runningBodyContext = nil
    runDefers(gp)
}

/// Runs the pending defers, last first. Each defer is moved into this frame and called
/// through it (runGoroutineBody's shape: no retain for the call); while it runs, its
/// context is also noted on the G, for exitGoroutine0 to release should the defer Goexit
/// and abandon this frame.
@inline(never)
func runDefers(_ gp: Goroutine) {
    while !gp.defers.isEmpty {
        var d: GoroutineEntry? = gp.defers.removeLast()
        let context = GoroutineEntry.context(of: &d)
        if let context { gp.runningDeferContexts.append(context) }
        d?.run()
        d = nil
        if context != nil { gp.runningDeferContexts.removeLast() }
    }
}

/// Switches from the running goroutine to its M's g0 with `action` (Go's mcall).
@inline(__always)
func switchToScheduler(_ gp: Goroutine, _ action: SwitchAction) {
    guard let m = gp.m else { fatal("mcall: goroutine \(gp.id) has no M") }
    m.action = action
    _ = gb_context_switch(gp.context, m.g0, nil)
    resumeAfterSwitch(gp)
}

/// Every point where a goroutine resumes: when the goroutine that switched here directly
/// (goschedDirect) handed over sched.lock, release it now that its stack is left.
@inline(__always)
func resumeAfterSwitch(_ gp: Goroutine) {
    if gp.unlockSchedOnResume {
        gp.unlockSchedOnResume = false
        schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in
            s.lock.unlock()
            s.wakeP() // Go's goschedImpl: an idle P may take the G that yielded
        }
    }
}

/// Gosched without the trip through g0 (Go goes gosched_m -> schedule -> execute, two
/// switches and two takes of sched.lock). Under one hold of sched.lock: the G goes to the
/// tail of the global queue and the next G is chosen in findRunnable's order (the global
/// queue every 61st tick, the local queue, a batch from the global queue); then a single
/// switch G -> G'. The lock stays held across the switch, so that no other M can take the
/// yielding G off the global queue while its stack is still in use, and is released by
/// G' as it resumes (resumeAfterSwitch). With nothing else runnable here it returns at
/// once (Go would queue gp and take it straight back). Returns false, having changed
/// nothing, where the full path is needed: a locked G, stop-the-world, shutdown.
@inline(__always)
func goschedDirect(_ gp: Goroutine, _ m: Machine) -> Bool {
    guard m.lockedG == nil, let pRef = m.pRef else { return false }
    return pRef._withUnsafeGuaranteedRef { p in
        schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in goschedDirect(gp, s, m, p) }
    }
}

// Out of line on purpose: parameters are borrowed (+0) for the whole body, so the
// fields read from them need no retain/release (none of them can be freed while its
// goroutine runs: the scavenger frees only dead Gs; a retain of one is still a call).
@inline(never)
func goschedDirect(_ gp: Goroutine, _ s: Scheduler, _ m: Machine, _ p: Processor) -> Bool {
    if p.timers.hasTimers { p.timers.runDue(on: p, queue: s.timers) }
    let runQueue = p.runQueue
    if s.isStopping || s.isShuttingDown { return false }
    s.lock.lock()
    if s.isStopping || s.isShuttingDown {
        s.lock.unlock()
        return false
    }
    if runQueue.isEmpty && gb_load_relaxed_i64(s.words.globalSize) == 0 {
        // Nothing else to run here: Go puts gp on the global queue and schedule() takes
        // it straight back (findRunnable looks at the global queue before stealing). The
        // same queue work under the same lock, without the two switches through g0: the
        // put and the get are made (and counted), and gp runs on.
        p.scheduleTick &+= 1
        s.globalPut(gp)
        let back = s.globalGet(p, max: 1)
        precondition(back?.word == gp.word,
                     "goschedDirect: the global queue's head is not the G just put on the empty queue")
        s.lock.unlock()
        return true
    }
    // The next G first, then gp onto the global queue: a batch from the global queue
    // goes to our local queue, where other Ms steal without the lock, and must never
    // carry gp while its stack is in use.
    var nextWord: UInt = 0
    var fromLocal = false
    if (p.scheduleTick &+ 1) % 61 == 0, let g = s.globalGet(p, max: 1) { nextWord = g.word }
    if nextWord == 0, let (w, _) = runQueue.get() { nextWord = w; fromLocal = true }
    if nextWord == 0, let g = s.globalGet(p, max: 0) { nextWord = g.word }
    if nextWord == 0 {
        s.lock.unlock() // the local queue was stolen meanwhile: the full path
        return false
    }
    return Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: nextWord)!)._withUnsafeGuaranteedRef {
        goschedSwitch(gp, $0, s, m, p, fromLocal: fromLocal)
    }
}

@inline(never)
func goschedSwitch(_ gp: Goroutine, _ g2: Goroutine, _ s: Scheduler, _ m: Machine, _ p: Processor,
                   fromLocal: Bool) -> Bool {
    p.scheduleTick &+= 1
    s.globalPut(gp) // still .running: nobody can take it before the lock is released
    if g2.lockedM != nil || g2.needsContext || g2.parkedStackState != .none {
        // Its own M must run it, or it has never run: back where it was (the local queue
        // has room: g2 just left it), and g0 does the rest with the lock held.
        if fromLocal { s.runqPut(p, g2, next: true) } else { s.globalPutHead(g2) }
        m.action = .yieldQueued
        _ = gb_context_switch(gp.context, m.g0, nil)
        resumeAfterSwitch(gp)
        return true
    }
    // gp leaves (finishSwitch's .yield), g2 comes in (execute's way, but g0's frames
    // still hold the G it executed: no executedWord).
    gp.setStatus(.runnable)
    gp.m = nil
    takeAsRunning(g2, m, p)
    g2.unlockSchedOnResume = true
    _ = gb_context_switch(gp.context, g2.context, nil)
    resumeAfterSwitch(gp)
    return true
}

/// Ends the running goroutine (after its defers ran).
func goexit1(_ gp: Goroutine) -> Never {
    gb_context_mark_exiting(gp.context)
    switchToScheduler(gp, .exit)
    fatal("goexit: dead goroutine \(gp.id) resumed")
}

/// The running goroutine, or nil on a thread that is not running one.
@inline(__always)
func currentGoroutine() -> Goroutine? {
    Machine.current?.current
}
