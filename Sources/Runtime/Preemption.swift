// Preemption: asynchronous preemption of goroutines that never call the runtime, and
// hand-off of Ps whose threads block in the kernel without telling the runtime.
//
// # The problem
//
// Preemption elsewhere in this runtime is cooperative (Scheduler.swift): sysmon asks a
// goroutine that has run for 10 ms to yield, and the goroutine yields at its next runtime
// call. A loop that makes no runtime call (`while true { n &+= 1 }`) never yields: at
// GOMAXPROCS 1 nothing else runs again, and at any GOMAXPROCS a stop-the-world (gomaxprocs,
// Runtime.scavenge) waits for it for ever. Go has preempted such loops since 1.14 with a
// signal (SIGURG) whose handler makes the goroutine call the scheduler from wherever it
// was. And a goroutine can block its thread in the kernel without going through
// Runtime.syscall (a direct read(2), FileHandle, an OS mutex): its P is stuck with it, and
// at GOMAXPROCS 1 everything else stops. Go has no such case (every blocking call goes
// through its runtime); Swift code does.
//
// # Why not Go's way
//
// Go's handler rewrites the interrupted context so that the goroutine calls into the
// scheduler, which may then resume it on another thread. Swift code interrupted at an
// arbitrary instruction may hold state bound to its thread, which a move to another thread
// corrupts:
//
// - a `Synchronization.Mutex` (or any pthread mutex) whose owner is the thread: unlocked
//   later from another thread, it is an error or a silent corruption;
// - glibc malloc's per-thread cache (tcache) and arena: a half-done malloc on thread A
//   finished on thread B;
// - errno, read after a call on the other thread;
// - a thread-local variable's address, computed once and kept in a register or a stack
//   slot (Swift and clang treat it as constant within a function: gb_atomic.h's note);
// - the exclusivity-checking access set of a debug build, kept per thread by the Swift
//   runtime: an access begun on A and ended on B breaks both sets.
//
// Go's answer, safe points with register maps emitted by its compiler, does not exist for
// Swift.
//
// # The design: preempt the thread, not the goroutine
//
// A forced preemption never moves the goroutine. Its thread gives the P away and sleeps;
// the goroutine stays bound to the thread, as a locked goroutine is, until a P is handed
// back to that thread. Every hazard above is about a goroutine changing threads mid-code,
// and none happens: the Mutex owner, the tcache, errno (saved and restored by the handler),
// the TLS addresses and the access set are all the same thread's when the code resumes.
// The P's hand-off reuses the system-call machinery (Syscall.swift), and the wait for a P
// reuses the locked-goroutine machinery (startLockedM / stopLockedM in Schedule.swift):
//
// 1. sysmon (retake, Sysmon.swift) asks a goroutine that has run for 10 ms to yield (the
//    cooperative request). If its P's schedule tick has not moved at sysmon's next round,
//    sysmon sends the runtime's SIGURG to the M's thread (preemptMachine below), and again
//    every round while the request stands (sysmon's delay is capped at 1 ms meanwhile).
// 2. The handler (gb_preempt.c, then asyncPreemptHandler below) refuses unless the thread
//    runs a goroutine's own code (see "Where the handler refuses"). When nothing else is
//    queued for the P (its local queue and the global queue are empty, no stop-the-world),
//    the goroutine only starts a new time slice, as Go's scheduler would run it again at
//    once: a hand-off would cost thread wake-ups for nothing. Otherwise it does what
//    entersyscall does: the G's status and the P's status become `syscall`, the P is the
//    M's oldP; it locks the G to the M if it was not locked, publishes the hand-off in the
//    M's record (`handoff` = 1) and wakes sysmon. Then it sleeps on the M's park note,
//    exactly as stopLockedM does.
// 3. sysmon (finishHandoffs) takes the hand-off: the G becomes runnable on the global
//    queue (locked to its M), and the P is retaken as from a system call and handed off
//    (handoffP), so the other goroutines run. Work that can allocate (a new M, a bigger
//    run queue) happens here, on sysmon's thread, never in the handler.
// 4. When a scheduler finds the G, it sees it locked to another M and hands that M its P
//    (startLockedM); the handler wakes, takes the P (status `running`), undoes the
//    temporary lock and returns: the goroutine continues where it was, on its thread.
//
// A stop-the-world meanwhile takes the P from the `syscall` status (stopTheWorld, or the
// handler's own check, as enterSyscall's), and the G waits on the global queue until the
// world restarts. If the runtime shuts down (main returned) while the thread waits, no P
// comes: the handler returns, the goroutine runs on without a P, and its next runtime
// entry abandons it and gives the thread back to g0, so that the M ends and m0 returns
// from Runtime.run. (A goroutine that never enters the runtime again keeps its thread, as
// a spinner does in a runtime without preemption; Go exits the process instead.) Deadlock detection stays right: until sysmon queues the G, the M counts
// as running (the G is runnable); after, it counts as a locked idle M (the G is on a run
// queue, which checkDead sees), as a locked M waiting for its G does.
//
// ## Where the handler refuses
//
// A thread preempted inside the runtime could hold a runtime lock that the hand-off
// needs (sched.lock: sysmon would wait for ever), or be half-way through a change of its
// P's queue that the next owner of the P would see torn. So the handler acts only when
// the M is in a goroutine's own code, which the runtime marks:
//
// - `user` in the M's record (gb_preempt_record) is 1 only while a user goroutine runs its
//   own code. Every public entry point that touches a P, a runtime lock or switches
//   clears it on entry and restores it on exit
//   (runtimeEnter / runtimeLeave: two out-of-line C calls on the thread's record, a load
//   and a store each, no atomic read-modify-write, no fence: the handler runs on the same
//   thread, so a signal fence orders them against it). g0 (the scheduler), sysmon, the
//   runtime's own goroutines (the scavenger) and the main goroutine's start-up never set
//   it. A goroutine switches out only from inside the runtime and resumes inside it, so
//   the word is right on whichever thread the goroutine resumes.
// - The interrupted stack pointer must be on the running goroutine's stack (not g0's, not
//   a signal stack).
// - The interrupted signal mask must block nothing that the thread's normal mask does not:
//   a signal handler running (without SA_NODEFER) blocks at least its own signal, so the
//   handler does not preempt code inside another signal handler. (A handler installed
//   with SA_NODEFER and an empty sa_mask cannot be told from ordinary code; the kernel
//   keeps no other trace of it that a handler can read safely.)
// - The interrupted instruction must be in the program's own Swift code: a function of the
//   main program (not a shared library) whose symbol is a Swift one (`$s...`), or one of
//   the runtime's leaf C functions that loops call (gb_nanotime, gb_cpu_relax, the atomic
//   helpers). gb_preempt.c reads the program's symbol table once, on sysmon's thread
//   as it starts, into sorted address ranges; the handler binary-searches them.
//   "Inside a C library call" cannot be detected in general (a callee does not say whose
//   lock it holds), and what is not Swift code may hold a lock that the hand-off needs:
//   malloc's (sysmon allocates to finish a hand-off), stdio's, the Swift runtime's
//   (metadata caches, swift_once, the exclusivity access set). That holds for shared
//   libraries (libc, the Swift runtime, Foundation) and for C and C++ linked into the
//   program: a sanitizer's runtime and its allocator, a static libc and a static Swift
//   runtime (`-static-executable`). A thread stopped while holding one would sleep in the
//   handler waiting for a P that sysmon, blocked on the same lock, never hands it. This
//   is Go's rule too: a goroutine is stopped only at an asynchronous safe point of Go code,
//   never in C (cgo) or in the runtime. A loop spends most of its time in its own code,
//   and a refusal is retried at the next round (1 ms), so a refusal costs latency, not
//   correctness. A program without a symbol table (stripped) gets no table: the handler
//   then refuses every preemption outside a system call, as with asyncpreemptoff=1.
//   A lock that Swift code holds (a Mutex, a lazy global's initializer under swift_once)
//   is held while its thread waits for a P, as a sync.Mutex is in Go: other threads that
//   need it block in the kernel, and their Ps are handed off as below.
//
// Refusals are counted by reason (RuntimeStatistics.asyncPreemptRefusalsInRuntime and the
// four after it).
//
// # Untracked blocking
//
// sysmon looks at every P whose schedule tick has not moved since its last round: if its
// M's thread used no CPU time over that round (clock_gettime on the thread's CPU clock, one
// system call), sysmon reads the thread's state from /proc/self/task/TID/stat, and when it
// is 'S' (sleeping) or 'D' (uninterruptible) sends the same signal asking "are you
// blocked?" (the CPU clock is read at most every 500 µs per P). The CPU clock is the cheap filter (a thread that runs is never read from
// /proc); the state letter is the reliable one (a runnable thread that the OS has not given
// a CPU also used no CPU time, but is 'R'). Both only for Ps whose tick is stuck, and once
// per stuck tick. The handler then finds the interrupted instruction at (or just after) a
// system call instruction: the kernel rewinds the PC to it when the call restarts
// (SA_RESTART) and leaves it just after when the call fails with EINTR. If so, and the
// thread runs a goroutine's own code, the handler does entersyscall's bookkeeping (the P
// in `syscall` status, the M's oldP), marks the P lost (`lost` = 1) and returns: the call
// restarts and blocks on; sysmon retakes the P as from any system call and hands it off.
// When the call returns, the goroutine runs on without a P until its next runtime entry,
// where runtimeEnter sees `lost` and runs exitSyscall: the P back with one CAS if nobody
// took it, else an idle P, else the goroutine queues and its M parks, as Go's exitsyscall.
// Here no instruction-set check for "blocked in the runtime" is needed: a runtime futex
// wait runs with `user` = 0 and is refused.
//
// ## Why running without a P is safe
//
// A P is the right to use the scheduler's per-P structures (run queue, free lists, timer
// heap, stack cache, statistics) and the count of threads allowed to run goroutines. The
// goroutine's own code touches none of the first: they are reached only through the
// runtime's entry points, and every entry point that uses them starts with runtimeEnter,
// which takes a P back before anything else (exitSyscall, the same code that ends every
// Runtime.syscall). Entry points that use no P (GoMutex's uncontended paths, defer,
// numGoroutine, statistics) need none. The G's status meanwhile is `syscall`, which is
// what every part of the runtime already expects of a G running on an M without a P. The
// second is a count, not a structure: while the thread runs without its P, one more
// thread than GOMAXPROCS runs goroutine code, as in Go right after a system call returns
// and before exitsyscall. That window is bounded: if the thread goes on for 10 ms of CPU
// time without entering the runtime, sysmon preempts it as above (the handler, seeing the
// P already given up, only queues the G and waits for a P).
//
// # What the signal costs and who sees it
//
// Nothing when nothing spins: runtimeEnter / runtimeLeave are two calls of a few
// instructions per entry point (a Swift load of the goroutine's M would cost a retain and a
// release); sysmon reads a P's tick as before and looks at thread CPU
// clocks only for Ps whose tick is stuck. The signal is sent with rt_tgsigqueueinfo and a
// tag in si_value; the handler (SA_SIGINFO | SA_ONSTACK | SA_RESTART) passes every other
// SIGURG to the handler that was installed before the runtime's, so a program that uses
// SIGURG itself sees its own signals and not the runtime's. A program that installs its
// own SIGURG handler after the runtime replaces the runtime's, and preemption stops (Go
// has the same rule). As in Go, a system call interrupted by the signal that cannot be
// restarted fails with EINTR; library code that blocks must retry on EINTR, as it must
// under Go.
//
// # Sanitizers
//
// ThreadSanitizer delivers an asynchronous signal only when the thread enters one of its
// interceptors or a blocking call: a loop that calls nothing is never interrupted under
// TSan, so forced preemption of pure spinners does not happen there (the blocking case
// does). The handler takes locks and sleeps on futexes only, which TSan accepts inside a
// handler. AddressSanitizer needs nothing: the handler allocates nothing.
//
// GODEBUG=asyncpreemptoff=1 turns the forced preemption off, as in Go; the hand-off of
// untracked blocking stays on (it preempts nothing).
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Entry and exit of the runtime

