// Channel: Go's chan, unbuffered and buffered, with close, receive-with-ok and
// iteration. Blocked senders and receivers are parked goroutines (Waiter, Go's sudog),
// never blocked threads. A waiting receiver gets the value copied straight into its
// slot by the sender (and the reverse), as Go's runtime does.
import CRuntime

/// A queue of waiters (Go's waitq), intrusive through Waiter.next/prev.
struct WaitQueue {
    unowned(unsafe) var first: Waiter?
    unowned(unsafe) var last: Waiter?
    var count = 0

    var isEmpty: Bool { first == nil }

    mutating func enqueue(_ w: Waiter) {
        w.next = nil
        w.prev = last
        if let l = last { l.next = w } else { first = w }
        last = w
        count += 1
    }

    /// The first waiter that can still be completed: a select waiter whose select
    /// already fired elsewhere is skipped (Go's dequeue with selectDone). Unmanaged:
    /// the hand-off borrows it.
    mutating func dequeue() -> Unmanaged<Waiter>? {
        while let f = first {
            let wRef = Unmanaged.passUnretained(f)
            let taken: Bool = wRef._withUnsafeGuaranteedRef { w in
                first = w.next
                if let f = first { f.prev = nil } else { last = nil }
                w.next = nil
                w.prev = nil
                count -= 1
                if let done = w.selectDone, !gb_cas_u32(done, 0, 1) { return false }
                return true
            }
            if taken { return wRef }
        }
        return nil
    }

    mutating func remove(_ w: Waiter) {
        let prev = w.prev, next = w.next
        if let prev {
            prev.next = next
        } else if first === w {
            first = next
        } else {
            return // not queued
        }
        if let next { next.prev = prev } else { last = prev }
        w.next = nil
        w.prev = nil
        count -= 1
    }
}

/// What a send can do at once (Channel.offerLocked). Not nested in the generic Channel:
/// unspecialized code would look its metadata up at every call. The goroutines are
/// unmanaged: the hand-off borrows them (readyFromHere).
enum SendOutcome { case closed, handedTo(Unmanaged<Goroutine>), buffered, wouldBlock }

/// What a receive can do at once (Channel.takeLocked, which moves the value out itself).
enum ReceiveOutcome { case took(wake: Unmanaged<Goroutine>?), closed, wouldBlock }

/// What every channel shares, whatever its element type (select works on these).
public class ChannelBase: @unchecked Sendable {
    let lock = RuntimeLock()
    public let capacity: Int
    var count = 0
    var closed = false
    var receivers = WaitQueue()
    var senders = WaitQueue()

    init(bufferCapacity: Int) {
        self.capacity = bufferCapacity
    }

    /// Whether `w` is still in one of this channel's wait queues (caller holds `lock`): a
    /// waiter that a partner or close has dequeued belongs to a goroutine about to be
    /// made runnable.
    func isQueued(_ w: Waiter) -> Bool {
        w.prev != nil || receivers.first === w || senders.first === w
    }

    /// Number of buffered elements (Go's len).
    public var bufferedCount: Int {
        lock.lock(); defer { lock.unlock() }
        return count
    }

    /// Goroutines parked receiving on this channel.
    public var waitingReceivers: Int {
        lock.lock(); defer { lock.unlock() }
        return receivers.count
    }

    /// Goroutines parked sending on this channel (select waiters included).
    public var waitingSenderCount: Int {
        lock.lock(); defer { lock.unlock() }
        return senders.count
    }

    var address: UInt { UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }
}

public final class Channel<Element>: ChannelBase, @unchecked Sendable {
    private let buffer: UnsafeMutablePointer<Element>
    private var sendIndex = 0
    private var receiveIndex = 0

    /// `capacity` 0 makes an unbuffered channel.
    public init(capacity: Int = 0) {
        if capacity < 0 { Runtime.panic("makechan: size out of range") }
        buffer = .allocate(capacity: Swift.max(1, capacity))
        super.init(bufferCapacity: capacity)
    }

