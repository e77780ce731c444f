// StackAllocator: goroutine stacks, each with a guard region that faults on overflow.
//
// The trade-off (DESIGN.md, "Stacks"): Swift cannot move a stack, so stacks do not grow
// by copying as Go's do; each goroutine gets a fixed-size stack, committed lazily page by
// page, so a goroutine pays only for the pages it touches. A million goroutines cannot
// each have their own mapping (vm.max_map_count is 65,530 by default), so standard-size
// stacks are slots carved out of large reservations, each slot's guard region installed
// with MADV_GUARD_INSTALL (no extra mapping, Linux 6.13+) or, on older kernels, mprotect
// (one extra mapping per stack, counted against a budget so we fail clearly, not with
// ENOMEM). Other sizes (the main goroutine's 1 GB, a spawn with its own size) get a
// dedicated mapping.
//
// Stacks of the standard size are cached per P (Processor.stackCache) and in a global
// pool; the scavenger gives the pages of pooled stacks back to the OS.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// One goroutine stack: usable [lo, hi), guard [guardLo, lo).
struct Stack {
    let guardLo: UInt
    let lo: UInt
    let hi: UInt
    /// The byte limit reported when this stack overflows.
    let limitBytes: UInt64
    /// True for a dedicated mapping (unmapped when freed), false for a pooled slot.
    let dedicated: Bool
    /// The NUMA node its memory is bound to, or -1 (no binding).
    var node: Int32 = -1
    var usableBytes: Int { Int(hi - lo) }
}

public enum StackError: Error, CustomStringConvertible, Equatable {
    case belowMinimum(Int)
    case outOfMemory(Int)
    case mappingBudget(Int)

    public var description: String {
        switch self {
        case .belowMinimum(let n):
            return "runtime: stack size \(n) is below the minimum of \(StackAllocator.minimumStackBytes) bytes"
        case .outOfMemory(let n):
            return "runtime: cannot allocate \(n)-byte goroutine stack"
        case .mappingBudget(let n):
            return "runtime: cannot allocate guarded goroutine stack: \(n) guard mappings in use, near vm.max_map_count (this kernel has no MADV_GUARD_INSTALL)"
        }
    }
}

final class StackAllocator: @unchecked Sendable {
    static let pageBytes = 4096
    /// The smallest stack a goroutine may ask for: Swift's runtime calls need a few KB.
    static let minimumStackBytes = 16 * 1024
    /// The guard below each stack. Frames larger than this could step over it; Swift's
    /// frames in this runtime and its workloads are far smaller.
    static let guardBytes = 16 * 1024
    /// Slots per reservation of standard stacks.
    static let slotsPerReservation = 64

    /// The standard stack size: what `go { }` gets unless it asks for another size.
    let standardBytes: Int
    private let slotBytes: Int
    private let lock = RuntimeLock()
    /// Free standard stacks not in any P's cache, per NUMA node (-1: not bound).
    private var pools: [Int32: [Stack]] = [:]
    /// Per node: the reservation being carved and the next free slot in it.
    private var carving: [Int32: (base: UInt, next: Int)] = [:]
    /// Guard regions installed with mprotect (each one a mapping).
    private(set) var mprotectGuards = 0
    private let mprotectGuardBudget: Int
    /// All reservations of standard slots, for the scavenger's accounting.
    private(set) var reservations: [UInt] = []
    private(set) var dedicatedLiveBytes = 0

    init(standardBytes: Int) {
        self.standardBytes = standardBytes
        self.slotBytes = standardBytes + StackAllocator.guardBytes
        // Leave room for everything else the process maps (libraries, heap, threads).
        self.mprotectGuardBudget = max(1000, StackAllocator.maxMapCount() / 2 - 4096)
    }

    static func maxMapCount() -> Int {
        if let s = SystemFile.readText("/proc/sys/vm/max_map_count"), let n = Int(s.trimmingASCII(" \n\t")) { return n }
        return 65530
    }

    static func roundUp(_ n: Int, _ to: Int) -> Int { (n + to - 1) / to * to }

    /// Refills a P's cache with up to `count` standard stacks whose memory is on `node`
    /// (-1: no binding), so that goroutines spawned on a P take stacks from its node.
    func refill(_ cache: inout [Stack], count: Int, node: Int32 = -1) throws {
        lock.lock()
        defer { lock.unlock() }
        while cache.count < count, let s = pools[node]?.popLast() { cache.append(s) }
        if cache.isEmpty { cache.append(try carveSlot(node: node)) }
    }

