// TimerQueue: sleeping goroutines, ordered by wake-up time. A sleeping goroutine holds
// no M: it is parked, and whichever M schedules next (or the one M that waits for the
// earliest timer when all are idle) makes it runnable when its time comes.
//
// One heap for the whole runtime (Go keeps one per P; one heap is simpler and the
// workloads' timer rates keep its lock cold).
import CRuntime

final class TimerQueue: @unchecked Sendable {
    struct Entry {
        var whenNanoseconds: Int64
        var sequence: UInt64
        unowned(unsafe) var g: Goroutine
        var isSystem: Bool
    }

    let lock = RuntimeLock()
    private var heap: [Entry] = []
    private var sequence: UInt64 = 0
    private var userCount = 0
    /// The earliest wake-up time, or Int64.max; read without the lock as a hint.
    let nextWhen: UnsafeMutablePointer<Int64>
    /// 1 while an M sleeps waiting for the earliest timer.
    let waiterWord: UnsafeMutablePointer<UInt32>
    let waiterNote = Note()
    /// Calls of runDue between popping sleepers and readying them.
    let readying: UnsafeMutablePointer<Int64> = {
        let p = UnsafeMutablePointer<Int64>.allocate(capacity: 1); p.initialize(to: 0); return p
    }()

    init() {
        nextWhen = .allocate(capacity: 1); nextWhen.initialize(to: .max)
        waiterWord = .allocate(capacity: 1); waiterWord.initialize(to: 0)
    }

    var hasTimers: Bool { gb_load_acquire_i64(nextWhen) != .max }
    var hasUserTimers: Bool { lock.lock(); defer { lock.unlock() }; return userCount > 0 }
    var waiterActive: Bool { gb_load_acquire_u32(waiterWord) != 0 }

    /// Adds a timer (caller holds `lock`): on g0, once the sleeper has parked
    /// (SwitchAction.sleep). Wakes the timer waiter when this is the new earliest.
    func addLocked(whenNanoseconds: Int64, g: Goroutine, isSystem: Bool) {
        sequence += 1
        heap.append(Entry(whenNanoseconds: whenNanoseconds, sequence: sequence, g: g, isSystem: isSystem))
        siftUp(heap.count - 1)
        if !isSystem { userCount += 1 }
        let old = gb_load_relaxed_i64(nextWhen)
        gb_store_release_i64(nextWhen, heap[0].whenNanoseconds)
        if whenNanoseconds < old && waiterActive { waiterNote.wakeup() }
    }

    /// Makes every due sleeper runnable: onto `p`'s queue when given, else the global one.
    func runDue(on p: Processor?) {
        let next = gb_load_acquire_i64(nextWhen)
        if next == .max { return }
        let now = gb_nanotime()
        if next > now { return }
        var due: [Goroutine] = []
        // In flight from here until every popped sleeper is in a run queue: checkDead
        // must not take that moment for a deadlock (sysmon, which pops too, is never
        // counted as a running M).
        _ = gb_add_i64(readying, 1)
        lock.lock()
        while let top = heap.first, top.whenNanoseconds <= now {
            due.append(top.g)
            if !top.isSystem { userCount -= 1 }
            removeTop()
        }
        gb_store_release_i64(nextWhen, heap.first?.whenNanoseconds ?? .max)
        lock.unlock()
        for gp in due { ready(gp, on: p, next: false) }
        _ = gb_sub_i64(readying, 1)
    }

    /// Claims the waiter role; false when another M has it.
    func becomeWaiter() -> Bool {
        if !gb_cas_u32(waiterWord, 0, 1) { return false }
        waiterNote.clear()
        return true
    }

    /// The waiter M (holding no P) sleeps until the earliest timer, runs what is due,
    /// and gives up the role.
    func waitForNext(_ m: Machine) {
        while true {
            if sched.isShuttingDown || sched.isStopping { break }
            let next = gb_load_acquire_i64(nextWhen)
            if next == .max { break }
            let delay = next - gb_nanotime()
            if delay <= 0 { break }
            // (Called from findRunnable, whose frames hold no goroutine: a quiescent sleep
            // for the scavenger's grace period.)
            m.enterQuiescentState()
            _ = waiterNote.sleep(nanoseconds: delay)
            waiterNote.clear()
            m.leaveQuiescentState()
        }
        gb_store_release_u32(waiterWord, 0)
        runDue(on: nil)
    }

    /// Drops every timer (shutdown).
    func removeAll() {
        lock.lock()
        heap.removeAll()
        userCount = 0
        gb_store_release_i64(nextWhen, .max)
        lock.unlock()
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return heap.count }

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