/// Entering the runtime from a goroutine (`gp` runs on its M): clears the M's `user` word
/// and, if the handler released the P while the thread was blocked, takes one back first.
/// Returns what runtimeLeave needs.
/// (Calls into C with no reference counting: the goroutine paths of the runtime borrow
/// every object, see Machine.currentRef.)
@inline(__always)
func runtimeEnter(_ gp: Goroutine) -> UInt32 {
    let saved = gb_runtime_enter()
    if saved & 2 != 0 { reacquireLostP(gp) }
    return saved
}

/// Leaving the runtime back to the goroutine's code (on whichever M it runs now).
@inline(__always)
func runtimeLeave(_ gp: Goroutine, _ saved: UInt32) {
    if saved & 1 != 0 { gb_runtime_leave(1) }
}

/// Runs `body` as runtime code for the running goroutine (see "Where the handler refuses").
@inline(__always)
func inRuntime<R>(_ body: () throws -> R) rethrows -> R {
    let saved = gb_runtime_enter()
    if saved & 2 != 0 { reacquireLostPHere() }
    defer { if saved & 1 != 0 { gb_runtime_leave(1) } }
    return try body()
}

/// The inverse of inRuntime: runs `body` as the goroutine's own code from inside an entry
/// point (a select's case handler or default, Select.swift), outside the runtime mark the
/// entry point took (`entry`, runtimeEnter's result). No lock is held there, so a handler
/// that spins is preempted like any goroutine code, as in Go, where the case body runs after
/// selectgo returns. When the entry point was called from inside the runtime (`entry`
/// without its user bit) the body stays inside. On the way back in, a P the body lost while
/// blocked in the kernel is taken back (runtimeEnter's rule); the goroutine may be on
/// another M by then (a body that parked), which select's later steps allow: they touch
/// only the G's own waiters.
@inline(__always)
func runAsGoroutineCode(_ entry: UInt32, _ body: () -> Void) {
    guard entry & 1 != 0 else { body(); return }
    gb_runtime_leave(1)
    body()
    if gb_runtime_enter() & 2 != 0 { reacquireLostPHere() }
}

