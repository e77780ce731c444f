// WordRing: a growable ring buffer of machine words (G addresses) for the scheduler's
// global run queue and its free lists of dead Gs.
//
// Go links these through g.schedlink. Here the links are an array, on purpose: a queue
// operation then touches the array, never the Gs. With an intrusive list, taking a batch
// of 128 Gs off the global queue walks 128 Gs one after the other, each load waiting for
// the one before (the next address is in the G), and at GOMAXPROCS > 1 those Gs were last
// written on another CPU or have left the cache: the walk costs a miss per G, serialised.
// With the addresses in an array the walk is a copy, and the first touch of each G comes
// when it is used, where it can be prefetched (prefetchNextRunnable in Schedule.swift, Scheduler.freeGet).
//
// Not thread-safe: every ring has an owner (sched.lock, freeLock, or its P). Never freed:
// its owners (the scheduler, the Ps) live as long as the process, as Go's do.
import CRuntime

struct WordRing {
    private var buffer: UnsafeMutablePointer<UInt>
    private var mask: Int
    private var head = 0
    /// The number of words in the ring.
    private(set) var count = 0
    /// Capacity it shrinks back to when it empties after growing past `shrinkAbove`.
    private let initialCapacity: Int

    /// `capacity` is rounded up to a power of two.
    init(capacity: Int) {
        var c = 1
        while c < max(capacity, 2) { c <<= 1 }
        buffer = .allocate(capacity: c)
        mask = c - 1
        initialCapacity = c
    }

    var isEmpty: Bool { @inline(__always) get { count == 0 } }

    /// The word at position `i` from the front (0 ..< count).
    @inline(__always)
    subscript(i: Int) -> UInt {
        get { buffer[(head &+ i) & mask] }
        set { buffer[(head &+ i) & mask] = newValue }
    }

    @inline(__always)
    mutating func pushBack(_ w: UInt) {
        if count == mask + 1 { grow() }
        buffer[(head &+ count) & mask] = w
        count += 1
    }

    @inline(__always)
    mutating func pushFront(_ w: UInt) {
        if count == mask + 1 { grow() }
        head = (head &- 1) & mask
        buffer[head] = w
        count += 1
    }

    @inline(__always)
    mutating func popFront() -> UInt? {
        if count == 0 { return nil }
        let w = buffer[head]
        head = (head &+ 1) & mask
        count -= 1
        if count == 0 { emptied() }
        return w
    }

    @inline(__always)
    mutating func popBack() -> UInt? {
        if count == 0 { return nil }
        count -= 1
        let w = buffer[(head &+ count) & mask]
        if count == 0 { emptied() }
        return w
    }

    /// The back word, or nil.
    @inline(__always)
    var last: UInt? { count == 0 ? nil : buffer[(head &+ count &- 1) & mask] }

    /// Removes the word at position `i` by moving the back word into its place (order
    /// is not kept: for the free lists, which are stacks of interchangeable Gs).
    mutating func swapRemove(at i: Int) -> UInt {
        let w = self[i]
        count -= 1
        if i != count { self[i] = buffer[(head &+ count) & mask] }
        if count == 0 { emptied() }
        return w
    }

    /// Removes the `n` front words (n <= count), calling `body` with each in order.
    mutating func removeFront(_ n: Int, _ body: (UInt) -> Void) {
        precondition(n <= count)
        for i in 0..<n { body(buffer[(head &+ i) & mask]) }
        head = (head &+ n) & mask
        count -= n
        if count == 0 { emptied() }
    }

    private mutating func grow() {
        let old = mask + 1
        let bigger = UnsafeMutablePointer<UInt>.allocate(capacity: old * 2)
        for i in 0..<count { bigger[i] = buffer[(head &+ i) & mask] }
        buffer.deallocate()
        buffer = bigger
        mask = old * 2 - 1
        head = 0
    }

    /// An empty ring that grew large gives its memory back (a storm of a million
    /// queued goroutines grows the global queue to 8 MB once).
    private mutating func emptied() {
        head = 0
        if mask + 1 > max(initialCapacity, 4096) {
            buffer.deallocate()
            buffer = .allocate(capacity: initialCapacity)
            mask = initialCapacity - 1
        }
    }
}