    deinit {
        var i = receiveIndex
        for _ in 0..<count {
            (buffer + i).deinitialize(count: 1)
            i = (i + 1) % capacity
        }
        buffer.deallocate()
    }

    // MARK: - Send

    /// Sends `value`, blocking until a receiver takes it or there is room in the buffer.
    /// Sending on a closed channel panics, as in Go.
    public func send(_ value: Element) {
        withCurrentGoroutine(orFail: "runtime: channel send outside a goroutine") { gp, _ in
            let saved = runtimeEnter(gp) // (Preemption.swift)
            send(value, gp)
            runtimeLeave(gp, saved)
        }
    }

    private func send(_ value: Element, _ gp: Goroutine) {
        checkPreempt(gp)
        lock.lock()
        if trySendLocked(value) { return }
        // Block: the receiver will copy from our `value`.
        var v = value
        let w = gp.waiter
        withUnsafeMutablePointer(to: &v) { ptr in
            w.element = UnsafeMutableRawPointer(ptr)
            w.selectDone = nil
            w.success = false
            w.channel = self
            senders.enqueue(w)
            park(gp, reason: .chanSend, unlocking: lock)
        }
        w.element = nil
        w.channel = nil
        if !w.success { Runtime.panic("send on closed channel") }
    }


    /// With `lock` held: the send's effect if it can complete now (the lock stays held;
    /// the caller unlocks, then readies the goroutine it was handed to).
    func offerLocked(_ value: Element) -> SendOutcome {
        if closed { return .closed }
        if let wRef = receivers.dequeue() {
            return wRef._withUnsafeGuaranteedRef { w in
                if let dst = w.element { dst.assumingMemoryBound(to: Element.self).initialize(to: value) }
                w.success = true
                let g = w.gRef.unsafelyUnwrapped
                g._withUnsafeGuaranteedRef { $0.wokenBy = w }
                return .handedTo(g)
            }
        }
        if count < capacity {
            (buffer + sendIndex).initialize(to: value)
            sendIndex = (sendIndex + 1) % capacity
            count += 1
            return .buffered
        }
        return .wouldBlock
    }

    /// With `lock` held: completes the send if it can without blocking (and unlocks).
    /// Returns false, still locked, when the sender must wait.
    func trySendLocked(_ value: Element) -> Bool {
        switch offerLocked(value) {
        case .closed:
            lock.unlock()
            Runtime.panic("send on closed channel")
        case .handedTo(let g):
            lock.unlock()
            readyFromHere(g)
            return true
        case .buffered:
            lock.unlock()
            return true
        case .wouldBlock:
            return false
        }
    }

    /// Sends without blocking (a select with one send case and a default).
    public func trySend(_ value: Element) -> Bool {
        inRuntime { trySendNow(value) }
    }

    private func trySendNow(_ value: Element) -> Bool {
        lock.lock()
        if trySendLocked(value) { return true }
        lock.unlock()
        return false
    }

    // MARK: - Receive

    /// Receives a value; `ok` is false (and the value nil) when the channel is closed and
    /// drained, as Go's `v, ok := <-c`.
    public func receiveWithOK() -> (Element?, Bool) {
        withCurrentGoroutine(orFail: "runtime: channel receive outside a goroutine") { gp, _ in
            let saved = runtimeEnter(gp) // (Preemption.swift)
            let r = receiveWithOK(gp)
            runtimeLeave(gp, saved)
            return r
        }
    }

    private func receiveWithOK(_ gp: Goroutine) -> (Element?, Bool) {
        checkPreempt(gp)
        lock.lock()
        let w = gp.waiter
        return withUnsafeTemporaryAllocation(of: Element.self, capacity: 1) { slot in
            switch takeLocked(into: slot.baseAddress!) {
            case .took(let wake):
                lock.unlock()
                if let wake { readyFromHere(wake) }
                return (slot.baseAddress!.move(), true)
            case .closed:
                lock.unlock()
                return (nil, false)
            case .wouldBlock:
                break
            }
            w.element = UnsafeMutableRawPointer(slot.baseAddress!)
            w.selectDone = nil
            w.success = false
            w.channel = self
            receivers.enqueue(w)
            park(gp, reason: .chanReceive, unlocking: lock)
            w.element = nil
            w.channel = nil
            if w.success { return (slot.baseAddress!.move(), true) }
            return (nil, false)
        }
    }

