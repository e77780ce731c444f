// select over several channels, with an optional default case (Go's selectgo).
//
// ## The algorithm (as Go's)
//
// 1. Poll order: the cases with a channel, in a random order (Go's pollorder, built with
//    cheaprandn by an inside-out Fisher-Yates shuffle). A case without a channel (Go's
//    nil channel) never fires.
// 2. Lock order: the same cases sorted by channel address (Go's lockorder); each channel
//    is locked once, in that order, and unlocked in the reverse order.
// 3. Pass 1, every lock held: the first case in poll order that can complete now does
//    (a waiting partner, room or a value in the buffer, a closed channel); the locks go,
//    the partner is readied, and the case's handler runs. So when several cases are
//    ready, each is as likely to be chosen: a blocking select with two ready partners
//    takes either half of the time.
// 4. Nothing ready: with a default, the locks go and the default runs. Otherwise pass 2
//    queues one waiter per case (Go's sudog) on its channel, in lock order, all sharing
//    one done word (Go's selectDone), and the G parks; g0 unlocks the channels once the
//    G is off its stack (SwitchAction.parkUnlockAll). The first partner to CAS the done
//    word from 0 to 1 completes its case (WaitQueue.dequeue); the others skip those
//    waiters.
// 5. Pass 3, awake: every lock again, the waiters that did not fire leave their queues,
//    the locks go, and the case that fired finishes (a received value moves out; a send
//    on a channel closed meanwhile panics) and runs its handler.
// 6. Handlers and the default run as the goroutine's own code, outside the runtime mark
//    (runAsGoroutineCode; Preemption.swift): no lock is held by then, and a handler that
//    spins is preempted like any other goroutine code, as Go's case bodies that follow
//    selectgo's return.
//
// ## No allocation per select
//
// A select allocates nothing on the heap in the steady state:
// - SelectCase is a struct: the channel and an existential SelectOperation whose
//   payload (the handler, and a send's value up to 8 bytes) fits the existential's
//   inline buffer. The type-specific work is in the operation's generic methods, so no
//   closure is made per case or per pass. (A closure literal passed as a handler costs
//   what any escaping Swift closure costs: nothing without captures or with one class
//   reference captured, a context otherwise. A send value over 8 bytes is boxed.)
// - The fixed-arity entry points (1 to 4 cases) keep the cases in a stack buffer; the
//   array entry point reads the caller's array in place. The poll and lock orders, and
//   the distinct channel locks in lock order (borrowed: no retain or release), are in
//   stack buffers (withUnsafeTemporaryAllocation).
// - The waiters are the G's own: its channel waiter (Goroutine.waiter) heads a chain of
//   spare waiters (Waiter.spare) that grows to the most cases the G ever waited on, and
//   each waiter keeps a heap slot for its case's element (Waiter.scratch), grown to the
//   largest element it held. Go keeps sudogs in a per-P cache instead; a per-G chain
//   needs no P (no hazard when the G moves between Ms while parked) and a G from the free
//   list keeps its chain. The slots are on the heap, not the G's stack, because a
//   partner writes into them while the G is parked and the scavenger may compact a
//   parked G's stack (Scavenger.swift, "The protocol", step 2: only the G's own waiter's
//   element may point into its stack, for a plain channel operation).
// - The done word lives with the G's waiter (Waiter.selectDoneWord), and the locks g0
//   unlocks are in Machine.parkLocks, whose capacity is kept between parks.
// - Passes 2 and 3 hold the channels and the waiters as borrowed references (Unmanaged):
//   the cases keep the channels alive and the G its waiters.
//
// What a select still costs beyond Go's (perf, README "select"): the operation's methods
// are unspecialized generic code (the Runtime module is not specialized for the caller's
// element types, where Go compiles each select for its own). Unspecialized code looks up
// the metadata of any generic type it names (Optional<T>, UnsafeMutableBufferPointer<T>)
// on every call, so pass 1 names none: its receive slot is a raw stack allocation, and
// the T? a handler takes is made out of line (ReceiveOperation.deliver), so a case
// without a handler (nil, the default) makes no T? and calls no closure. A receive with a
// handler still pays one Optional<T> lookup when it fires. The operations are opened in
// place (SelectCase.inline), not copied out by their value witnesses, unless boxed; the
// handler closures' retains and releases, and the witness calls themselves, remain.
//
// ## Randomness (Go's cheaprand)
//
// Each M has its own generator state (Machine.random): wyrand, as Go's cheaprand on
// 64-bit targets, and cheapRandN maps it onto 0..<n with a multiply and a shift, as Go's
// cheaprandn. Every M's state, and every P's steal-order state, is drawn from a seed that
// the process reads from the OS once (the standard library's system generator:
// getrandom(2)), mixed with a counter (splitmix64): two runs, and two threads of one run,
// make different choices.
import CRuntime
import Synchronization