/// reacquireLostP for the running goroutine.
@inline(never)
func reacquireLostPHere() {
    guard let gp = currentGoroutine() else { return }
    reacquireLostP(gp)
}

/// The handler released the P while the thread was blocked in the kernel: take one back,
/// as a system call's return does (Go's exitsyscall).
@inline(never)
func reacquireLostP(_ gp: Goroutine) {
    guard let m = gp.m else { fatal("preempt: goroutine \(gp.id) without an M") }
    gb_store_relaxed_u32(&m.preemptRecord.pointee.lost, 0)
    if schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef({ $0.isShuttingDown }) {
        // Preempted when the runtime shut down (asyncPreemptHandler): abandoned here.
        m.action = .abandon
        _ = gb_context_switch(gp.context, m.g0, nil)
        fatal("preempt: abandoned goroutine \(gp.id) resumed")
    }
    exitSyscall(gp)
}

// MARK: - The handler (on the interrupted thread, in the signal handler)

/// Installs the SIGURG handler (once per process) unless GODEBUG=asyncpreemptoff=1 and
/// the blocking hand-off are both off.
func installPreemption() {
    gb_preempt_install({ kind, processor, tick, inSyscall in
        asyncPreemptHandler(kind: kind, processor: processor, tick: tick, inSyscall: inSyscall != 0)
    })
}

