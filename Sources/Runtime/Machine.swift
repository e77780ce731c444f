// Machine (M): an OS thread. Its g0 context is the thread's own stack, on which the
// scheduler runs between goroutines.
import CRuntime

/// What a goroutine asks its M's g0 to do after switching to it (Go's mcall targets).
enum SwitchAction {
    case none
    /// Gosched: back on the global queue (Go's gosched_m).
    case yield
    /// A sysmon or stop-the-world preemption at a preemption point (Go's gopreempt_m).
    case preempted
    /// Park: status waiting; then unlock `lock` if given (Go's park_m with unlockf).
    /// Unmanaged: the parking frame keeps the lock's owner alive until g0 unlocks it,
    /// and a strong payload costs a retain and a release per park.
    case park(Unmanaged<RuntimeLock>?)
    /// Sleep: park, then add the G's timer for the given time (Go's resetForSleep, the
    /// unlockf of time.Sleep's gopark): the timer lock is not held across the switch.
    case sleep(until: Int64)
    /// The goroutine finished or called Goexit (Go's goexit0).
    case exit
    /// select: park, then unlock every lock in Machine.parkLocks (its channels).
    case parkUnlockAll
    /// exitsyscall found no P: the G goes to the global queue (Go's exitsyscall0).
    case syscallNoP
    /// A direct Gosched that could not switch straight to the next G: the G is already on
    /// the global queue and sched.lock is held; g0 marks it runnable and unlocks.
    case yieldQueued
    /// The runtime shut down while the G ran without a P after a forced preemption: it is
    /// abandoned (as Go's goroutines are when main returns) and g0 goes on to end the M.
    case abandon
}

final class Machine: @unchecked Sendable {
    let id: Int64
    /// The scheduler's context on the thread stack (g0).
    let g0: UnsafeMutablePointer<gb_context>
    /// The goroutine running on this M. (Stored unmanaged: the hot paths borrow it with
    /// _withUnsafeGuaranteedRef, without the retain/release call a load of a class
    /// reference costs. The running G cannot be freed: the scavenger frees only dead Gs,
    /// after a grace period (Scavenger.swift, "Free goroutines").)
    var currentRef: Unmanaged<Goroutine>?
    var current: Goroutine? {
        @inline(__always) get { currentRef?.takeUnretainedValue() }
        @inline(__always) set { currentRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// The P this M holds.
    var pRef: Unmanaged<Processor>?
    var p: Processor? {
        @inline(__always) get { pRef?.takeUnretainedValue() }
        @inline(__always) set { pRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// The P handed to this M by whoever woke it.
    unowned(unsafe) var nextP: Processor?
    /// The P held before a system call (Go's oldp).
    unowned(unsafe) var oldP: Processor?
    /// LockOSThread: the G locked to this M.
    unowned(unsafe) var lockedG: Goroutine?
    var spinning = false
    /// Sleeps here when idle, or, locked, while its G waits.
    let park = Note()
    /// Link on the idle-M list.
    unowned(unsafe) var link: Machine?
    var action: SwitchAction = .none
    /// The channel locks a select parks with, in lock order.
    var parkLocks: [RuntimeLock] = []
    let isM0: Bool
    var tid: Int32 = 0
    /// True for sysmon's M (no P, never runs goroutines).
    var isSysmon = false
    /// The CPUs this thread is bound to now (placement), to skip redundant affinity calls.
    var boundCPUs: [Int32] = []
    /// cheaprand state (select's poll order), seeded from the OS (Select.swift).
    var random: UInt64 = freshRandomSeed()
    /// Set by startLockedM: the locked G is runnable and this M should run it.
    unowned(unsafe) var pendingLockedRun: Goroutine?
    /// Counted in Scheduler.synced.lockedIdleMCount (guarded by sched.lock).
    var countedLockedIdle = false
    /// The quiescent-state word that the scavenger's grace period reads before it frees
    /// goroutines (Scavenger.swift, "Free goroutines"): advanced by this M alone at every
    /// pass through its scheduling loop, where its frames hold no goroutine reference; the
    /// low bit is set while it sleeps, or runs a system call, holding none either.
    /// Starts odd: a new M holds nothing.
    let quiescentWord: UnsafeMutablePointer<UInt64>
    /// The G that g0's `execute` switched to last (its word). While it is still the G
    /// running here, g0's frames hold no other G; after a direct switch (goschedDirect)
    /// they hold that one, which then runs elsewhere.
    var executedWord: UInt = 0
    /// True when the running G is the one g0 executed: g0's frames hold no other G.
    @inline(__always) func framesHoldOnly(_ gp: Goroutine) -> Bool { executedWord == gp.word }
    /// Asynchronous preemption and untracked blocking (Preemption.swift): whether the
    /// thread runs a goroutine's own code, whether its signal handler released the P, and
    /// the hand-off it asks sysmon to finish.
    let preemptRecord: UnsafeMutablePointer<gb_preempt_record>
    /// The thread's CPU-time clock (gb_thread_cpu_clock), read by sysmon; -1 before the
    /// thread starts.
    var cpuClock: Int32 = -1
    /// Set by the preemption handler when it locked the goroutine to this M for the time
    /// it waits for a P (the goroutine was not locked): undone when it runs again.
    var lockedForPreemption = false
    /// sysmon's view of this M while its goroutine runs without a P (Preemption.swift).
    var sysmonLostCPUNanoseconds: Int64 = -1

    init(id: Int64, isM0: Bool) {
        self.id = id
        self.isM0 = isM0
        g0 = .allocate(capacity: 1)
        g0.initialize(to: gb_context())
        // A cache line of its own: the M writes it at every schedule, the scavenger reads
        // it rarely, and nothing else of another M's must share the line.
        quiescentWord = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
            .bindMemory(to: UInt64.self, capacity: 1)
        quiescentWord.initialize(to: 1)
        preemptRecord = .allocate(capacity: 1)
        preemptRecord.initialize(to: gb_preempt_record())
        makeImmortal(self)
        makeImmortal(park)
    }

    @inline(__always) static var current: Machine? {
        guard let p = gb_get_machine() else { return nil }
        return Unmanaged<Machine>.fromOpaque(p).takeUnretainedValue()
    }

    /// A quiescent point (the top of the scheduling loop): this M holds no reference to a
    /// goroutine it does not run. A release store: the releases of what it held before
    /// are done first (pairs with the grace check's load-acquire).
    @inline(__always) func passQuiescentPoint() {
        let v = gb_load_relaxed_u64(quiescentWord)
        gb_store_release_u64(quiescentWord, (v | 1) &+ 1)
    }

    /// Entering a sleep (or a system call) where this M holds no goroutine reference but
    /// the one it runs: it counts as quiescent until leaveQuiescentState.
    @inline(__always) func enterQuiescentState() {
        let v = gb_load_relaxed_u64(quiescentWord)
        gb_store_release_u64(quiescentWord, v | 1)
    }

    /// Ends a quiescent state entered with enterQuiescentState (nothing otherwise: the
    /// counter must not move for an M that was not quiescent).
    @inline(__always) func leaveQuiescentState() {
        let v = gb_load_relaxed_u64(quiescentWord)
        if v & 1 != 0 { gb_store_release_u64(quiescentWord, v &+ 1) }
    }

    func attachToThread() {
        gb_set_machine(Unmanaged.passUnretained(self).toOpaque())
        tid = gb_gettid()
        cpuClock = gb_thread_cpu_clock()
        gb_preempt_attach(preemptRecord)
    }
}
