// Blocking system calls (Go's entersyscall / exitsyscall / entersyscallblock).
//
// A goroutine about to block in the kernel keeps its P attached but marks it "in a
// syscall"; if the call is quick, it takes the P back with one CAS on return. If it
// blocks for longer than a sysmon tick, sysmon retakes the P and hands it to another M,
// so the other goroutines keep running. On return without its P, the G takes an idle
// P, or else goes to the global queue and its M parks.
import CRuntime

extension Runtime {
    /// Runs `body` (a blocking system call) as Go's syscall wrappers do.
    @inline(__always)
    public static func syscall<T>(_ body: () throws -> T) rethrows -> T {
        guard let gp = currentGoroutine() else { return try body() }
        let saved = runtimeEnter(gp)
        enterSyscall(gp, handOffNow: false)
        defer { exitSyscall(gp); runtimeLeave(gp, saved) }
        return try body()
    }

    /// For a call known to block for long (Go's entersyscallblock): the P is handed off
    /// at once instead of waiting for sysmon.
    public static func blockingSyscall<T>(_ body: () throws -> T) rethrows -> T {
        guard let gp = currentGoroutine() else { return try body() }
        let saved = runtimeEnter(gp)
        enterSyscall(gp, handOffNow: true)
        defer { exitSyscall(gp); runtimeLeave(gp, saved) }
        return try body()
    }
}

func enterSyscall(_ gp: Goroutine, handOffNow: Bool) {
    let s = sched!
    // Yield first if asked: the G may resume on another M, so read the M and P after.
    checkPreempt(gp)
    guard let m = gp.m, let p = m.p else {
        fatal("entersyscall: no P (M\(gp.m?.id ?? -1) current=\(gp.m?.current?.id ?? -1) oldP=\(gp.m?.oldP?.id ?? -1) g=\(gp.id) status=\(gp.status) tls=\(Machine.current?.id ?? -1) tlsP=\(Machine.current?.p?.id ?? -1))")
    }
    gp.casStatus(.running, .syscall)
    p.stats[.syscalls] += 1
    _ = gb_add_u32(p.syscallTick, 1)
    m.oldP = p
    m.p = nil
    p.m = nil
    // In the call this M holds no goroutine but gp, which cannot end meanwhile, unless a
    // direct switch left another in g0's frames: a quiescent state for the scavenger's
    // grace period (Scavenger.swift, "Free goroutines"), so that a long call does not hold
    // up the freeing of goroutines. exitSyscall ends it before anything else.
    if m.framesHoldOnly(gp) { m.enterQuiescentState() }
    if handOffNow {
        Statistics.shared.add(.handoffs)
        p.setStatus(.idle)
        s.handoffP(p)
        return
    }
    p.setStatus(.syscall)
    // Pairs with stopTheWorld's fence: either it sees the syscall status, or we see its
    // stop flag (a store then a load on each side needs sequential consistency).
    gb_fence_seq_cst()
    s.giveSyscallPToWorldStopper(p)
}

extension Scheduler {
    /// Go's entersyscall_gcwait: while the world is being stopped, a P just put in
    /// `syscall` status goes to the world-stopper at once (counted in synced.stopWait). Called
    /// after the status store and the fence that pairs with stopTheWorld's, by
    /// enterSyscall and by the preemption handler (Preemption.swift), which takes
    /// sched.lock only here, never while the interrupted code could hold it.
    @inline(__always)
    func giveSyscallPToWorldStopper(_ p: Processor) {
        guard isStopping else { return }
        lock.lock()
        if isStopping && p.casStatus(.syscall, .stopped) {
            synced.stopWait -= 1
            if synced.stopWait == 0 { stopNote.wakeup() }
        }
        lock.unlock()
    }
}

func exitSyscall(_ gp: Goroutine) {
    let s = sched!
    guard let m = gp.m else { fatal("exitsyscall: no M") }
    m.leaveQuiescentState()
    let oldP = m.oldP
    m.oldP = nil
    // Fast path: our P is still ours.
    if let oldP, oldP.casStatus(.syscall, .running) {
        m.p = oldP
        oldP.m = m
        oldP.stats[.syscallFastExits] += 1
        gp.casStatus(.syscall, .running)
        checkPreempt(gp)
        return
    }
    // An idle P.
    if !s.isStopping {
        s.lock.lock()
        let p = s.idlePGet()
        s.lock.unlock()
        if let p {
            s.acquireP(m, p)
            Statistics.shared.add(.syscallSlowExits)
            gp.casStatus(.syscall, .running)
            return
        }
    }
    // No P: to the global queue; this M parks (Go's exitsyscall0).
    Statistics.shared.add(.syscallSlowExits)
    Statistics.shared.add(.threadsParked)
    switchToScheduler(gp, .syscallNoP)
}
