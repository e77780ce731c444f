// Timers: sleeping goroutines, ordered by wake-up time. A sleeping goroutine holds no M:
// it is parked, and its timer is in a heap until some M makes it runnable.
//
// As Go (since 1.14), every P has its own heap (TimerHeap): a sleep adds its timer to the
// heap of the P it runs on, on g0 once the goroutine has parked (Go's resetForSleep), and
// a P runs its own due timers each time it schedules. Other heaps' due timers are run
// - by a P that found no work, before it gives up (Go's stealWork checks the other Ps'
//   timers),
// - by the one idle M that waits for the earliest timer of all when every P is idle (Go
//   lets it wait in netpoll),
// - by sysmon, when timers are overdue and nobody waits for them (every P busy with
//   long-running goroutines).
// A P that GOMAXPROCS removes hands its timers to P 0 (Go's moveTimers). The heaps of
// every P ever made are on one list (TimerQueue), which they never leave (Ps are never
// freed), so that it can be read without a lock.
//
// One heap for the whole runtime was simpler, but under a storm of sleeps at GOMAXPROCS 2
// the two Ps spent a third of their time waiting for its lock (timer-storm).
import CRuntime

/// One P's timers (Go's p.timers).
final class TimerHeap: @unchecked Sendable {
    struct Entry {
        var whenNanoseconds: Int64
        var sequence: UInt64
        unowned(unsafe) var g: Goroutine
        var isSystem: Bool
    }

    let lock = RuntimeLock()
    private var heap: [Entry] = []
    private var sequence: UInt64 = 0
    /// The earliest wake-up time, or Int64.max; read without the lock as a hint.
    let nextWhen: UnsafeMutablePointer<Int64>
    /// The heap registered before this one (TimerQueue's list; set before it is published).
    fileprivate var older: TimerHeap?

    init() {
        nextWhen = .allocate(capacity: 1)
        nextWhen.initialize(to: .max)
        lock.contentionCounter = .timerLockContentions
        makeImmortal(self)
        makeImmortal(lock)
    }

    var hasTimers: Bool { gb_load_acquire_i64(nextWhen) != .max }

    /// Adds a sleeper's timer: on g0, once the sleeper has parked (SwitchAction.sleep).
    /// Wakes the timer waiter when this is earlier than what it waits for.
    func add(whenNanoseconds: Int64, g: Goroutine, isSystem: Bool, queue: TimerQueue) {
        // Counted before it is in the heap: checkDead never sees it nowhere.
        if !isSystem { _ = gb_add_i64(queue.userTimers, 1) }
        lock.lock()
        let old = gb_load_relaxed_i64(nextWhen)
        insertLocked(Entry(whenNanoseconds: whenNanoseconds, sequence: 0, g: g, isSystem: isSystem))
        lock.unlock()
        if whenNanoseconds < old { queue.wakeWaiter(ifBefore: whenNanoseconds) }
    }

    private func insertLocked(_ e: Entry) {
        sequence += 1
        var e = e
        e.sequence = sequence
        heap.append(e)
        siftUp(heap.count - 1)
        gb_store_release_i64(nextWhen, heap[0].whenNanoseconds)
    }

