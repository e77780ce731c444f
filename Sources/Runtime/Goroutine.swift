// Goroutine (G): a function with its own stack, its state, and what the scheduler and the
// synchronisation primitives hang on it.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A goroutine's state. The comment of each case says who owns the G in it.
public enum GoroutineStatus: UInt32, Sendable, CustomStringConvertible {
    /// Just allocated, not yet initialised. Owned by the allocating M.
    case idle = 0
    /// On a run queue, not running. Owned by that queue.
    case runnable = 1
    /// Running Swift code on an M that holds a P. Owned by that M.
    case running = 2
    /// In a blocking system call, with an M but maybe without a P. Owned by that M.
    case syscall = 3
    /// Blocked in the runtime (channel, lock, sleep). Owned by what it waits on.
    case waiting = 4
    /// Finished; on a free list for reuse. Owned by the list.
    case dead = 6

    /// Go's _Gscan, set on top of `waiting` (and only on it) while the scavenger works on
    /// the parked G's stack (Scavenger.swift, "Parked stacks"). Whoever moves the G out of
    /// `waiting` waits until the bit is clear (casStatus). `status` hides it.
    static let scanBit: UInt32 = 0x1000

    public var description: String {
        switch self {
        case .idle: return "idle"
        case .runnable: return "runnable"
        case .running: return "running"
        case .syscall: return "syscall"
        case .waiting: return "waiting"
        case .dead: return "dead"
        }
    }
}

/// Why a goroutine is waiting, as Go prints it in tracebacks.
public enum WaitReason: String, Sendable {
    case none = ""
    case chanReceive = "chan receive"
    case chanSend = "chan send"
    case chanReceiveNilChan = "chan receive (nil chan)"
    case select = "select"
    case selectNoCases = "select (no cases)"
    case sleep = "sleep"
    case syncMutexLock = "sync.Mutex.Lock"
    case syncWaitGroupWait = "sync.WaitGroup.Wait"
    case scavengeWait = "GC scavenge wait"
    case preempted = "preempted"
}

public final class Goroutine: @unchecked Sendable {
    /// The goroutine's id (Go's goid): new for every spawn, also when the G is reused.
    public internal(set) var id: Int64 = 0
    /// GoroutineStatus raw value; atomically updated (casgstatus).
    let statusWord: UnsafeMutablePointer<UInt32>
    /// The saved context while not running.
    let context: UnsafeMutablePointer<gb_context>
    /// What the overflow handler reads while this G runs.
    let stackRecord: UnsafeMutablePointer<gb_stack_record>
    var stack: Stack?
    /// The stack size asked for at spawn (0: the standard size).
    var requestedStackBytes = 0
    /// True until the G's context is made for its current body (at its first run).
    var needsContext = true
    /// The body, boxed and retained by hand: the goroutine's first frame calls it through
    /// the unmanaged reference, so a frame that Goexit abandons holds no reference of its
    /// own; goexit0 releases the box however the goroutine ended.
    var entry: Unmanaged<GoroutineBody>?
    /// Pending runtime defers, run last-in first-out by a normal return, Goexit or panic.
    var defers: [() -> Void] = []
    /// The M this G runs on (while running or in a syscall).
    unowned(unsafe) var m: Machine?
    /// LockOSThread: the M this G is locked to, with Go's two counters.
    unowned(unsafe) var lockedM: Machine?
    /// Set by the goroutine that switched straight to this one holding sched.lock
    /// (goschedSwitch): this G releases the lock as it resumes (resumeAfterSwitch).
    var unlockSchedOnResume = false
    /// The memory node of this G's object, asked of the kernel when it is allocated with
    /// the placement binding Ms to nodes (-1 otherwise): free Gs stay in the caches of Ps
    /// on that node (Scheduler.freePut/freeGet).
    var homeNode: Int32 = -1
    var lockedExternal: UInt32 = 0
    var lockedInternal: UInt32 = 0
    /// Intrusive link for the global run queue and the free lists.
    unowned(unsafe) var schedLink: Goroutine?
    var waitReason: WaitReason = .none
    /// A runtime goroutine (the scavenger): not counted by NumGoroutine.
    var isSystem = false
    /// Set by sysmon or stop-the-world (other threads): yield at the next preemption
    /// point. A relaxed atomic word: a late or spurious request only costs a yield.
    let preemptWord: UnsafeMutablePointer<UInt32>
    var preempt: Bool {
        @inline(__always) get { gb_load_relaxed_u32(preemptWord) != 0 }
        @inline(__always) set { gb_store_relaxed_u32(preemptWord, newValue ? 1 : 0) }
    }
    /// Scheduler tick of the P when this G last started running (sysmon's 10 ms check).
    var startedAtNanoseconds: Int64 = 0
    /// The node of the P that spawned it, for the remote-run statistic.
    var spawnNode: Int32 = 0
    /// The waiter used for single-channel operations (select uses its own).
    let waiter: Waiter
    /// Set by whoever wakes a G from select or a channel: the waiter that fired.
    unowned(unsafe) var wokenBy: Waiter?
    /// A G that is handed off the end of a syscall queue, or wakes from a park, reads this.
    var parkingSuccess = false
    /// Is this the main goroutine.
    var isMain = false
    /// Never freed by the scavenger (the main goroutine: Runtime.run holds a reference
    /// to it while m0 schedules, released only at shutdown).
    var pinned = false
    /// This G's index in Scheduler.allGoroutines (under allGLock), so that the scavenger
    /// can take it out when it frees the G.
    var allIndex = -1
    /// The scavenger's mark (Scavenger.swift, "Parked stacks"). Written with the scan bit
    /// held; execute reads it (a plain load on the hot path) and restores a compacted
    /// stack before the G runs.
    var parkedStackState: ParkedStackState = .none
    /// While compacted: the record holding the stack's live bytes.
    var compactedStack: UnsafeMutablePointer<CompactedStack>?
    /// For Goexit: the goroutine is exiting (defers must not re-enter Goexit).
    var exiting = false
    var panicking = false