    /// Receives a value, or nil when the channel is closed and drained.
    @inline(__always)
    public func receive() -> Element? { receiveWithOK().0 }

    /// With `lock` held: the receive's result if it can complete now, the value moved
    /// into `dst` for `.took` (the lock stays held; the caller unlocks, then readies
    /// `wake`).
    func takeLocked(into dst: UnsafeMutablePointer<Element>) -> ReceiveOutcome {
        if let wRef = senders.dequeue() {
            return wRef._withUnsafeGuaranteedRef { w in
                let src = w.element!.assumingMemoryBound(to: Element.self)
                if capacity == 0 {
                    dst.initialize(to: src.pointee)
                } else {
                    // Full buffer: take the head, put the sender's value at the tail.
                    dst.moveInitialize(from: buffer + receiveIndex, count: 1)
                    (buffer + receiveIndex).initialize(to: src.pointee)
                    receiveIndex = (receiveIndex + 1) % capacity
                    sendIndex = receiveIndex
                }
                w.success = true
                let g = w.gRef.unsafelyUnwrapped
                g._withUnsafeGuaranteedRef { $0.wokenBy = w }
                return .took(wake: g)
            }
        }
        if count > 0 {
            dst.moveInitialize(from: buffer + receiveIndex, count: 1)
            receiveIndex = (receiveIndex + 1) % capacity
            count -= 1
            return .took(wake: nil)
        }
        if closed { return .closed }
        return .wouldBlock
    }

    /// With `lock` held: completes the receive if it can without blocking (and unlocks).
    /// Returns nil, still locked, when the receiver must wait.
    func tryReceiveLocked() -> (Element?, Bool)? {
        withUnsafeTemporaryAllocation(of: Element.self, capacity: 1) { slot in
            let dst = slot.baseAddress!
            switch takeLocked(into: dst) {
            case .took(let wake):
                lock.unlock()
                if let wake { readyFromHere(wake) }
                return (dst.move(), true)
            case .closed:
                lock.unlock()
                return (nil, false)
            case .wouldBlock:
                return nil
            }
        }
    }

    /// Receives without blocking: nil when nothing is ready (and the channel is open).
    public func tryReceive() -> (Element?, Bool)? {
        inRuntime { tryReceiveNow() }
    }

    private func tryReceiveNow() -> (Element?, Bool)? {
        lock.lock()
        if let r = tryReceiveLocked() { return r }
        lock.unlock()
        return nil
    }

    // MARK: - Close

    /// Closes the channel: waiting receivers get (nil, false), waiting senders panic.
    /// Closing twice panics, as in Go.
    public func close() {
        inRuntime { closeNow() }
    }

    private func closeNow() {
        lock.lock()
        if closed {
            lock.unlock()
            Runtime.panic("close of closed channel")
        }
        closed = true
        var woken: [Goroutine] = []
        while let w = receivers.dequeue()?.takeUnretainedValue() {
            w.success = false
            w.g.wokenBy = w
            woken.append(w.g)
        }
        while let w = senders.dequeue()?.takeUnretainedValue() {
            w.success = false
            w.g.wokenBy = w
            woken.append(w.g)
        }
        lock.unlock()
        for g in woken { readyFromHere(g) }
    }
}

extension Channel: Sequence {
    /// `for v in channel` receives until the channel is closed and drained.
    public struct Iterator: IteratorProtocol {
        let channel: Channel<Element>
        public mutating func next() -> Element? {
            let (v, ok) = channel.receiveWithOK()
            return ok ? v : nil
        }
    }

    public func makeIterator() -> Iterator { Iterator(channel: self) }
}
