// select over several channels, with an optional default case (Go's selectgo):
// lock every channel in address order, poll the cases in a random order, and if none
// is ready (and there is no default) queue a waiter on every channel and park; the first
// partner to CAS the shared `selectDone` word wins, and the others skip those waiters.
import CRuntime

/// One case of a select: a send or a receive on a channel, with what to do when chosen.
public struct SelectCase {
    let channel: ChannelBase
    /// Pass 1 (all locks held): completes the case now if it can; returns the goroutine
    /// to ready (if any) and the handler to run after unlocking, or nil.
    let attempt: () -> (wake: Goroutine?, handler: () -> Void)?
    /// Pass 2 (all locks held): points the waiter at this case's storage and queues it.
    let enqueue: (Waiter) -> Void
    /// Removes the waiter from this case's queue (all locks held).
    let dequeue: (Waiter) -> Void
    /// After waking, for the case that fired: the handler to run.
    let finish: (Waiter) -> () -> Void

    /// A receive case: `handler(value, ok)`; ok is false when the channel is closed.
    public static func receive<T>(_ c: Channel<T>, _ handler: @escaping (T?, Bool) -> Void) -> SelectCase {
        let slot = SelectSlot<T>()
        return SelectCase(
            channel: c,
            attempt: {
                switch c.takeLocked() {
                case .value(let v, let wake): return (wake?.takeUnretainedValue(), { handler(v, true) })
                case .closed: return (nil, { handler(nil, false) })
                case .wouldBlock: return nil
                }
            },
            enqueue: { w in
                w.element = UnsafeMutableRawPointer(slot.storage)
                w.channel = c
                c.receivers.enqueue(w)
            },
            dequeue: { w in c.receivers.remove(w) },
            finish: { w in
                if w.success {
                    let v = slot.storage.move()
                    return { handler(v, true) }
                }
                return { handler(nil, false) }
            })
    }

    /// A send case: sends `value`; `handler` runs when it was sent. A closed channel
    /// panics, as in Go.
    public static func send<T>(_ c: Channel<T>, _ value: T, _ handler: @escaping () -> Void = {}) -> SelectCase {
        let slot = SelectSlot<T>()
        return SelectCase(
            channel: c,
            attempt: {
                switch c.offerLocked(value) {
                case .closed: return (nil, { Runtime.panic("send on closed channel") })
                case .handedTo(let g): return (g.takeUnretainedValue(), handler)
                case .buffered: return (nil, handler)
                case .wouldBlock: return nil
                }
            },
            enqueue: { w in
                slot.storage.initialize(to: value)
                slot.initialized = true
                w.element = UnsafeMutableRawPointer(slot.storage)
                w.channel = c
                c.senders.enqueue(w)
            },
            dequeue: { w in c.senders.remove(w) },
            finish: { w in
                if !w.success { return { Runtime.panic("send on closed channel") } }
                return handler
            })
    }
}

/// Storage for one case's element while the select is parked.
final class SelectSlot<T> {
    let storage = UnsafeMutablePointer<T>.allocate(capacity: 1)
    var initialized = false
    deinit {
        if initialized { storage.deinitialize(count: 1) }
        storage.deallocate()
    }
}

extension Runtime {
    /// Go's select. Returns the index of the case that ran, or -1 for `default`.
    /// With no cases and no default, blocks forever (`select {}`).
    @discardableResult
    public static func select(_ cases: [SelectCase], default defaultCase: (() -> Void)? = nil) -> Int {
        guard let gp = currentGoroutine() else { fatalUsage("runtime: select outside a goroutine") }
        let saved = runtimeEnter(gp) // (Preemption.swift)
        defer { runtimeLeave(gp, saved) }
        checkPreempt(gp)
        if cases.isEmpty {
            if let defaultCase { defaultCase(); return -1 }
            park(gp, reason: .selectNoCases, unlocking: nil)
            fatal("select {} woke up")
        }
        // Lock order: by channel address, each channel once.
        var locks: [ChannelBase] = []
        for c in cases.map(\.channel).sorted(by: { $0.address < $1.address })
            where locks.last !== c { locks.append(c) }
        for c in locks { c.lock.lock() }
        func unlockAll() { for c in locks.reversed() { c.lock.unlock() } }

        // Pass 1: a ready case, polled in a random order.
        var order = Array(cases.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(fastRandom() % UInt64(i + 1)))
        }
        for i in order {
            if let handler = completeReadyCase(cases[i], unlockAll) {
                handler()
                return i
            }
        }
        if let defaultCase {
            unlockAll()
            defaultCase()
            return -1
        }

        // Pass 2: wait on every case.
        let done = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        done.initialize(to: 0)
        defer { done.deallocate() }
        var waiters: [Waiter] = []
        waiters.reserveCapacity(cases.count)
        for (i, c) in cases.enumerated() {
            let w = Waiter()
            w.g = gp
            w.selectDone = done
            w.caseIndex = i
            w.success = false
            c.enqueue(w)
            waiters.append(w)
        }
        gp.wokenBy = nil
        gp.m!.parkLocks = locks.map(\.lock)
        gp.waitReason = .select
        switchToScheduler(gp, .parkUnlockAll)
        gp.waitReason = .none

        // Pass 3: dequeue from the cases that did not fire.
        guard let fired = gp.wokenBy else { fatal("select: woken without a case") }
        gp.wokenBy = nil
        for c in locks { c.lock.lock() }
        for (i, c) in cases.enumerated() where waiters[i] !== fired {
            c.dequeue(waiters[i])
        }
        unlockAll()
        let index = fired.caseIndex
        cases[index].finish(fired)()
        return index
    }
}

/// Pass 1's ready case: completes it (all locks held), unlocks, readies its partner and
/// returns the handler to run. Out of line so that the partner G is no longer referenced
/// when the handler runs: the handler is the program's code and may block, and a
/// goroutine must hold no other G across a park (Scavenger.swift, "Free goroutines").
@inline(never)
private func completeReadyCase(_ c: SelectCase, _ unlockAll: () -> Void) -> (() -> Void)? {
    guard let (wake, handler) = c.attempt() else { return nil }
    unlockAll()
    if let wake { readyFromHere(wake) }
    return handler
}

/// A cheap per-thread random number (Go's cheaprand), for select's poll order.
func fastRandom() -> UInt64 {
    guard let m = Machine.current else { return UInt64(gb_nanotime()) }
    m.random ^= m.random << 13
    m.random ^= m.random >> 7
    m.random ^= m.random << 17
    return m.random
}