extension Runtime {
    /// Builds now, on the calling thread, the table of preemptible code that sysmon
    /// otherwise builds from the program's symbol table as it starts (a few milliseconds
    /// of CPU, once per process; later calls return at once). A benchmark calls it before
    /// `Runtime.run`, so that no measured section shares the CPUs with that work, as Go's
    /// runtime has finished its own start-up before `main.main` runs. Not needed with
    /// asynchronous preemption off (the table is then never built).
    public static func prepareAsyncPreemption() {
        gb_preempt_prepare()
    }
}

/// The Swift half of the handler: the C half checked that the thread runs a goroutine's
/// own code, on its stack, outside any signal handler and (unless in a system call) in
/// the program's own Swift code. Only atomics, futexes, sched.lock and fields of objects that
/// live as long as the runtime: nothing allocates, nothing is released for good.
func asyncPreemptHandler(kind: UInt32, processor: UInt32, tick: UInt32, inSyscall: Bool) -> Int32 {
    guard let raw = gb_get_machine(), let sref = schedRef else { return 0 }
    let m = Unmanaged<Machine>.fromOpaque(raw).takeUnretainedValue()
    let s = sref.takeUnretainedValue()
    if m.isSysmon || s.isShuttingDown { return 0 }
    guard let gp = m.current, gp.m === m else { return 0 }
    let rec = m.preemptRecord
    let lost = gb_load_relaxed_u32(&rec.pointee.lost) != 0
    if lost {
        // Running without a P since a blocked call returned: only a preemption applies.
        if inSyscall || kind != UInt32(GB_PREEMPT_KIND_PREEMPT) || m.p != nil || gp.status != .syscall { return 0 }
    } else {
        guard let p = m.p, m.oldP == nil, p.status == .running, gp.status == .running else { return 0 }
        // (A signal about another P, or about a slice that ended since: stale.)
        if kind == UInt32(GB_PREEMPT_KIND_PREEMPT) && !inSyscall
            && ((processor != 0 && processor != UInt32(p.id + 1)) || p.scheduleTick != tick) { return 0 }
        if !inSyscall && kind != UInt32(GB_PREEMPT_KIND_PREEMPT) { return 0 } // running after all
        if !inSyscall && !s.isStopping && p.runQueue.isEmpty && gb_load_relaxed_i64(s.words.globalSize) == 0 {
            // Nothing else wants this P (Go would reschedule the same G at once): a new
            // time slice instead of a hand-off, which would cost a thread wake-up or two.
            gp.preempt = false
            p.scheduleTick &+= 1
            return 0
        }
        releasePLikeSyscall(s, m, p, gp)
        if inSyscall {
            // Untracked blocking: the call goes on without the P; sysmon hands it off.
            gb_store_relaxed_u32(&rec.pointee.lost, 1)
            Statistics.shared.add(.untrackedBlockingHandoffs)
            s.sysmonState.note.wakeup()
            return 1
        }
    }
    // A forced preemption: give the G to sysmon to queue, locked to this M, and sleep
    // until a scheduler hands this M a P for it (stopLockedM's wait).
    gb_store_relaxed_u32(&rec.pointee.lost, 0)
    if gp.lockedM == nil {
        gp.lockedM = m
        m.lockedG = gp
        m.lockedForPreemption = true
    }
    Statistics.shared.add(.asyncPreemptions)
    gb_store_release_u32(&rec.pointee.handoff, 1)
    s.sysmonState.note.wakeup()
    while true {
        s.lock.lock()
        let ready = m.pendingLockedRun != nil
        s.lock.unlock()
        if ready { break }
        m.park.sleep()
        m.park.clear()
        if s.isShuttingDown {
            // No P will come: the goroutine goes on without one, and its next runtime
            // entry gives the thread back to g0 (reacquireLostP), so that the M ends (and
            // m0 returns from Runtime.run).
            // The G stays locked to this M: sysmon may have queued it, and an M that
            // finds it there must hand this M its P, never run it itself.
            gb_store_relaxed_u32(&rec.pointee.lost, 1)
            m.leaveQuiescentState()
            return 1
        }
    }
    s.lock.lock()
    m.pendingLockedRun = nil
    let given = m.nextP
    m.nextP = nil
    s.lock.unlock()
    guard let p = given else { fatal("preempt: woken without a P") }
    m.leaveQuiescentState()
    // acquireP without the affinity call (it may allocate): the thread keeps its CPUs
    // until its M next takes a P in the scheduler.
    m.p = p
    p.m = m
    p.setStatus(.running)
    if m.lockedForPreemption {
        m.lockedForPreemption = false
        gp.lockedM = nil
        m.lockedG = nil
    }
    // execute's bookkeeping, for the G that goes on here.
    p.scheduleTick &+= 1
    takeAsRunning(gp, m, p)
    return 1
}

