// StackAllocator: goroutine stacks, each with a guard region that faults on overflow.
//
// The trade-off: Swift cannot move a stack, so stacks do not grow
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
// pool, kept as a bit mask of free slots per reservation. A new reservation is carved
// whole: its 64 guard regions are installed with one process_madvise (Linux 6.13+; else
// one madvise or mprotect per slot) and the top page of each slot, the one a goroutine
// touches first, is faulted in with one more (MADV_POPULATE_WRITE), so that a spawn
// burst pays two system calls per 64 stacks instead of a guard madvise and a page fault
// per stack. The scavenger gives the pages
// of pooled stacks back to the OS (one madvise per run of adjacent free slots) and unmaps
// a reservation whose 64 slots are all free, so that the memory of a burst of a million
// goroutines, page tables and pool records included, goes back once they have ended.
// It also compacts the stacks of long-parked goroutines (Scavenger.swift), using the
// lightweight guard to take their pages back while they are parked.
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
    /// A pooled slot's reservation (StackAllocator.records) and slot index in it;
    /// -1 for a dedicated stack.
    var reservation: Int32 = -1
    var slot: Int32 = -1
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
    /// Slots per reservation of standard stacks (one bit each in a UInt64 mask).
    static let slotsPerReservation = 64

    /// The standard stack size: what `go { }` gets unless it asks for another size.
    let standardBytes: Int
    private let slotBytes: Int
    private let lock = RuntimeLock()

    /// One mapping of 64 standard slots, all carved at once. Free slots are "pooled": not
    /// held by a goroutine or a P's cache.
    private struct Reservation {
        /// The mapping's address; 0 once unmapped (the record is then reused).
        var base: UInt
        var node: Int32
        /// Pooled slots.
        var freeMask: UInt64
        /// Pooled slots whose pages were given back since they were last used.
        var releasedMask: UInt64
        /// On its node's `withFree` list.
        var listed: Bool
        /// mprotect guards in it (each a mapping, counted against the budget).
        var mprotectGuards: Int
    }
    private var records: [Reservation] = []
    /// Records of unmapped reservations, for reuse.
    private var unusedReservations: [Int32] = []
    /// Per NUMA node (-1: not bound): the reservations with pooled slots (Reservation.listed
    /// says which are on it; never one that is unmapped).
    private var withFree: [Int32: [Int32]] = [:]
    /// Pooled slots in all reservations.
    private var pooled = 0
    /// Standard stacks out of the pool: held by goroutines or in the Ps' caches.
    private(set) var outstanding = 0
    /// The stack pacer's trigger (Scavenger.swift, "The stack pacer"): when `outstanding`
    /// reaches it, a refill asks for a pacer pass (pacerRequest) and sets it to Int.max
    /// until the pass sets the next one.
    private var pacerTrigger = Int.max
    /// 1 while a pacer pass is asked for and not yet started (read and cleared by sysmon).
    let pacerRequest: UnsafeMutablePointer<UInt32>
    /// Guard regions installed with mprotect (each one a mapping).
    private(set) var mprotectGuards = 0
    private let mprotectGuardBudget: Int
    private(set) var dedicatedLiveBytes = 0
    /// Reservations unmapped by the scavenger (all their slots were free).
    private(set) var unmappedReservations = 0

    init(standardBytes: Int) {
        self.standardBytes = standardBytes
        self.slotBytes = standardBytes + StackAllocator.guardBytes
        // Leave room for everything else the process maps (libraries, heap, threads).
        self.mprotectGuardBudget = max(1000, StackAllocator.maxMapCount() / 2 - 4096)
        pacerRequest = .allocate(capacity: 1)
        pacerRequest.initialize(to: 0)
    }

    /// Sets the outstanding count at which the next pacer pass is asked for (Int.max: none).
    func setPacerTrigger(_ trigger: Int) {
        lock.lock()
        pacerTrigger = trigger
        let due = outstanding >= trigger
        if due { pacerTrigger = .max }
        lock.unlock()
        if due { gb_store_release_u32(pacerRequest, 1) }
    }

    static func maxMapCount() -> Int {
        if let s = SystemFile.readText("/proc/sys/vm/max_map_count"), let n = Int(s.trimmingASCII(" \n\t")) { return n }
        return 65530
    }

    static func roundUp(_ n: Int, _ to: Int) -> Int { (n + to - 1) / to * to }
    static func roundDown(_ n: UInt, _ to: Int) -> UInt { n / UInt(to) * UInt(to) }

    /// True when stack guards are lightweight (MADV_GUARD_INSTALL): what parked-stack
    /// compaction needs (Scavenger.swift).
    var lightGuards: Bool { gb_light_guards_state() == 1 && mprotectGuards == 0 }

    private func slotStack(_ id: Int32, _ slot: Int) -> Stack {
        let r = records[Int(id)]
        let guardLo = r.base + UInt(slot * slotBytes)
        let lo = guardLo + UInt(StackAllocator.guardBytes)
        return Stack(guardLo: guardLo, lo: lo, hi: lo + UInt(standardBytes), limitBytes: UInt64(standardBytes),
                     dedicated: false, node: r.node, reservation: id, slot: Int32(slot))
    }

    /// Refills a P's cache with up to `count` standard stacks whose memory is on `node`
    /// (-1: no binding), so that goroutines spawned on a P take stacks from its node.
    func refill(_ cache: inout [Stack], count: Int, node: Int32 = -1) throws {
        lock.lock()
        let before = cache.count
        defer {
            outstanding += cache.count - before
            let due = outstanding >= pacerTrigger
            if due { pacerTrigger = .max }
            lock.unlock()
            if due { stackPacerRequested(self) }
        }
        while cache.count < count {
            guard let id = withFree[node]?.popLast() else {
                try reserveSlots(node: node)
                continue
            }
            let i = Int(id)
            records[i].listed = false
            while cache.count < count, records[i].freeMask != 0 {
                let slot = records[i].freeMask.trailingZeroBitCount
                let bit = UInt64(1) << UInt64(slot)
                records[i].freeMask &= ~bit
                records[i].releasedMask &= ~bit
                pooled -= 1
                cache.append(slotStack(id, slot))
            }
            if records[i].freeMask != 0 {
                records[i].listed = true
                withFree[node, default: []].append(id)
            }
        }
    }

    /// Takes stacks back from a P's cache (spill) or a dead G, each to its reservation.
    func release(_ stacks: ArraySlice<Stack>) {
        lock.lock()
        for s in stacks { poolLocked(s) }
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
        poolLocked(stack)
        lock.unlock()
    }

    private func poolLocked(_ s: Stack) {
        let i = Int(s.reservation)
        let bit = UInt64(1) << UInt64(s.slot)
        precondition(records[i].base != 0 && records[i].freeMask & bit == 0,
                     "stack allocator: stack released twice")
        records[i].freeMask |= bit
        pooled += 1
        outstanding -= 1
        if !records[i].listed {
            records[i].listed = true
            withFree[records[i].node, default: []].append(s.reservation)
        }
    }

    /// Maps a reservation on `node` and carves all its slots into the pool: the guards
    /// and the slots' top pages in a batch each (see the top of this file).
    private func reserveSlots(node: Int32) throws {
        let all = StackAllocator.slotsPerReservation
        let bytes = slotBytes * all
        // A node's reservation is bound to it (mbind, through numa_alloc_onnode); its
        // pages are placed there when first touched.
        let p = node >= 0 ? gb_numa_alloc_onnode(bytes, node) : gb_stack_reserve(bytes)
        guard let p else { throw StackError.outOfMemory(bytes) }
        let base = UInt(bitPattern: p)
        var guards = 0
        do {
            guards = try installSlotGuards(base: base)
        } catch {
            _ = gb_stack_unmap(p, bytes)
            throw error
        }
        let full: UInt64 = all == 64 ? ~0 : (1 << UInt64(all)) - 1
        let r = Reservation(base: base, node: node, freeMask: full, releasedMask: 0,
                            listed: true, mprotectGuards: guards)
        let id: Int32
        if let reuse = unusedReservations.popLast() {
            id = reuse
            records[Int(id)] = r
        } else {
            id = Int32(records.count)
            records.append(r)
        }
        pooled += all
        withFree[node, default: []].append(id)
        // The top page of each slot: the first frames of the goroutine that gets it.
        withUnsafeTemporaryAllocation(of: UInt.self, capacity: all) { addresses in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: all) { lengths in
                for k in 0..<all {
                    addresses[k] = base + UInt((k + 1) * slotBytes - StackAllocator.pageBytes)
                    lengths[k] = StackAllocator.pageBytes
                }
                _ = gb_populate_ranges(addresses.baseAddress, lengths.baseAddress, Int32(all))
            }
        }
    }

    /// Installs the guard region of every slot of the reservation at `base`: lightweight
    /// guards in one batch once the kernel is known to have them, else one at a time.
    /// Returns the mprotect guards installed (each a mapping).
    private func installSlotGuards(base: UInt) throws -> Int {
        let all = StackAllocator.slotsPerReservation
        let before = mprotectGuards
        var k = 0
        do {
            while k < all {
                if gb_light_guards_state() == 1 {
                    k += withUnsafeTemporaryAllocation(of: UInt.self, capacity: all - k) { addresses in
                        withUnsafeTemporaryAllocation(of: Int.self, capacity: all - k) { lengths in
                            for j in 0..<(all - k) {
                                addresses[j] = base + UInt((k + j) * slotBytes)
                                lengths[j] = StackAllocator.guardBytes
                            }
                            return Int(gb_guard_install_ranges(addresses.baseAddress, lengths.baseAddress, Int32(all - k)))
                        }
                    }
                    if k == all { break }
                }
                // One at a time: the first one (it finds out whether the kernel has
                // lightweight guards), one the batch refused, or every one of an mprotect
                // kernel.
                _ = try installGuard(at: base + UInt(k * slotBytes), bytes: StackAllocator.guardBytes)
                k += 1
            }
        } catch {
            mprotectGuards = before // unmapped with the reservation by the caller
            throw error
        }
        return mprotectGuards - before
    }

    /// Returns true for an mprotect guard (a mapping).
    private func installGuard(at address: UInt, bytes: Int) throws -> Bool {
        switch gb_guard_install(UnsafeMutableRawPointer(bitPattern: address), bytes) {
        case 1: return false
        case 2:
            mprotectGuards += 1
            if mprotectGuards > mprotectGuardBudget { throw StackError.mappingBudget(mprotectGuards) }
            return true
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
        _ = try installGuard(at: guardLo, bytes: guardBytes)
        dedicatedLiveBytes += total
        let lo = guardLo + UInt(guardBytes)
        return Stack(guardLo: guardLo, lo: lo, hi: lo + UInt(usable),
                     limitBytes: UInt64(limitBytes), dedicated: true)
    }

    /// Gives back the memory of pooled stacks, keeping `retainBytes` worth of pooled
    /// stacks resident for reuse: a reservation whose 64 slots are all pooled (and none
    /// kept) is unmapped, page tables and all; other pooled slots get their pages back
    /// with one madvise per run of adjacent slots (the guards between them stay). Slots
    /// released before and not used since are skipped. Returns the bytes released: those
    /// resident just before, by mincore, for the slots and for the unmapped reservations
    /// (unmapped after the lock is released: taking a million stacks' pages back takes a
    /// while, and spawns must not wait for it). Not by the difference in the process's
    /// resident set across the unmapping: other threads fault pages in meanwhile, and the
    /// kernel's resident-set counters are per-CPU approximations.
    func scavengePool(retainBytes: Int) -> Int {
        var unmap: [UInt] = []
        var released = scavengePoolLocked(retainBytes: retainBytes, unmap: &unmap)
        if !unmap.isEmpty {
            let bytes = slotBytes * StackAllocator.slotsPerReservation
            for (k, base) in unmap.enumerated() {
                let p = UnsafeMutableRawPointer(bitPattern: base)
                released += gb_resident_bytes(p, bytes)
                _ = gb_stack_unmap(p, bytes)
                // (Called by the scavenger's goroutine: a million stacks take a while.)
                if k & 63 == 63 { Runtime.preemptionPoint() }
            }
        }
        return released
    }

    private func scavengePoolLocked(retainBytes: Int, unmap: inout [UInt]) -> Int {
        lock.lock()
        defer { lock.unlock() }
        var keep = retainBytes / max(1, standardBytes)
        var released = 0
        let all = StackAllocator.slotsPerReservation
        let full: UInt64 = all == 64 ? ~0 : (1 << UInt64(all)) - 1
        // Merging runs over guards needs lightweight guards: an mprotect guard is a
        // mapping of its own, and madvise over it would fail.
        let merge = mprotectGuards == 0
        var unmapped = false
        for i in records.indices where records[i].base != 0 && records[i].freeMask != 0 {
            let r = records[i]
            var release = r.freeMask & ~r.releasedMask
            while keep > 0 && release != 0 {
                release &= release - 1 // keep the lowest resident pooled slot
                keep -= 1
            }
            let kept = r.freeMask & ~r.releasedMask & ~release
            if r.freeMask == full && kept == 0 {
                unmap.append(r.base) // by scavengePool, once the lock is released
                mprotectGuards -= r.mprotectGuards
                pooled -= all
                records[i].base = 0
                records[i].freeMask = 0
                records[i].releasedMask = 0
                unusedReservations.append(Int32(i))
                unmappedReservations += 1
                unmapped = true
                continue
            }
            var bits = release
            while bits != 0 {
                let first = bits.trailingZeroBitCount
                var last = first
                if merge {
                    while last + 1 < all && bits & (UInt64(1) << UInt64(last + 1)) != 0 { last += 1 }
                }
                let lo = r.base + UInt(first * slotBytes + StackAllocator.guardBytes)
                let hi = r.base + UInt(last * slotBytes + slotBytes)
                let p = UnsafeMutableRawPointer(bitPattern: lo)
                released += gb_resident_bytes(p, Int(hi - lo))
                _ = gb_release_pages(p, Int(hi - lo))
                for b in first...last { bits &= ~(UInt64(1) << UInt64(b)) }
            }
            records[i].releasedMask |= release
        }
        if unmapped {
            // The lists named the unmapped reservations: made again from the records.
            withFree.removeAll(keepingCapacity: true)
            for i in records.indices {
                let listed = records[i].base != 0 && records[i].freeMask != 0
                records[i].listed = listed
                if listed { withFree[records[i].node, default: []].append(Int32(i)) }
            }
        }
        return released
    }

    /// Unmaps every reservation (shutdown, once no goroutine can run on its stack).
    func unmapAll() {
        lock.lock()
        let bytes = slotBytes * StackAllocator.slotsPerReservation
        for r in records where r.base != 0 { _ = gb_stack_unmap(UnsafeMutableRawPointer(bitPattern: r.base), bytes) }
        records.removeAll()
        unusedReservations.removeAll()
        withFree.removeAll()
        pooled = 0
        outstanding = 0
        lock.unlock()
    }

    var pooledCount: Int {
        lock.lock(); defer { lock.unlock() }
        return pooled
    }

    var outstandingCount: Int {
        lock.lock(); defer { lock.unlock() }
        return outstanding
    }

    /// The addresses of the mapped reservations of standard slots.
    var reservations: [UInt] {
        lock.lock(); defer { lock.unlock() }
        return records.compactMap { $0.base == 0 ? nil : $0.base }
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

// MARK: - The maximum stack of running goroutines
//
// Go checks debug.SetMaxStack's limit each time a stack grows, so a new limit applies to
// every goroutine at its next growth, main included. Stacks here do not grow: a
// goroutine's limit is where its guard region is. So a new limit applies by moving guards:
// with the world stopped (no goroutine runs but the caller and those in system calls),
// each goroutine with a dedicated stack (main's, or one spawned with its own size) larger
// than the limit gets a guard region of guardBytes just below `hi - limit` (a "soft
// guard", inside its mapping), and its overflow record says the new limit, so that going
// deeper faults there and is reported as Go reports it: `runtime: goroutine stack exceeds
// LIMIT-byte limit`. A goroutine already deeper than the limit keeps its frames: its
// guard goes 32 KiB below its current frames (its saved stack pointer, or the caller's),
// so that its next growth faults, as Go's next growth would throw. A larger limit
// removes the soft guard and moves it down, back to the mapping's own guard once the
// limit passes the mapping's size (the record then says the mapping's size).
//
// Not moved: standard-size stacks (pooled slots, whose guards are fixed and shared with
// the pool: the standard size is their limit), goroutines in a system call (their
// thread runs; they keep the limit they had) and, with the ucontext back end, parked
// goroutines (their saved stack pointer is inside a ucontext_t, not read here). The soft
// guard lives inside the dedicated mapping and goes with it when the stack is freed; a
// stack's overflow record is rewritten when a goroutine gets a new stack. Parked-stack
// compaction (Scavenger.swift) touches only the pages at and above the saved stack
// pointer and releases those below with madvise, which keeps guards: the two do not meet.
extension StackAllocator {
    /// Room left below a goroutine already deeper than the new limit.
    static let softGuardMargin: UInt = 32 * 1024

    static func applyMaxStackToRunningGoroutines(_ s: Scheduler, _ limit: Int) {
        guard let me = currentGoroutine() else { return }
        s.withWorldStopped {
            s.allGLock.lock()
            let all = s.allGoroutines
            s.allGLock.unlock()
            for gp in all {
                let sp: UInt
                if gp === me {
                    sp = gb_stack_pointer()
                } else {
                    let st = gp.status
                    guard st == .waiting || st == .runnable, gb_context_backend() == Int32(GB_CONTEXT_ASM),
                          let saved = gp.context.pointee.sp else { continue }
                    sp = UInt(bitPattern: saved)
                }
                applyMaxStack(limit, to: gp, stackPointer: sp)
            }
        }
    }

    /// Moves `gp`'s soft guard for `limit` (see above). `stackPointer` is the deepest
    /// address in use.
    static func applyMaxStack(_ limit: Int, to gp: Goroutine, stackPointer sp: UInt) {
        guard !gp.needsContext, let stack = gp.stack, stack.dedicated, sp >= stack.lo, sp < stack.hi else { return }
        let record = gp.stackRecord
        let old = record.pointee
        var boundary = stack.hi > UInt(limit) ? UInt(roundUp(Int(stack.hi - UInt(limit)), pageBytes)) : 0
        let deepest = roundDown(sp, pageBytes)
        if deepest < stack.lo + softGuardMargin { return } // no room for a guard below it
        boundary = min(boundary, deepest - softGuardMargin)
        let guardSize = UInt(guardBytes)
        if boundary < stack.lo + guardSize { boundary = stack.lo } // the mapping's own guard
        if boundary == old.lo {
            if boundary != stack.lo { record.pointee.limit = UInt64(limit) }
            return
        }
        if old.lo > stack.lo {
            _ = gb_guard_clear(UnsafeMutableRawPointer(bitPattern: old.guard_lo), Int(old.lo - old.guard_lo))
        }
        if boundary > stack.lo {
            // A failure leaves the mapping's own guard in force; the record keeps it.
            guard gb_guard_install(UnsafeMutableRawPointer(bitPattern: boundary - guardSize), guardBytes) > 0 else {
                record.pointee.lo = stack.lo
                record.pointee.guard_lo = stack.guardLo
                record.pointee.limit = stack.limitBytes
                return
            }
            record.pointee.lo = boundary
            record.pointee.guard_lo = boundary - guardSize
            record.pointee.limit = UInt64(limit)
        } else {
            record.pointee.lo = stack.lo
            record.pointee.guard_lo = stack.guardLo
            record.pointee.limit = stack.limitBytes
        }
    }
}