    /// Makes every due sleeper of this heap runnable: onto `p`'s queue when given, else
    /// the global one. Returns how many. (64 at a time, as addresses on the stack: no
    /// array to allocate, no reference to count; a parked G cannot be freed.) `now`: the
    /// time, when the caller has read the clock already.
    @discardableResult
    func runDue(on p: Processor?, queue: TimerQueue, now known: Int64? = nil) -> Int {
        let next = gb_load_acquire_i64(nextWhen)
        if next == .max { return 0 }
        let now = known ?? gb_nanotime()
        if next > now { return 0 }
        // In flight from here until every popped sleeper is in a run queue: checkDead
        // must not take that moment for a deadlock (sysmon, which pops too, is never
        // counted as a running M).
        _ = gb_add_i64(queue.readying, 1)
        var total = 0
        withUnsafeTemporaryAllocation(of: UInt.self, capacity: 64) { batch in
            while true {
                var n = 0
                var users: Int64 = 0
                lock.lock()
                while n < 64, let top = heap.first, top.whenNanoseconds <= now {
                    batch[n] = UInt(bitPattern: Unmanaged.passUnretained(top.g).toOpaque())
                    n += 1
                    if !top.isSystem { users += 1 }
                    removeTop()
                }
                let first = heap.first?.whenNanoseconds ?? .max
                gb_store_release_i64(nextWhen, first)
                lock.unlock()
                if users > 0 { _ = gb_sub_i64(queue.userTimers, users) }
                for k in 0..<n {
                    Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: batch[k])!)
                        ._withUnsafeGuaranteedRef { ready($0, on: p, next: false) }
                }
                total += n
                if first > now { break }
            }
        }
        _ = gb_sub_i64(queue.readying, 1)
        return total
    }

    /// Moves every timer to `other` (a P that GOMAXPROCS removes: the world is stopped).
    func moveAll(to other: TimerHeap, queue: TimerQueue) {
        lock.lock()
        let entries = heap
        heap.removeAll()
        gb_store_release_i64(nextWhen, .max)
        lock.unlock()
        if entries.isEmpty { return }
        other.lock.lock()
        let old = gb_load_relaxed_i64(other.nextWhen)
        for e in entries { other.insertLocked(e) }
        let first = gb_load_relaxed_i64(other.nextWhen)
        other.lock.unlock()
        if first < old { queue.wakeWaiter(ifBefore: first) }
    }

    /// Drops every timer (shutdown); returns how many were the program's own.
    fileprivate func removeAll() -> Int64 {
        lock.lock()
        let users = Int64(heap.reduce(0) { $0 + ($1.isSystem ? 0 : 1) })
        heap.removeAll()
        gb_store_release_i64(nextWhen, .max)
        lock.unlock()
        return users
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return heap.count }
    /// The number of timers, with `lock` held by the caller.
    var countLocked: Int { heap.count }

    private func less(_ a: Entry, _ b: Entry) -> Bool {
        a.whenNanoseconds != b.whenNanoseconds ? a.whenNanoseconds < b.whenNanoseconds : a.sequence < b.sequence
    }

    private func siftUp(_ i: Int) {
        var i = i
        while i > 0 {
            let parent = (i - 1) / 2
            if !less(heap[i], heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func removeTop() {
        let last = heap.removeLast()
        if heap.isEmpty { return }
        heap[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
    }
}

/// Every P's heap, and what concerns them all: the user-timer count that deadlock
/// detection reads, and the one M that waits for the earliest timer when all are idle.
final class TimerQueue: @unchecked Sendable {
    /// The newest registered heap (its address; each links to the one before).
    private let newest: UnsafeMutablePointer<UInt>
    /// Timers of the program's goroutines in all heaps (not the runtime's own).
    let userTimers: UnsafeMutablePointer<Int64>
    /// 1 while an M holds the waiter role.
    let waiterWord: UnsafeMutablePointer<UInt32>
    let waiterNote = Note()
    /// The time the waiter sleeps until, Int64.min while it does not sleep: a timer added
    /// before it wakes the waiter.
    let waitUntil: UnsafeMutablePointer<Int64>
    /// Calls of runDue between popping sleepers and readying them.
    let readying: UnsafeMutablePointer<Int64>

    init() {
        newest = .allocate(capacity: 1); newest.initialize(to: 0)
        userTimers = .allocate(capacity: 1); userTimers.initialize(to: 0)
        waiterWord = .allocate(capacity: 1); waiterWord.initialize(to: 0)
        waitUntil = .allocate(capacity: 1); waitUntil.initialize(to: .min)
        readying = .allocate(capacity: 1); readying.initialize(to: 0)
    }

    /// Puts a new P's heap on the list (under sched.lock: one registration at a time).
    func register(_ h: TimerHeap) {
        let last = gb_load_acquire_uptr(newest)
        h.older = last == 0 ? nil : Unmanaged<TimerHeap>.fromOpaque(UnsafeRawPointer(bitPattern: last)!).takeUnretainedValue()
        gb_store_release_uptr(newest, UInt(bitPattern: Unmanaged.passUnretained(h).toOpaque()))
    }

    /// Every heap ever registered (without a lock: the list only grows at its head).
    @inline(__always)
    func forEachHeap(_ body: (TimerHeap) -> Void) {
        var w = gb_load_acquire_uptr(newest)
        while w != 0 {
            Unmanaged<TimerHeap>.fromOpaque(UnsafeRawPointer(bitPattern: w)!)._withUnsafeGuaranteedRef { h in
                body(h)
                w = h.older.map { UInt(bitPattern: Unmanaged.passUnretained($0).toOpaque()) } ?? 0
            }
        }
    }

    /// The earliest wake-up time of all heaps, or Int64.max.
    var earliest: Int64 {
        var e = Int64.max
        forEachHeap { e = min(e, gb_load_acquire_i64($0.nextWhen)) }
        return e
    }

    var hasUserTimers: Bool { gb_load_acquire_i64(userTimers) > 0 }
    var waiterActive: Bool { gb_load_acquire_u32(waiterWord) != 0 }

    /// Runs the due timers of every heap but `except`; returns how many sleepers it readied.
    @discardableResult
    func runDueEverywhere(on p: Processor?, except: TimerHeap? = nil) -> Int {
        // The clock is read only once some heap has a timer: a spinning M comes here after
        // every failed steal.
        var n = 0
        var now: Int64? = nil
        forEachHeap { h in
            let next = gb_load_acquire_i64(h.nextWhen)
            if h === except || next == .max { return }
            let t = now ?? gb_nanotime()
            now = t
            if next <= t { n += h.runDue(on: p, queue: self, now: t) }
        }
        return n
    }

    /// Called after a heap's earliest time fell to `when` (its store is before this).
    func wakeWaiter(ifBefore when: Int64) {
        // Against the waiter's store of waitUntil and its second look at the heaps: one of
        // the two sides sees the other's store.
        gb_fence_seq_cst()
        if when < gb_load_acquire_i64(waitUntil) { waiterNote.wakeup() }
    }

    /// Claims the waiter role; false when another M has it.
    func becomeWaiter() -> Bool {
        if !gb_cas_u32(waiterWord, 0, 1) { return false }
        waiterNote.clear()
        return true
    }

    /// The waiter M (holding no P) sleeps until the earliest timer, runs what is due, and
    /// gives up the role.
    func waitForNext(_ m: Machine) {
        while true {
            if sched.isShuttingDown || sched.isStopping { break }
            let next = earliest
            if next == .max { break }
            if next - gb_nanotime() <= 0 { break }
            gb_store_release_i64(waitUntil, next)
            gb_fence_seq_cst()
            // A timer added meanwhile, earlier than `next`, is seen here or wakes us.
            if earliest < next { continue }
            let delay = next - gb_nanotime()
            if delay <= 0 { break }
            // (Called from findRunnable, whose frames hold no goroutine: a quiescent sleep
            // for the scavenger's grace period.)
            m.enterQuiescentState()
            _ = waiterNote.sleep(nanoseconds: delay)
            waiterNote.clear()
            m.leaveQuiescentState()
        }
        gb_store_release_i64(waitUntil, .min)
        gb_store_release_u32(waiterWord, 0)
        runDueEverywhere(on: nil)
    }

    /// Drops every timer (shutdown).
    func removeAll() {
        var users: Int64 = 0
        forEachHeap { users += $0.removeAll() }
        _ = gb_sub_i64(userTimers, users)
    }
}