/// One case of a select: a send or a receive on a channel, with what to do when chosen.
public struct SelectCase {
    /// nil: a case that never fires (Go's nil channel).
    let channel: ChannelBase?
    /// A var only so that select can open it in place, as inout, when `inline`; nothing
    /// writes it after the case is made.
    var operation: any SelectOperation
    /// Whether the operation lies in the existential's inline buffer (it does when it fits
    /// in three words and is bitwise-takable, as every operation with a send value of up
    /// to 8 bytes). Only then does select open it in place (SE-0352, an inout existential
    /// is opened without a copy); a borrow through an unsafe address copies the
    /// existential out by its value witnesses. A boxed one is not opened as inout: that
    /// would copy a shared box and write the copy into the caller's case, which other
    /// goroutines may be reading; it is borrowed through a copy, a retain of its box.
    let inline: Bool

    init<Op: SelectOperation>(channel: ChannelBase?, _ op: Op) {
        self.channel = channel
        var existential: any SelectOperation = op
        // Made here, the box (if any) is this case's alone: the inout look copies nothing.
        inline = withUnsafeMutablePointer(to: &existential) { container in
            addressOfOperation(&container.pointee) == UnsafeRawPointer(container)
        }
        operation = existential
    }

    /// A receive case: `handler(value, ok)`; ok is false when the channel is closed. A nil
    /// channel makes a case that never fires, as in Go. Without a handler the received
    /// value is dropped in place (no T? is made and no closure is called).
    public static func receive<T>(_ c: Channel<T>?, _ handler: ((T?, Bool) -> Void)? = nil) -> SelectCase {
        SelectCase(channel: c, ReceiveOperation<T>(handler: handler))
    }

    /// A send case: sends `value`; `handler` runs when it was sent. A closed channel
    /// panics, as in Go; a nil channel makes a case that never fires.
    public static func send<T>(_ c: Channel<T>?, _ value: T, _ handler: (() -> Void)? = nil) -> SelectCase {
        SelectCase(channel: c, SendOperation<T>(value: value, handler: handler))
    }
}

/// The element-typed half of a case. Every method but `finish` runs with the select's
/// channel locks held.
protocol SelectOperation {
    var isSend: Bool { get }
    /// Pass 1: completes the case if it can without waiting: unlocks (`unlockAll`),
    /// readies the partner, runs the handler (as the goroutine's code, `entry`: see
    /// runAsGoroutineCode) and returns true. Otherwise false, every lock still held.
    func complete(_ c: ChannelBase, _ unlockAll: () -> Void, _ entry: UInt32) -> Bool
    /// Pass 2: queues `w` on `c`, its element in the waiter's slot.
    func enqueue(_ c: ChannelBase, _ w: Waiter)
    /// After pass 3, no lock held: the case that fired moves its result out of the slot
    /// and runs its handler (as the goroutine's code); a send that did not fire releases
    /// its value.
    func finish(_ w: Waiter, fired: Bool, _ entry: UInt32)
}

struct ReceiveOperation<T>: SelectOperation {
    /// nil: no handler, the value is destroyed where it lies (in unspecialized generic
    /// code, making a T? to pass costs a lookup of Optional<T>'s metadata).
    let handler: ((T?, Bool) -> Void)?

    var isSend: Bool { false }