    init() {
        statusWord = .allocate(capacity: 1)
        statusWord.initialize(to: GoroutineStatus.idle.rawValue)
        context = .allocate(capacity: 1)
        context.initialize(to: gb_context())
        preemptWord = .allocate(capacity: 1)
        preemptWord.initialize(to: 0)
        stackRecord = .allocate(capacity: 1)
        stackRecord.initialize(to: gb_stack_record())
        waiter = Waiter()
        waiter.g = self
        makeImmortal(self)
        makeImmortal(waiter)
    }

    /// Only the scavenger frees a G (Scavenger.swift, "Free goroutines"): dead, detached
    /// from every list, after a grace period. Its side allocations go with it.
    deinit {
        gb_context_release(context)
        context.deinitialize(count: 1)
        context.deallocate()
        statusWord.deallocate()
        preemptWord.deallocate()
        stackRecord.deallocate()
        if let c = compactedStack { c.deallocateRecord() }
    }

    var status: GoroutineStatus {
        GoroutineStatus(rawValue: gb_load_acquire_u32(statusWord) & ~GoroutineStatus.scanBit)!
    }

    /// Moves the status from `old` to `new`, waiting out a concurrent transition (Go's
    /// casgstatus). A transition from a state the G is not in is a runtime bug.
    @inline(__always)
    func casStatus(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        if gb_cas_u32(statusWord, old.rawValue, new.rawValue) { return }
        casStatusSlow(old, new)
    }

    /// While the scavenger holds the scan bit (`old` plus the bit) this waits as long as
    /// it takes, as Go's casgstatus does: the scavenger holds it for one stack copy and one
    /// madvise, but its thread may lose the CPU meanwhile, so past a short spin it yields.
    @inline(never)
    func casStatusSlow(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        var spins = 0
        var scanWaits = 0
        while !gb_cas_u32(statusWord, old.rawValue, new.rawValue) {
            if gb_load_relaxed_u32(statusWord) == old.rawValue | GoroutineStatus.scanBit {
                scanWaits += 1
                if scanWaits < 1000 { gb_cpu_relax(10) } else { sched_yield() }
                continue
            }
            spins += 1
            if spins > 10_000_000 {
                fatal("casgstatus: goroutine \(id) bad transition \(status) (expected \(old)) -> \(new)")
            }
            gb_cpu_relax(1)
        }
    }

    func setStatus(_ s: GoroutineStatus) { gb_store_release_u32(statusWord, s.rawValue) }