/// entersyscall's bookkeeping, from the handler: the G and its P in `syscall` status, the
/// P the M's oldP; a stop-the-world in progress gets the P at once.
@inline(__always)
func releasePLikeSyscall(_ s: Scheduler, _ m: Machine, _ p: Processor, _ gp: Goroutine) {
    gp.casStatus(.running, .syscall)
    _ = gb_add_u32(p.syscallTick, 1)
    m.oldP = p
    m.p = nil
    p.m = nil
    if m.framesHoldOnly(gp) { m.enterQuiescentState() }
    p.setStatus(.syscall)
    gb_fence_seq_cst() // pairs with stopTheWorld's fence, as in enterSyscall
    s.giveSyscallPToWorldStopper(p)
}

// MARK: - sysmon's side

/// Per-P view that sysmon keeps for forced preemption and blocking checks (sysmon only).
struct PreemptView {
    var tick: UInt32 = 0
    var machineWord: UInt = 0
    var cpuNanoseconds: Int64 = -1
    var blockedCheckedTick: UInt32 = 0
    var blockedChecked = false
    var lastSignalNanoseconds: Int64 = 0
    var cpuSampledAt: Int64 = 0
}

/// sysmon, for each Ps whose tick has not moved since its last round (`stuckSince`: when
/// it first saw this tick): a forced preemption once the cooperative request (10 ms) was
/// not honoured by a later round, and the untracked-blocking check. Returns true while a
/// forced preemption is pending (sysmon then wakes within 1 ms).
func sysmonCheckStuck(_ s: Scheduler, _ p: Processor, tick: UInt32, requestedBefore: Bool,
                      now: Int64, view: inout PreemptView) -> Bool {
    let mw = gb_load_acquire_uptr(p.runningMachineWord)
    if mw == 0 { return false }
    let m = Unmanaged<Machine>.fromOpaque(UnsafeRawPointer(bitPattern: mw)!).takeUnretainedValue()
    if view.tick != tick || view.machineWord != mw {
        view = PreemptView(tick: tick, machineWord: mw, lastSignalNanoseconds: view.lastSignalNanoseconds)
        view.cpuNanoseconds = gb_thread_cpu_nanoseconds(m.cpuClock)
        view.cpuSampledAt = now
        return false
    }
    if requestedBefore && s.configuration.asyncPreemption {
        if now - view.lastSignalNanoseconds >= 1_000_000 {
            view.lastSignalNanoseconds = now
            preemptMachine(m, kind: UInt32(GB_PREEMPT_KIND_PREEMPT), processor: p, tick: tick)
        }
        return true
    }
    // (At most one CPU-clock read per P every 500 µs: sysmon's rounds can be 20 µs apart.)
    if !view.blockedChecked && now - view.cpuSampledAt >= 500_000 {
        view.cpuSampledAt = now
        let cpu = gb_thread_cpu_nanoseconds(m.cpuClock)
        if cpu >= 0 && cpu == view.cpuNanoseconds {
            view.blockedChecked = true
            let state = gb_thread_state(m.tid)
            if state == CChar(UInt8(ascii: "S")) || state == CChar(UInt8(ascii: "D")) {
                preemptMachine(m, kind: UInt32(GB_PREEMPT_KIND_BLOCKED), processor: p, tick: tick)
            }
        } else {
            view.cpuNanoseconds = cpu
        }
    }
    return false
}