    func complete(_ c: ChannelBase, _ unlockAll: () -> Void, _ entry: UInt32) -> Bool {
        let ch = unsafeDowncast(c, to: Channel<T>.self)
        // A raw stack slot: in unspecialized generic code a typed temporary allocation
        // looks up the metadata of UnsafeMutableBufferPointer<T> on every call. (Pass 1
        // does not park, so the slot may be on the G's stack.)
        let size = Swift.max(MemoryLayout<T>.size, 1), alignment = MemoryLayout<T>.alignment
        return withUnsafeTemporaryAllocation(byteCount: size, alignment: alignment) { raw in
            let dst = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: T.self)
            switch ch.takeLocked(into: dst) {
            case .took(let wake):
                unlockAll()
                if let wake { readyFromHere(wake) }
                if let handler { ReceiveOperation.deliver(handler, dst, entry) } else { dst.deinitialize(count: 1) }
            case .closed:
                unlockAll()
                if let handler { ReceiveOperation.deliverClosed(handler, entry) }
            case .wouldBlock:
                return false
            }
            return true
        }
    }

    func enqueue(_ c: ChannelBase, _ w: Waiter) {
        w.element = w.slot(for: T.self)
        w.channel = c
        c.receivers.enqueue(w)
    }

    func finish(_ w: Waiter, fired: Bool, _ entry: UInt32) {
        guard fired else { return }
        if w.success {
            let p = w.element!.assumingMemoryBound(to: T.self)
            if let handler { ReceiveOperation.deliver(handler, p, entry) } else { p.deinitialize(count: 1) }
        } else if let handler {
            ReceiveOperation.deliverClosed(handler, entry)
        }
    }

    // Out of line: the T? they make needs Optional<T>'s metadata, a lookup in
    // unspecialized code that a case without a handler does not pay (inlined, the lookup
    // is hoisted to the caller's entry).
    @inline(never)
    static func deliver(_ handler: (T?, Bool) -> Void, _ p: UnsafeMutablePointer<T>, _ entry: UInt32) {
        let value = p.move()
        runAsGoroutineCode(entry) { handler(value, true) }
    }

    @inline(never)
    static func deliverClosed(_ handler: (T?, Bool) -> Void, _ entry: UInt32) {
        runAsGoroutineCode(entry) { handler(nil, false) }
    }
}

struct SendOperation<T>: SelectOperation {
    let value: T
    let handler: (() -> Void)?

    var isSend: Bool { true }

    func complete(_ c: ChannelBase, _ unlockAll: () -> Void, _ entry: UInt32) -> Bool {
        let ch = unsafeDowncast(c, to: Channel<T>.self)
        switch ch.offerLocked(value) {
        case .closed:
            unlockAll()
            Runtime.panic("send on closed channel")
        case .handedTo(let g):
            unlockAll()
            readyFromHere(g)
            if let handler { runAsGoroutineCode(entry, handler) }
        case .buffered:
            unlockAll()
            if let handler { runAsGoroutineCode(entry, handler) }
        case .wouldBlock:
            return false
        }
        return true
    }

    func enqueue(_ c: ChannelBase, _ w: Waiter) {
        let slot = w.slot(for: T.self)
        slot.assumingMemoryBound(to: T.self).initialize(to: value)
        w.element = slot
        w.channel = c
        c.senders.enqueue(w)
    }

    func finish(_ w: Waiter, fired: Bool, _ entry: UInt32) {
        // The receiver copied the value out (Channel.takeLocked copies it): the slot still holds it.
        w.element!.assumingMemoryBound(to: T.self).deinitialize(count: 1)
        guard fired else { return }
        if !w.success { Runtime.panic("send on closed channel") }
        if let handler { runAsGoroutineCode(entry, handler) }
    }
}

extension Waiter {
    /// This waiter's heap slot, with room for one T (grown when T is larger).
    func slot<T>(for _: T.Type) -> UnsafeMutableRawPointer {
        let size = MemoryLayout<T>.size, alignment = MemoryLayout<T>.alignment
        if let s = scratch, size <= scratchBytes, alignment <= scratchAlignment { return s }
        scratch?.deallocate()
        scratchBytes = Swift.max(size, 16)
        scratchAlignment = Swift.max(alignment, 16)
        let s = UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: scratchAlignment)
        scratch = s
        return s
    }

    /// The select done word of this G (on its channel waiter, allocated at its first
    /// blocking select).
    func doneWord() -> UnsafeMutablePointer<UInt32> {
        if let d = selectDoneWord { return d }
        let d = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        d.initialize(to: 0)
        selectDoneWord = d
        return d
    }

    /// The waiter after this one in the G's select chain, made at first need.
    func nextSpare() -> Waiter {
        if let s = spare { return s }
        let s = Waiter()
        s.gRef = gRef
        spare = s
        return s
    }
}

