// WaitGroup and Mutex for goroutines (Go's sync.WaitGroup and sync.Mutex): waiting parks
// the goroutine, never its thread.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A queue of parked goroutines (intrusive through Goroutine.schedLink).
struct GoroutineQueue {
    var head: Goroutine?
    unowned(unsafe) var tail: Goroutine?
    var isEmpty: Bool { head == nil }

    mutating func pushBack(_ g: Goroutine) {
        g.schedLink = nil
        if let t = tail { t.schedLink = g } else { head = g }
        tail = g
    }

    mutating func pushFront(_ g: Goroutine) {
        g.schedLink = head
        head = g
        if tail == nil { tail = g }
    }

    mutating func popFront() -> Goroutine? {
        guard let g = head else { return nil }
        head = g.schedLink
        if head == nil { tail = nil }
        g.schedLink = nil
        return g
    }
}

/// Go's sync.WaitGroup.
public final class WaitGroup: @unchecked Sendable {
    private let counter: UnsafeMutablePointer<Int64>
    private let lock = RuntimeLock()
    private var waiters = GoroutineQueue()

    public init() {
        counter = .allocate(capacity: 1)
        counter.initialize(to: 0)
    }

    deinit { counter.deallocate() }

    public func add(_ delta: Int) {
        let v = gb_add_i64(counter, Int64(delta))
        if v < 0 { Runtime.panic("sync: negative WaitGroup counter") }
        if v == 0 { inRuntime { wakeAll() } }
    }

    @inline(__always)
    public func done() { add(-1) }

    private func wakeAll() {
        lock.lock()
        var woken = waiters
        waiters = GoroutineQueue()
        lock.unlock()
        while let g = woken.popFront() { readyFromHere(g) }
    }

    /// Parks until the counter is zero.
    public func wait() {
        guard let gp = currentGoroutine() else { fatalUsage("runtime: WaitGroup.wait outside a goroutine") }
        let saved = runtimeEnter(gp) // (Preemption.swift)
        defer { runtimeLeave(gp, saved) }
        checkPreempt(gp)
        lock.lock()
        // Checked under the lock: a done() that reaches zero after this takes the lock
        // to wake the waiters, so it sees us queued.
        if gb_load_acquire_i64(counter) == 0 {
            lock.unlock()
            return
        }
        waiters.pushBack(gp)
        park(gp, reason: .syncWaitGroupWait, unlocking: lock)
    }

    public var count: Int { Int(gb_load_acquire_i64(counter)) }
}