/// Sends the runtime's SIGURG to `m`'s thread (Go's preemptM).
func preemptMachine(_ m: Machine, kind: UInt32, processor p: Processor?, tick: UInt32) {
    if m.tid == 0 { return }
    Statistics.shared.add(.preemptionSignals)
    let id = p.map { UInt32($0.id + 1) } ?? 0
    _ = gb_preempt_signal(m.tid, kind, id < 4096 ? id : 0, tick)
}

/// sysmon: finishes the hand-offs that handlers asked for (the G to the global queue,
/// locked to its M; its P retaken and handed off), and preempts Ms that have run without
/// a P for 10 ms of CPU time. Returns how many Ps were handed off.
func finishHandoffs(_ s: Scheduler, _ machines: [Machine]) -> Int {
    var n = 0
    for m in machines where !m.isSysmon {
        let rec = m.preemptRecord
        if gb_load_acquire_u32(&rec.pointee.handoff) == 1 {
            gb_store_relaxed_u32(&rec.pointee.handoff, 0)
            guard let gp = m.current else { fatal("preempt: hand-off without a goroutine") }
            let p = m.oldP
            s.lock.lock()
            m.oldP = nil
            gp.casStatus(.syscall, .runnable)
            if m.pendingLockedRun == nil && !m.countedLockedIdle {
                m.countedLockedIdle = true
                s.synced.lockedIdleMCount += 1
            }
            s.globalPut(gp)
            s.lock.unlock()
            if let p, p.casStatus(.syscall, .idle) {
                Statistics.shared.add(.handoffs)
                n += 1
                s.handoffP(p)
            } else {
                s.wakeP()
            }
            continue
        }
        if gb_load_relaxed_u32(&rec.pointee.lost) != 0 && s.configuration.asyncPreemption {
            let cpu = gb_thread_cpu_nanoseconds(m.cpuClock)
            if m.sysmonLostCPUNanoseconds < 0 {
                m.sysmonLostCPUNanoseconds = cpu
            } else if cpu - m.sysmonLostCPUNanoseconds >= SysmonTuning.forcePreemptNanoseconds {
                m.sysmonLostCPUNanoseconds = cpu - SysmonTuning.forcePreemptNanoseconds + 1_000_000 // again in 1 ms
                preemptMachine(m, kind: UInt32(GB_PREEMPT_KIND_PREEMPT), processor: nil, tick: 0)
            }
        } else {
            m.sysmonLostCPUNanoseconds = -1
        }
    }
    return n
}

// MARK: - Test hooks

extension Runtime {
    /// Spins for `nanoseconds` inside the runtime (marked as runtime code, making no
    /// call that yields): a test hook for "nothing is preempted inside the runtime".
    /// Returns the forced preemptions counted when the spin ends, still inside the
    /// runtime (a signal sent during the spin may land right after it, in the caller's
    /// code, where a forced preemption is allowed).
    @discardableResult
    public static func _spinInsideRuntime(nanoseconds: Int64) -> UInt64 {
        inRuntime {
            let end = gb_nanotime() + nanoseconds
            while gb_nanotime() < end { gb_cpu_relax(10) }
            return Statistics.shared[.asyncPreemptions]
        }
    }
}

/// Runs `body`, the program's own code, on the main goroutine `gp` as a user goroutine's
/// body runs (preemptible), then enters the runtime again (the P back if it was lost).
func runAsUserCode(_ gp: Goroutine, _ body: () -> Void) {
    gb_runtime_leave(1)
    body()
    _ = runtimeEnter(gp)
}