/// Where an opened operation lies (the start of the existential's inline buffer when it
/// is stored inline).
private func addressOfOperation<Op: SelectOperation>(_ op: inout Op) -> UnsafeRawPointer {
    withUnsafeMutablePointer(to: &op) { UnsafeRawPointer($0) }
}

// The operation's methods on an existential opened in place (SE-0352 opens an inout
// existential without copying it): only for a case whose operation is inline.
@inline(__always)
private func completeCase<Op: SelectOperation>(_ op: inout Op, _ c: ChannelBase, _ unlockAll: () -> Void,
                                               _ entry: UInt32) -> Bool {
    op.complete(c, unlockAll, entry)
}

@inline(__always)
private func enqueueCase<Op: SelectOperation>(_ op: inout Op, _ c: ChannelBase, _ w: Waiter) {
    op.enqueue(c, w)
}

@inline(__always)
private func caseIsSend<Op: SelectOperation>(_ op: inout Op) -> Bool { op.isSend }

@inline(__always)
private func finishCase<Op: SelectOperation>(_ op: inout Op, _ w: Waiter, fired: Bool, _ entry: UInt32) {
    op.finish(w, fired: fired, entry)
}

extension Runtime {
    /// Go's select. Returns the index of the case that ran, or -1 for `default`.
    /// With no cases and no default, blocks forever (`select {}`).
    @discardableResult
    public static func select(_ cases: [SelectCase], default defaultCase: (() -> Void)? = nil) -> Int {
        cases.withUnsafeBufferPointer { selectCases($0, defaultCase) }
    }

    /// A select over one case (with a default: a non-blocking send or receive).
    @discardableResult
    public static func select(_ c0: SelectCase, default defaultCase: (() -> Void)? = nil) -> Int {
        withUnsafeTemporaryAllocation(of: SelectCase.self, capacity: 1) { b in
            b.initializeElement(at: 0, to: c0)
            defer { _ = b.deinitialize() }
            return selectCases(UnsafeBufferPointer(b), defaultCase)
        }
    }

    /// A select over two cases, without an array.
    @discardableResult
    public static func select(_ c0: SelectCase, _ c1: SelectCase, default defaultCase: (() -> Void)? = nil) -> Int {
        withUnsafeTemporaryAllocation(of: SelectCase.self, capacity: 2) { b in
            b.initializeElement(at: 0, to: c0)
            b.initializeElement(at: 1, to: c1)
            defer { _ = b.deinitialize() }
            return selectCases(UnsafeBufferPointer(b), defaultCase)
        }
    }

    /// A select over three cases, without an array.
    @discardableResult
    public static func select(_ c0: SelectCase, _ c1: SelectCase, _ c2: SelectCase,
                              default defaultCase: (() -> Void)? = nil) -> Int {
        withUnsafeTemporaryAllocation(of: SelectCase.self, capacity: 3) { b in
            b.initializeElement(at: 0, to: c0)
            b.initializeElement(at: 1, to: c1)
            b.initializeElement(at: 2, to: c2)
            defer { _ = b.deinitialize() }
            return selectCases(UnsafeBufferPointer(b), defaultCase)
        }
    }

    /// A select over four cases, without an array.
    @discardableResult
    public static func select(_ c0: SelectCase, _ c1: SelectCase, _ c2: SelectCase, _ c3: SelectCase,
                              default defaultCase: (() -> Void)? = nil) -> Int {
        withUnsafeTemporaryAllocation(of: SelectCase.self, capacity: 4) { b in
            b.initializeElement(at: 0, to: c0)
            b.initializeElement(at: 1, to: c1)
            b.initializeElement(at: 2, to: c2)
            b.initializeElement(at: 3, to: c3)
            defer { _ = b.deinitialize() }
            return selectCases(UnsafeBufferPointer(b), defaultCase)
        }
    }

