// RunQueue: a P's local run queue, Go's lock-free ring of 256 plus `runnext`.
//
// One owner (the M holding the P) puts at the tail and gets from the head; any number of
// stealers grab half from the head with a CAS. The tail is written only by the owner
// (store-release, pairs with the stealers' load-acquire of the tail), the head is
// advanced by CAS by owner and stealers alike (release: the slots read before the CAS
// are not reused by the owner until the head moves). Slots are accessed with relaxed
// atomics: a stealer may read a slot that the owner is overwriting, but then its CAS on
// the head fails and it retries, as in Go's runqgrab.
//
// Items are machine words (a Goroutine's address); 0 means empty.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

public final class RunQueue: @unchecked Sendable {
    /// Go's local run queue length (runtime2.go: runq [256]guintptr).
    public static let defaultCapacity: UInt32 = 256

    public let capacity: UInt32
    @usableFromInline let head: UnsafeMutablePointer<UInt32>
    @usableFromInline let tail: UnsafeMutablePointer<UInt32>
    @usableFromInline let slots: UnsafeMutablePointer<UInt>
    /// The one-G slot that a new or readied G takes; it inherits the time slice.
    @usableFromInline let runnext: UnsafeMutablePointer<UInt>

    /// The node-local block holding head, tail, runnext and the slots (nil: malloc).
    private let nodeBlock: (UnsafeMutableRawPointer, Int)?

    /// `capacity` must be a power of two (tests use small ones). With `node`, the queue
    /// lives in that NUMA node's memory (numa_alloc_onnode), where its P runs.
    public init(capacity: UInt32 = RunQueue.defaultCapacity, node: Int? = nil) {
        precondition(capacity > 1 && capacity & (capacity - 1) == 0)
        self.capacity = capacity
        let words = 4 + Int(capacity) // head+tail share a word's worth each, runnext, pad
        let bytes = words * MemoryLayout<UInt>.stride
        if let node, let block = gb_numa_alloc_onnode(bytes, Int32(node)) {
            nodeBlock = (block, bytes)
            block.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            head = (block + 0).bindMemory(to: UInt32.self, capacity: 1)
            tail = (block + 8).bindMemory(to: UInt32.self, capacity: 1)
            runnext = (block + 16).bindMemory(to: UInt.self, capacity: 1)
            slots = (block + 32).bindMemory(to: UInt.self, capacity: Int(capacity))
            return
        }
        nodeBlock = nil
        head = .allocate(capacity: 1); head.initialize(to: 0)
        tail = .allocate(capacity: 1); tail.initialize(to: 0)
        runnext = .allocate(capacity: 1); runnext.initialize(to: 0)
        slots = .allocate(capacity: Int(capacity))
        slots.initialize(repeating: 0, count: Int(capacity))
    }

    deinit {
        if let (block, bytes) = nodeBlock {
            gb_numa_free(block, bytes)
            return
        }
        head.deallocate(); tail.deallocate(); runnext.deallocate(); slots.deallocate()
    }

    /// The address of the slots (for the node-placement checks).
    public var slotsAddress: UnsafeMutableRawPointer { UnsafeMutableRawPointer(slots) }

    @inline(__always) func slot(_ i: UInt32) -> UnsafeMutablePointer<UInt> {
        slots + Int(i & (capacity - 1))
    }

    /// Number of items in the ring (not counting runnext); approximate under concurrency.
    public var count: Int {
        let h = gb_load_acquire_u32(head)
        let t = gb_load_acquire_u32(tail)
        return Int(t &- h)
    }

    public var isEmpty: Bool {
        count == 0 && gb_load_acquire_uptr(runnext) == 0
    }

    public var runnextItem: UInt { gb_load_acquire_uptr(runnext) }

    /// Owner: the item a get would return next (runnext, else the head), or 0; a hint
    /// only (a stealer may take it first), for prefetching.
    @inline(__always)
    public var nextItemHint: UInt {
        let next = gb_load_relaxed_uptr(runnext)
        if next != 0 { return next }
        let h = gb_load_relaxed_u32(head)
        return h == gb_load_relaxed_u32(tail) ? 0 : gb_load_relaxed_uptr(slot(h))
    }

    /// Owner: puts `item` in runnext (kicking the old runnext to the tail) or at the tail.
    /// When the ring is full, half of it plus the item go to `overflow` (Go's runqputslow:
    /// the caller moves them to the global queue) and this returns true.
    @discardableResult
    public func put(_ item: UInt, next: Bool, overflow: (UnsafeBufferPointer<UInt>) -> Void) -> Bool {
        var item = item
        if next {
            let old = gb_exchange_uptr(runnext, item)
            if old == 0 { return false }
            item = old
        }
        while true {
            let h = gb_load_acquire_u32(head) // pairs with stealers' CAS-release of head
            let t = gb_load_relaxed_u32(tail)
            if t &- h < capacity {
                gb_store_relaxed_uptr(slot(t), item)
                gb_store_release_u32(tail, t &+ 1) // publishes the slot to stealers
                return false
            }
            if putSlow(item, h: h, t: t, overflow: overflow) { return true }
        }
    }

