// WaitGroup and Mutex for goroutines (Go's sync.WaitGroup and sync.Mutex): waiting parks
// the goroutine, never its thread.
import CRuntime

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

/// Go's sync.Mutex (normal mode): a woken waiter competes with newcomers, and a waiter
/// that loses goes back to the front of the queue.
public final class GoMutex: @unchecked Sendable {
    /// Bit 0: locked. The rest: number of parked waiters, times 2.
    private let state: UnsafeMutablePointer<UInt64>
    private let queueLock = RuntimeLock()
    private var waiters = GoroutineQueue()

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: 0)
    }

    deinit { state.deallocate() }

    @inline(__always)
    public func lock() {
        if gb_cas_u64(state, 0, 1) { return }
        lockSlow()
    }

    public func tryLock() -> Bool {
        let s = gb_load_relaxed_u64(state)
        return s & 1 == 0 && gb_cas_u64(state, s, s | 1)
    }

    private func lockSlow() {
        guard let gp = currentGoroutine() else { fatalUsage("runtime: Mutex.lock outside a goroutine") }
        let saved = runtimeEnter(gp) // (Preemption.swift)
        defer { runtimeLeave(gp, saved) }
        var wokenBefore = false
        var spins = 0
        while true {
            let s = gb_load_relaxed_u64(state)
            if s & 1 == 0 {
                if gb_cas_u64(state, s, s | 1) { return }
                continue
            }
            // Spin a little when other Ps may release it soon (Go's sync_runtime_canSpin).
            if spins < 4, let sc = sched, sc.gomaxprocs > 1 {
                spins += 1
                gb_cpu_relax(30)
                continue
            }
            queueLock.lock()
            let s2 = gb_load_relaxed_u64(state)
            if s2 & 1 == 0 {
                queueLock.unlock()
                continue
            }
            if !gb_cas_u64(state, s2, s2 + 2) {
                queueLock.unlock()
                continue
            }
            if wokenBefore { waiters.pushFront(gp) } else { waiters.pushBack(gp) }
            park(gp, reason: .syncMutexLock, unlocking: queueLock)
            wokenBefore = true
            spins = 0
        }
    }

    @inline(__always)
    public func unlock() {
        let s = gb_sub_u64(state, 1)
        if s & 1 != 0 {
            fatalThrow("sync: unlock of unlocked mutex")
        }
        if s == 0 { return }
        unlockSlow()
    }

    private func unlockSlow() {
        inRuntime { unlockSlowNow() } // (Preemption.swift)
    }

    private func unlockSlowNow() {
        queueLock.lock()
        if let g = waiters.popFront() {
            _ = gb_sub_u64(state, 2)
            queueLock.unlock()
            readyFromHere(g)
            return
        }
        queueLock.unlock()
    }
}