    static func selectCases(_ cases: UnsafeBufferPointer<SelectCase>, _ defaultCase: (() -> Void)?) -> Int {
        guard let gp = currentGoroutine() else { fatalUsage("runtime: select outside a goroutine") }
        let saved = runtimeEnter(gp) // (Preemption.swift)
        defer { runtimeLeave(gp, saved) }
        checkPreempt(gp)
        if cases.isEmpty {
            if let defaultCase { runAsGoroutineCode(saved, defaultCase); return -1 }
            park(gp, reason: .selectNoCases, unlocking: nil)
            fatal("select {} woke up")
        }
        let n = cases.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * n) { orders in
            let pollOrder = orders.baseAddress!, lockOrder = pollOrder + n
            // Poll order: the cases with a channel, shuffled (inside-out Fisher-Yates).
            var count = 0
            for i in 0..<n where cases[i].channel != nil {
                let j = Int(cheapRandN(UInt32(count + 1)))
                pollOrder[count] = pollOrder[j]
                pollOrder[j] = i
                count += 1
            }
            if count == 0 {
                if let defaultCase { runAsGoroutineCode(saved, defaultCase); return -1 }
                park(gp, reason: .select, unlocking: nil) // only nil channels: for ever
                fatal("select on nil channels woke up")
            }
            // Lock order: by channel address (insertion sort: a select has few cases).
            for k in 0..<count {
                let i = pollOrder[k]
                let address = cases[i].channel.unsafelyUnwrapped.address
                var j = k
                while j > 0, cases[lockOrder[j - 1]].channel.unsafelyUnwrapped.address > address {
                    lockOrder[j] = lockOrder[j - 1]
                    j -= 1
                }
                lockOrder[j] = i
            }
            // The distinct locks in lock order, borrowed (the cases keep their channels).
            return withUnsafeTemporaryAllocation(of: Unmanaged<RuntimeLock>.self, capacity: count) { lockBuffer in
                let locks = lockBuffer.baseAddress!
                var lockCount = 0
                for k in 0..<count {
                    let c = cases[lockOrder[k]].channel.unsafelyUnwrapped
                    if k > 0, c === cases[lockOrder[k - 1]].channel.unsafelyUnwrapped { continue }
                    locks[lockCount] = Unmanaged.passUnretained(c.lock)
                    lockCount += 1
                }
                return selectLocked(gp, cases, pollOrder, lockOrder, count, locks, lockCount, defaultCase, saved)
            }
        }
    }

    private static func selectLocked(_ gp: Goroutine, _ cases: UnsafeBufferPointer<SelectCase>,
                                     _ pollOrder: UnsafeMutablePointer<Int>, _ lockOrder: UnsafeMutablePointer<Int>,
                                     _ count: Int, _ locks: UnsafeMutablePointer<Unmanaged<RuntimeLock>>,
                                     _ lockCount: Int, _ defaultCase: (() -> Void)?, _ entry: UInt32) -> Int {
        // Through the base pointer: the cases are read in place, never copied.
        let base = cases.baseAddress.unsafelyUnwrapped
        // The operations are opened where they lie, as inout (nothing writes them): a
        // borrow through an unsafe address copies the existential out by its value
        // witnesses and destroys the copy after the call.
        let operations = UnsafeMutablePointer(mutating: base)
        // Borrowed references (the cases hold the channels, the G its waiters): no retain
        // or release per case and pass.
        @inline(__always) func channel(_ k: Int) -> Unmanaged<ChannelBase> {
            Unmanaged.passUnretained(base[lockOrder[k]].channel.unsafelyUnwrapped)
        }
        @inline(__always) func next(_ w: Unmanaged<Waiter>) -> Unmanaged<Waiter> {
            w._withUnsafeGuaranteedRef { Unmanaged.passUnretained($0.spare.unsafelyUnwrapped) }
        }
        func lockAll() {
            for k in 0..<lockCount { locks[k]._withUnsafeGuaranteedRef { $0.lock() } }
        }
        func unlockAll() {
            for k in stride(from: lockCount - 1, through: 0, by: -1) { locks[k]._withUnsafeGuaranteedRef { $0.unlock() } }
        }

        // Pass 1: the first ready case in poll order.
        lockAll()
        for k in 0..<count {
            let i = pollOrder[k]
            let c = base[i].channel.unsafelyUnwrapped
            if base[i].inline ? completeCase(&operations[i].operation, c, unlockAll, entry)
                              : base[i].operation.complete(c, unlockAll, entry) {
                return i
            }
        }
        if let defaultCase {
            unlockAll()
            runAsGoroutineCode(entry, defaultCase)
            return -1
        }

        // Pass 2: a waiter on every case, in lock order, then park.
        let head = Unmanaged.passUnretained(gp.waiter)
        let done = head._withUnsafeGuaranteedRef { $0.doneWord() }
        done.pointee = 0
        var w = head
        for k in 0..<count {
            if k > 0 { w = w._withUnsafeGuaranteedRef { Unmanaged.passUnretained($0.nextSpare()) } }
            let i = lockOrder[k]
            w._withUnsafeGuaranteedRef { w in
                w.selectDone = done
                w.caseIndex = i
                w.success = false
                channel(k)._withUnsafeGuaranteedRef { c in
                    if base[i].inline { enqueueCase(&operations[i].operation, c, w) } else { base[i].operation.enqueue(c, w) }
                }
            }
        }
        gp.wokenBy = nil
        let m = gp.m.unsafelyUnwrapped
        m.parkLocks.removeAll(keepingCapacity: true)
        for k in 0..<lockCount { m.parkLocks.append(locks[k].takeUnretainedValue()) }
        gp.waitReason = .select
        switchToScheduler(gp, .parkUnlockAll)
        gp.waitReason = .none

        // Pass 3: the waiters that did not fire leave their queues.
        guard let firedWaiter = gp.wokenBy else { fatal("select: woken without a case") }
        let fired = Unmanaged.passUnretained(firedWaiter)
        gp.wokenBy = nil
        lockAll()
        w = head
        for k in 0..<count {
            if k > 0 { w = next(w) }
            if w.toOpaque() != fired.toOpaque() {
                let j = lockOrder[k]
                let isSend = base[j].inline ? caseIsSend(&operations[j].operation) : base[j].operation.isSend
                channel(k)._withUnsafeGuaranteedRef { c in
                    w._withUnsafeGuaranteedRef { w in
                        if isSend { c.senders.remove(w) } else { c.receivers.remove(w) }
                    }
                }
            }
        }
        unlockAll()
        // Off every queue: the chain is free again (a handler may select).
        w = head
        for k in 0..<count {
            if k > 0 { w = next(w) }
            let isFired = w.toOpaque() == fired.toOpaque()
            w._withUnsafeGuaranteedRef { w in
                w.selectDone = nil
                w.channel = nil
                if !isFired {
                    let j = lockOrder[k]
                    if base[j].inline { finishCase(&operations[j].operation, w, fired: false, entry) } else { base[j].operation.finish(w, fired: false, entry) }
                    w.element = nil
                }
            }
        }
        return fired._withUnsafeGuaranteedRef { fired in
            let index = fired.caseIndex
            fired.caseIndex = -1
            if base[index].inline { finishCase(&operations[index].operation, fired, fired: true, entry) } else { base[index].operation.finish(fired, fired: true, entry) }
            fired.element = nil
            return index
        }
    }
}