    private func putSlow(_ item: UInt, h: UInt32, t: UInt32, overflow: (UnsafeBufferPointer<UInt>) -> Void) -> Bool {
        let n = (t &- h) / 2
        precondition(n == capacity / 2, "runqputslow: queue is not full")
        // On the stack, as Go's runqputslow does: a heap array here costs a malloc per
        // overflow, and one of 1 KB makes glibc consolidate its fast bins each time.
        return withUnsafeTemporaryAllocation(of: UInt.self, capacity: Int(n) + 1) { batch in
            for i in 0..<Int(n) { batch[i] = gb_load_relaxed_uptr(slot(h &+ UInt32(i))) }
            if !gb_cas_u32(head, h, h &+ n) { return false }
            batch[Int(n)] = item
            overflow(UnsafeBufferPointer(batch))
            return true
        }
    }

    /// Owner: takes runnext, else the head. `inheritTime` is true for runnext.
    @inline(__always)
    public func get() -> (item: UInt, inheritTime: Bool)? {
        let next = gb_load_relaxed_uptr(runnext)
        if next != 0 && gb_cas_uptr(runnext, next, 0) { return (next, true) }
        while true {
            let h = gb_load_acquire_u32(head)
            let t = gb_load_relaxed_u32(tail)
            if t == h { return nil }
            let item = gb_load_relaxed_uptr(slot(h))
            if gb_cas_u32(head, h, h &+ 1) { return (item, false) }
        }
    }

    /// Owner: empties the queue (runnext first), for GOMAXPROCS removing this P.
    public func drain() -> [UInt] {
        var out: [UInt] = []
        while let (item, _) = get() { out.append(item) }
        return out
    }

    /// Stealer: grabs half of `victim`'s items into this queue's ring (this queue's owner
    /// calls it) and returns one of them to run, or nil. `stealRunNext` also takes the
    /// victim's runnext when its ring is empty (Go does that only in the last round).
    public func steal(from victim: RunQueue, stealRunNext: Bool, victimRunning: Bool = false) -> UInt? {
        var taken: UInt32 = 0
        return steal(from: victim, stealRunNext: stealRunNext, victimRunning: victimRunning, taken: &taken)
    }

    /// steal(from:stealRunNext:victimRunning:), also saying how many items it moved
    /// (`taken`: the one returned plus those put in this queue's ring; 0 when none).
    public func steal(from victim: RunQueue, stealRunNext: Bool, victimRunning: Bool,
                      taken: inout UInt32) -> UInt? {
        let t = gb_load_relaxed_u32(tail)
        var n = victim.grab(into: self, at: t, stealRunNext: stealRunNext, victimRunning: victimRunning)
        taken = n
        if n == 0 { return nil }
        n -= 1
        let item = gb_load_relaxed_uptr(slot(t &+ n))
        if n == 0 { return item }
        let h = gb_load_acquire_u32(head)
        precondition(t &- h &+ n < capacity, "runqsteal: runq overflow")
        gb_store_release_u32(tail, t &+ n)
        return item
    }

    /// Copies half of this queue into `batch`'s slots from `batchTail`; returns how many.
    private func grab(into batch: RunQueue, at batchTail: UInt32, stealRunNext: Bool, victimRunning: Bool) -> UInt32 {
        while true {
            let h = gb_load_acquire_u32(head)
            let t = gb_load_acquire_u32(tail) // pairs with the owner's store-release
            var n = t &- h
            n = n - n / 2
            if n == 0 {
                if stealRunNext {
                    let next = gb_load_acquire_uptr(runnext)
                    if next != 0 {
                        if victimRunning {
                            // Go sleeps ~3 µs here (usleep(3)): the victim is likely about
                            // to run its runnext G, and stealing it would just bounce it.
                            // A real sleep, not a spin: on few cores the spin would take
                            // the CPU from the victim itself.
                            var ts = timespec(tv_sec: 0, tv_nsec: 3_000)
                            _ = nanosleep(&ts, nil)
                        }
                        if !gb_cas_uptr(runnext, next, 0) { continue }
                        gb_store_relaxed_uptr(batch.slot(batchTail), next)
                        return 1
                    }
                }
                return 0
            }
            if n > capacity / 2 { continue } // read inconsistent h and t
            for i in 0..<n {
                gb_store_relaxed_uptr(batch.slot(batchTail &+ i), gb_load_relaxed_uptr(slot(h &+ i)))
            }
            if gb_cas_u32(head, h, h &+ n) { return n }
        }
    }
}