    /// The scavenger's side of the scan bit: takes a waiting G (one attempt; false when the
    /// G is not waiting or is taken already). Until releaseScan the G cannot become
    /// runnable, and its context is saved: the status turns to waiting on g0, after the
    /// switch away from the G (finishSwitch), so waiting implies a stack at rest.
    func tryAcquireScan() -> Bool {
        let waiting = GoroutineStatus.waiting.rawValue
        return gb_load_relaxed_u32(statusWord) == waiting
            && gb_cas_u32(statusWord, waiting, waiting | GoroutineStatus.scanBit)
    }

    /// Ends the scan: back to waiting. A release store: what the scavenger wrote (the
    /// compacted record) is seen by whoever readies the G next, through its CAS.
    func releaseScan() {
        gb_store_release_u32(statusWord, GoroutineStatus.waiting.rawValue)
    }

    /// The address of this G as a machine word, for the run queue's atomic slots. A G is
    /// freed only once it is dead, in no queue and out of allGoroutines, after a grace
    /// period (Scavenger.swift, "Free goroutines"): a word in use stays valid.
    @inline(__always) var word: UInt {
        UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque())
    }

    @inline(__always) static func from(word: UInt) -> Goroutine {
        Unmanaged<Goroutine>.fromOpaque(UnsafeRawPointer(bitPattern: word)!).takeUnretainedValue()
    }
}

/// A goroutine's body in a box (see Goroutine.entry).
final class GoroutineBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// A goroutine waiting on a channel or in select (Go's sudog).
final class Waiter: @unchecked Sendable {
    unowned(unsafe) var g: Goroutine!
    /// Where the value comes from (send) or goes to (receive); nil for a receive that
    /// discards the value.
    var element: UnsafeMutableRawPointer?
    /// Links in a channel's wait queue.
    var next: Waiter?
    unowned(unsafe) var prev: Waiter?
    /// The channel this waiter is queued on.
    unowned(unsafe) var channel: AnyObject?
    /// For select: the case index; -1 for a plain operation.
    var caseIndex = -1
    /// For select: shared word, 0 until one case fires (Go's selectDone).
    var selectDone: UnsafeMutablePointer<UInt32>?
    /// True when the operation completed by a partner; false when woken by close.
    var success = false
    var isSelect: Bool { selectDone != nil }

    init() {}
}

/// Where the scavenger is with a parked G's stack (Goroutine.parkedStackState).
enum ParkedStackState: UInt8 {
    /// Nothing to do when the G runs.
    case none = 0
    /// A periodic scavenger pass saw the G waiting; if the next pass finds it still
    /// waiting (it did not run in between: execute clears the mark), it is long-parked.
    case seenParked = 1
    /// The stack's live bytes are in Goroutine.compactedStack and its pages are guarded:
    /// execute restores them before the G runs.
    case compacted = 2
}

/// A compacted stack: the live bytes [sp, hi) of a parked G's stack in one malloc'd block
/// (this header, then the bytes), while the stack's pages [guardLo, hi) are given back
/// and guarded.
struct CompactedStack {
    /// The saved stack pointer: the lowest live byte.
    var sp: UInt
    /// One past the highest stack byte (the stack's hi).
    var hi: UInt
    /// The start of the guarded range (a page boundary at or below sp).
    var guardLo: UInt
    var reserved: UInt = 0

    static let headerBytes = MemoryLayout<CompactedStack>.stride

    var liveBytes: Int { Int(hi - sp) }

    /// A record with room for the live bytes, or nil when malloc fails.
    static func allocate(sp: UInt, hi: UInt, guardLo: UInt) -> UnsafeMutablePointer<CompactedStack>? {
        guard let raw = malloc(headerBytes + Int(hi - sp)) else { return nil }
        let p = raw.bindMemory(to: CompactedStack.self, capacity: 1)
        p.initialize(to: CompactedStack(sp: sp, hi: hi, guardLo: guardLo))
        return p
    }
}

extension UnsafeMutablePointer where Pointee == CompactedStack {
    /// The live bytes, after the header.
    var bytes: UnsafeMutableRawPointer { UnsafeMutableRawPointer(self) + CompactedStack.headerBytes }

    func deallocateRecord() { free(UnsafeMutableRawPointer(self)) }
}