// MARK: - Random numbers (Go's cheaprand)

/// The process's seed, read from the OS once (getrandom(2), through the standard
/// library's system generator).
private let processRandomSeed: UInt64 = {
    var generator = SystemRandomNumberGenerator()
    return generator.next()
}()

private let randomSeedCounter = Atomic<UInt64>(0)

/// A fresh seed for an M's or a P's generator: the process seed and a counter through
/// splitmix64. Never 0 (an xorshift state of 0 stays 0).
func freshRandomSeed() -> UInt64 {
    let k = randomSeedCounter.add(1, ordering: .relaxed).newValue
    var z = processRandomSeed &+ k &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return z == 0 ? 0x2545_F491_4F6C_DD1D : z
}

/// A cheap per-M random number (Go's cheaprand: wyrand).
@inline(__always)
func cheapRand() -> UInt32 {
    guard let m = Machine.current else { return UInt32(truncatingIfNeeded: freshRandomSeed()) }
    m.random &+= 0xA076_1D64_78BD_642F
    let product = m.random.multipliedFullWidth(by: m.random ^ 0xE703_7ED1_A0B4_28DB)
    return UInt32(truncatingIfNeeded: product.high ^ product.low)
}

/// A cheap random number in 0..<n (Go's cheaprandn: multiply and shift, no division).
@inline(__always)
func cheapRandN(_ n: UInt32) -> UInt32 {
    UInt32((UInt64(cheapRand()) &* UInt64(n)) >> 32)
}