    /// Takes stacks back from a P's cache (spill) or a dead G, each to its node's pool.
    func release(_ stacks: ArraySlice<Stack>) {
        lock.lock()
        for s in stacks { pools[s.node, default: []].append(s) }
        lock.unlock()
    }

    func release(_ stack: Stack) {
        if stack.dedicated {
            _ = gb_stack_unmap(UnsafeMutableRawPointer(bitPattern: stack.guardLo), Int(stack.hi - stack.guardLo))
            lock.lock()
            dedicatedLiveBytes -= Int(stack.hi - stack.guardLo)
            lock.unlock()
            return
        }
        lock.lock()
        pools[stack.node, default: []].append(stack)
        lock.unlock()
    }

    private func carveSlot(node: Int32) throws -> Stack {
        var (base, next) = carving[node] ?? (0, StackAllocator.slotsPerReservation)
        if next == StackAllocator.slotsPerReservation {
            let bytes = slotBytes * StackAllocator.slotsPerReservation
            // A node's reservation is bound to it (mbind, through numa_alloc_onnode); its
            // pages are placed there when first touched.
            let p = node >= 0 ? gb_numa_alloc_onnode(bytes, node) : gb_stack_reserve(bytes)
            guard let p else { throw StackError.outOfMemory(bytes) }
            base = UInt(bitPattern: p)
            next = 0
            reservations.append(base)
        }
        let guardLo = base + UInt(next * slotBytes)
        carving[node] = (base, next + 1)
        try installGuard(at: guardLo, bytes: StackAllocator.guardBytes)
        let lo = guardLo + UInt(StackAllocator.guardBytes)
        var s = Stack(guardLo: guardLo, lo: lo, hi: lo + UInt(standardBytes),
                      limitBytes: UInt64(standardBytes), dedicated: false)
        s.node = node
        return s
    }

    private func installGuard(at address: UInt, bytes: Int) throws {
        switch gb_guard_install(UnsafeMutableRawPointer(bitPattern: address), bytes) {
        case 1: return
        case 2:
            mprotectGuards += 1
            if mprotectGuards > mprotectGuardBudget { throw StackError.mappingBudget(mprotectGuards) }
        default:
            throw StackError.outOfMemory(bytes)
        }
    }

    /// A stack of its own mapping: `limitBytes` usable (rounded up to pages) and a guard.
    func allocateDedicated(limitBytes: Int) throws -> Stack {
        let usable = StackAllocator.roundUp(limitBytes, StackAllocator.pageBytes)
        let guardBytes = max(StackAllocator.guardBytes, min(1 << 20, usable / 16))
        let total = usable + guardBytes
        guard let p = gb_stack_reserve(total) else { throw StackError.outOfMemory(total) }
        let guardLo = UInt(bitPattern: p)
        lock.lock()
        defer { lock.unlock() }
        try installGuard(at: guardLo, bytes: guardBytes)
        dedicatedLiveBytes += total
        let lo = guardLo + UInt(guardBytes)
        return Stack(guardLo: guardLo, lo: lo, hi: lo + UInt(usable),
                     limitBytes: UInt64(limitBytes), dedicated: true)
    }

    /// Gives the pages of every pooled stack back to the OS, keeping `retainBytes` worth
    /// of stacks resident. Returns the bytes released (resident before, by mincore).
    func scavengePool(retainBytes: Int) -> Int {
        lock.lock()
        var keep = retainBytes / max(1, standardBytes)
        var released = 0
        for (_, pool) in pools.sorted(by: { $0.key < $1.key }) {
            let kept = min(keep, pool.count)
            keep -= kept
            for s in pool[kept...] {
                let p = UnsafeMutableRawPointer(bitPattern: s.lo)
                released += gb_resident_bytes(p, s.usableBytes)
                _ = gb_release_pages(p, s.usableBytes)
            }
        }
        lock.unlock()
        return released
    }

    /// Unmaps every reservation (shutdown, once no goroutine can run on its stack).
    func unmapAll() {
        lock.lock()
        let bytes = slotBytes * StackAllocator.slotsPerReservation
        for r in reservations { _ = gb_stack_unmap(UnsafeMutableRawPointer(bitPattern: r), bytes) }
        reservations.removeAll()
        pools.removeAll()
        carving.removeAll()
        lock.unlock()
    }

    var pooledCount: Int {
        lock.lock(); defer { lock.unlock() }
        return pools.values.reduce(0) { $0 + $1.count }
    }
}

extension String {
    func trimmingASCII(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