/// Go's sync.Mutex, with its two modes (src/sync/mutex.go).
///
/// The state word: bit 0 `locked`, bit 1 `woken` (a waiter is awake or spinning: Unlock
/// must not wake another), bit 2 `starving`, and the number of parked waiters above bit 3.
/// Parked waiters queue on a semaphore of the mutex's own (Go's runtime/sema.go reduced to
/// one address: a count and a queue under a runtime lock).
///
/// Normal mode: waiters queue in FIFO order, but a woken waiter does not own the mutex; it
/// competes with newly arriving goroutines, which have an advantage (they are already on
/// a CPU), so it often loses. It then queues again at the FRONT of the queue (Go's
/// semacquire with lifo). A waiter that has waited more than 1 ms (starvationThreshold)
/// switches the mutex to starvation mode.
///
/// Starvation mode: Unlock hands the mutex straight to the waiter at the head of the queue
/// (the `locked` bit is left set for it, Unlock readies it and yields so that it runs
/// next). Newcomers neither spin nor try to take it: they queue at the tail. The waiter
/// that receives it takes the mode back to normal when it is the last waiter or waited
/// less than 1 ms.
///
/// Spinning (Go's sync_runtime_canSpin): only while it can pay off, a few rounds of 30
/// pause instructions, on a multi-CPU machine with GOMAXPROCS > 1, at least one other P
/// running (not idle, not spinning for work), and the spinner's own run queue empty (a
/// runnable goroutine there would wait for the spin).
public final class GoMutex: @unchecked Sendable {
    static let locked: UInt64 = 1
    static let woken: UInt64 = 2
    static let starving: UInt64 = 4
    static let waiterShift: UInt64 = 3
    static let waiterOne: UInt64 = 1 << waiterShift
    /// Go's starvationThresholdNs.
    static let starvationThresholdNanoseconds: Int64 = 1_000_000
    /// Go's active_spin and active_spin_cnt.
    static let activeSpin = 4
    static let activeSpinPauses: UInt32 = 30
    static let onlineCPUs = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    private let state: UnsafeMutablePointer<UInt64>
    /// The semaphore (Go's sema.go for one address): sema[0] is the count of releases
    /// not yet taken, sema[1] the number of goroutines queued or about to queue (Go's
    /// nwait), both atomic so that an acquire with a release waiting and a release with
    /// nobody waiting take no lock; `waiters` is the queue, under `queueLock`.
    private let sema: UnsafeMutablePointer<UInt32>
    private let queueLock = RuntimeLock()
    private var waiters = GoroutineQueue()

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: 0)
        sema = .allocate(capacity: 2)
        sema.initialize(repeating: 0, count: 2)
    }

    deinit {
        state.deallocate()
        sema.deallocate()
    }

    @inline(__always)
    public func lock() {
        if gb_cas_u64(state, 0, GoMutex.locked) { return }
        lockSlow()
    }

    public func tryLock() -> Bool {
        let old = gb_load_relaxed_u64(state)
        if old & (GoMutex.locked | GoMutex.starving) != 0 { return false }
        return gb_cas_u64(state, old, old | GoMutex.locked)
    }

    /// Whether the mutex is in starvation mode (for tests and diagnostics).
    public var isStarving: Bool { gb_load_relaxed_u64(state) & GoMutex.starving != 0 }

    /// Go's sync_runtime_canSpin. (Borrowed references: no retain or release in the
    /// contended path, where both Ps are in here.)
    @inline(__always)
    private func canSpin(_ iteration: Int) -> Bool {
        if iteration >= GoMutex.activeSpin || GoMutex.onlineCPUs <= 1 { return false }
        guard let raw = gb_get_machine() else { return false }
        return Unmanaged<Machine>.fromOpaque(raw)._withUnsafeGuaranteedRef { m in
            guard let pRef = m.pRef else { return false }
            return schedRef.unsafelyUnwrapped._withUnsafeGuaranteedRef { s in
                let idle = Int(gb_load_acquire_i32(s.words.idlePCount)) + Int(gb_load_acquire_i32(s.words.spinningCount))
                if s.gomaxprocs <= idle + 1 { return false }
                return pRef._withUnsafeGuaranteedRef { $0.isEmpty }
            }
        }
    }

    private func lockSlow() {
        // The usual case under contention: the mutex is free but its state carries a waiter
        // count or the woken flag. The loop's first pass below takes it with this same CAS
        // (new = old | locked, nothing else changed); done here, before the runtime is
        // entered, it costs what the fast path costs and holds nothing the fast path does
        // not, so it is the program's code like the fast path.
        let first = gb_load_relaxed_u64(state)
        if first & (GoMutex.locked | GoMutex.starving) == 0 && gb_cas_u64(state, first, first | GoMutex.locked) {
            return
        }
        if gb_get_machine() == nil { fatalUsage("runtime: Mutex.lock outside a goroutine") }
        // Runtime code from here (Preemption.swift, "Where the handler refuses").
        let saved = gb_runtime_enter()
        if saved & 2 != 0 { reacquireLostPHere() }
        defer { if saved & 1 != 0 { gb_runtime_leave(1) } }
        var waitStart: Int64 = 0
        var starving = false
        var awoke = false
        var iteration = 0
        var old = gb_load_relaxed_u64(state)
        while true {
            // Spin in normal mode only, while the holder may let go soon.
            if old & (GoMutex.locked | GoMutex.starving) == GoMutex.locked && canSpin(iteration) {
                // Set woken so that Unlock does not wake a parked waiter meanwhile.
                if !awoke && old & GoMutex.woken == 0 && old >> GoMutex.waiterShift != 0
                    && gb_cas_u64(state, old, old | GoMutex.woken) {
                    awoke = true
                }
                gb_cpu_relax(GoMutex.activeSpinPauses)
                iteration += 1
                old = gb_load_relaxed_u64(state)
                continue
            }
            var new = old
            // Newcomers do not take a starving mutex: it goes to the waiters.
            if old & GoMutex.starving == 0 { new |= GoMutex.locked }
            if old & (GoMutex.locked | GoMutex.starving) != 0 { new &+= GoMutex.waiterOne }
            // Switch to starvation mode, unless the mutex has just been unlocked (Unlock
            // expects waiters in starvation mode, and there may be none).
            if starving && old & GoMutex.locked != 0 { new |= GoMutex.starving }
            if awoke {
                // This goroutine was woken (or set woken while spinning): reset the flag.
                if new & GoMutex.woken == 0 { fatalThrow("sync: inconsistent mutex state") }
                new &= ~GoMutex.woken
            }
            if !gb_cas_u64(state, old, new) {
                old = gb_load_relaxed_u64(state)
                continue
            }
            if old & (GoMutex.locked | GoMutex.starving) == 0 { return } // taken by the CAS
            // A waiter that waited before goes to the front of the queue.
            let lifo = waitStart != 0
            if waitStart == 0 { waitStart = gb_nanotime() }
            withCurrentGoroutine(orFail: "runtime: Mutex.lock outside a goroutine") { gp, _ in
                semacquire(gp, lifo: lifo)
            }
            starving = starving || gb_nanotime() - waitStart > GoMutex.starvationThresholdNanoseconds
            old = gb_load_relaxed_u64(state)
            if old & GoMutex.starving != 0 {
                // Handed off: the mutex is this goroutine's, with `locked` clear and this
                // waiter still counted. Fix the state.
                if old & (GoMutex.locked | GoMutex.woken) != 0 || old >> GoMutex.waiterShift == 0 {
                    fatalThrow("sync: inconsistent mutex state")
                }
                var delta = GoMutex.locked &- GoMutex.waiterOne
                if !starving || old >> GoMutex.waiterShift == 1 {
                    // Leave starvation mode: this waiter waited less than 1 ms, or is the
                    // last (staying would hand the next newcomers nothing but queueing).
                    delta = delta &- GoMutex.starving
                }
                _ = gb_add_u64(state, delta)
                return
            }
            awoke = true
            iteration = 0
        }
    }

    @inline(__always)
    public func unlock() {
        let new = gb_sub_u64(state, GoMutex.locked)
        if new != 0 { unlockSlow(new) }
    }

    private func unlockSlow(_ value: UInt64) {
        // Nobody to wake (no waiter, one already woken, or the mutex taken again), in normal
        // mode: unlockSlowNow's first look, here without entering the runtime.
        if (value &+ GoMutex.locked) & GoMutex.locked != 0 && value & GoMutex.starving == 0
            && GoMutex.nobodyToWake(value) {
            return
        }
        inRuntime { unlockSlowNow(value) } // (Preemption.swift)
    }

    private func unlockSlowNow(_ value: UInt64) {
        if (value &+ GoMutex.locked) & GoMutex.locked == 0 {
            fatalThrow("sync: unlock of unlocked mutex")
        }
        if value & GoMutex.starving == 0 {
            var old = value
            while true {
                if GoMutex.nobodyToWake(old) { return }
                // Take a waiter off the count and give it the right to wake.
                let new = (old &- GoMutex.waiterOne) | GoMutex.woken
                if gb_cas_u64(state, old, new) {
                    semrelease(handoff: false)
                    return
                }
                old = gb_load_relaxed_u64(state)
            }
        } else {
            // Starvation mode: the head waiter gets the mutex and runs next. `locked` is
            // not set here: the waiter sets it (a newcomer sees `starving` and queues).
            semrelease(handoff: true)
        }
    }

    /// No waiters, or one already woken, or the mutex taken again (or starving): an Unlock
    /// in normal mode has nobody to wake.
    @inline(__always)
    private static func nobodyToWake(_ state: UInt64) -> Bool {
        state >> waiterShift == 0 || state & (locked | woken | starving) != 0
    }

    /// Go's cansemacquire: takes one release if there is one.
    @inline(__always)
    private func canSemacquire() -> Bool {
        while true {
            let v = gb_load_acquire_u32(sema)
            if v == 0 { return false }
            if gb_cas_u32(sema, v, v - 1) { return true }
        }
    }

    /// Go's semacquire1 for this mutex: takes a release if there is one, else parks, at
    /// the front of the queue when `lifo`, until a release is passed to it or it takes one.
    private func semacquire(_ gp: Goroutine, lifo: Bool) {
        if canSemacquire() { return }
        while true {
            queueLock.lock()
            // Counted before the second look, so that a release after it sees a waiter.
            _ = gb_add_u32(sema + 1, 1)
            if canSemacquire() {
                _ = gb_sub_u32(sema + 1, 1)
                queueLock.unlock()
                return
            }
            if lifo { waiters.pushFront(gp) } else { waiters.pushBack(gp) }
            gp.parkingSuccess = false
            park(gp, reason: .syncMutexLock, unlocking: queueLock)
            // semrelease took this goroutine off the queue (and off nwait); with a
            // hand-off it also took the release for it (Go's ticket).
            if gp.parkingSuccess || canSemacquire() {
                gp.parkingSuccess = false
                return
            }
        }
    }

    /// Go's semrelease1: adds a release and, when a goroutine waits, wakes the head of the
    /// queue. With `handoff` the release is taken for that waiter here, and the caller
    /// then yields so that it runs at once (Go's goyield; the waiter is on this P's
    /// runnext).
    private func semrelease(handoff: Bool) {
        _ = gb_add_u32(sema, 1)
        if gb_load_acquire_u32(sema + 1) == 0 { return }
        queueLock.lock()
        if gb_load_acquire_u32(sema + 1) == 0 {
            queueLock.unlock()
            return
        }
        guard let g = waiters.popFront() else {
            // Counted but not queued yet: its second look takes the release.
            queueLock.unlock()
            return
        }
        _ = gb_sub_u32(sema + 1, 1)
        queueLock.unlock()
        let ticket = handoff && canSemacquire()
        g.parkingSuccess = ticket
        readyFromHere(g)
        if ticket, let gp = currentGoroutine(), gp.lockedM == nil { Runtime.gosched() }
    }
}
