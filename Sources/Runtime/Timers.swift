// TimerQueue: sleeping goroutines, ordered by wake-up time. A sleeping goroutine holds
// no M: it is parked, and whichever M schedules next (or the one M that waits for the
// earliest timer when all are idle) makes it runnable when its time comes.
//
// Two heaps: the program's timers, which every schedule checks, and the runtime's own
// (the scavenger's), which only sysmon runs. So a program without timers pays one
// atomic load per schedule, not a clock read for the scavenger's two-minute timer; and
// the runtime's timers never keep a deadlocked program alive.
import CRuntime

/// A binary min-heap of timers (by time, then by arrival).
struct TimerHeap {
    struct Entry {
        var whenNanoseconds: Int64
        var sequence: UInt64
        unowned(unsafe) var g: Goroutine
    }

    private(set) var entries: [Entry] = []
    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var nextWhen: Int64 { entries.first?.whenNanoseconds ?? .max }

    private func less(_ a: Entry, _ b: Entry) -> Bool {
        a.whenNanoseconds != b.whenNanoseconds ? a.whenNanoseconds < b.whenNanoseconds : a.sequence < b.sequence
    }

    mutating func push(_ e: Entry) {
        entries.append(e)
        var i = entries.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !less(entries[i], entries[parent]) { break }
            entries.swapAt(i, parent)
            i = parent
        }
    }

    /// Pops every entry due at `now` into `due`.
    mutating func popDue(_ now: Int64, into due: inout [Goroutine]) {
        while let top = entries.first, top.whenNanoseconds <= now {
            due.append(top.g)
            popTop()
        }
    }

    private mutating func popTop() {
        let last = entries.removeLast()
        if entries.isEmpty { return }
        entries[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < entries.count && less(entries[l], entries[m]) { m = l }
            if r < entries.count && less(entries[r], entries[m]) { m = r }
            if m == i { break }
            entries.swapAt(i, m)
            i = m
        }
    }

    mutating func removeAll() { entries.removeAll() }
}


final class TimerQueue: @unchecked Sendable {
    let lock = RuntimeLock()
    private var user = TimerHeap()
    private var system = TimerHeap()
    private var sequence: UInt64 = 0
    /// The earliest user timer, or Int64.max; read without the lock as a hint.
    let nextUserWhen: UnsafeMutablePointer<Int64>
    /// The earliest timer of either kind (sysmon's check).
    let nextWhen: UnsafeMutablePointer<Int64>
    /// 1 while an M sleeps waiting for the earliest user timer.
    let waiterWord: UnsafeMutablePointer<UInt32>
    let waiterNote = Note()

    init() {
        nextUserWhen = .allocate(capacity: 1); nextUserWhen.initialize(to: .max)
        nextWhen = .allocate(capacity: 1); nextWhen.initialize(to: .max)
        waiterWord = .allocate(capacity: 1); waiterWord.initialize(to: 0)
    }

    var hasUserTimers: Bool { gb_load_acquire_i64(nextUserWhen) != .max }
    var waiterActive: Bool { gb_load_acquire_u32(waiterWord) != 0 }

    /// Caller holds `lock`.
    private func publish() {
        gb_store_release_i64(nextUserWhen, user.nextWhen)
        gb_store_release_i64(nextWhen, min(user.nextWhen, system.nextWhen))
    }

    /// Adds a timer (caller holds `lock`; it stays held: the sleeper parks and g0
    /// unlocks it). Wakes the timer waiter when this is the new earliest user timer.
    func addLocked(whenNanoseconds: Int64, g: Goroutine, isSystem: Bool) {
        sequence += 1
        let e = TimerHeap.Entry(whenNanoseconds: whenNanoseconds, sequence: sequence, g: g)
        let oldUser = user.nextWhen
        if isSystem { system.push(e) } else { user.push(e) }
        publish()
        if !isSystem && whenNanoseconds < oldUser && waiterActive { waiterNote.wakeup() }
    }

    /// Makes every due user sleeper runnable: onto `p`'s queue when given, else the global
    /// one. Only Ms that count as running call it (a P's M, or the waiter after giving up
    /// the role): between the pop and the ready a G is in no queue, and checkDead must not
    /// see that moment with every M idle.
    func runDue(on p: Processor?) {
        let next = gb_load_acquire_i64(nextUserWhen)
        if next == .max { return }
        let now = gb_nanotime()
        if next > now { return }
        var due: [Goroutine] = []
        lock.lock()
        user.popDue(now, into: &due)
        publish()
        lock.unlock()
        for gp in due { ready(gp, on: p, next: false) }
    }

    /// sysmon: makes the runtime's own due sleepers (the scavenger) runnable.
    func runDueSystem(now: Int64) {
        var due: [Goroutine] = []
        lock.lock()
        system.popDue(now, into: &due)
        publish()
        lock.unlock()
        for gp in due { ready(gp, on: nil, next: false) }
    }

    /// Claims the waiter role; false when another M has it.
    func becomeWaiter() -> Bool {
        if !gb_cas_u32(waiterWord, 0, 1) { return false }
        waiterNote.clear()
        return true
    }

    /// The waiter M (holding no P) sleeps until the earliest user timer, runs what is due,
    /// and gives up the role.
    func waitForNext(_ m: Machine) {
        while true {
            if sched.isShuttingDown || sched.isStopping { break }
            let next = gb_load_acquire_i64(nextUserWhen)
            if next == .max { break }
            let delay = next - gb_nanotime()
            if delay <= 0 { break }
            _ = waiterNote.sleep(nanoseconds: delay)
            waiterNote.clear()
        }
        gb_store_release_u32(waiterWord, 0)
        runDue(on: nil)
    }

    /// Drops every timer (shutdown).
    func removeAll() {
        lock.lock()
        user.removeAll()
        system.removeAll()
        publish()
        lock.unlock()
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return user.count + system.count }
}
