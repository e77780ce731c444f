// Goroutine (G): a function with its own stack, its state, and what the scheduler and the
// synchronisation primitives hang on it.
import CRuntime
import Synchronization
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
    // Layout. A spawn storm at GOMAXPROCS > 1 is bound by cache lines moving between
    // CPUs: the spawning M writes a G, another M (a thief) runs and ends it, and the dead G
    // travels back through the free lists to a spawner. So the fields are in two groups.
    // The first bytes of the object (after its 16-byte header) hold exactly what the
    // spawner writes and the first run reads: the id, the body and the status. Everything after it is touched only by the M that runs the G (and by
    // exit, on that M, which also resets what a spawn must find reset), and so is the side
    // block (context, overflow record, preemption word: gb_goroutine_side, one aligned
    // allocation of two lines). Swift lays out a class's stored properties in declaration
    // order: keep the first group first and small (32 bytes: 48 with the header; the object is
    // 16-byte aligned, so they span one line or two, never more).

    // -- First group: spawner and runner.
    /// The goroutine's id (Go's goid): new for every spawn, also when the G is reused.
    public internal(set) var id: Int64 = 0
    /// The body, owned by the G from spawn until its first run takes it (runGoroutineBody:
    /// the first frame then owns it, and calls it without a retain).
    var entry: GoroutineEntry?
    /// GoroutineStatus raw value, updated atomically (casgstatus). An Atomic in the
    /// object, not a C word: nothing needs its address, and it shares the spawner's line.
    let statusWord = Atomic<UInt32>(GoroutineStatus.idle.rawValue)
    /// The node of the P that spawned it, for the remote-run statistic.
    var spawnNode: Int32 = 0

    // -- The runner's, in the order of how often a run touches them: the next two lines
    // hold what every run and exit reads or writes; then what only some do.
    /// The body's closure context while the first frame owns the body, so that Goexit,
    /// which abandons that frame, can release it (exitGoroutine0).
    var runningBodyContext: UnsafeRawPointer?
    /// The context, overflow record and preemption word (gb_goroutine_side).
    let side: UnsafeMutablePointer<gb_goroutine_side>
    /// The saved context while not running (in `side`).
    var context: UnsafeMutablePointer<gb_context> { @inline(__always) get { gb_goroutine_context(side) } }
    /// What the overflow handler reads while this G runs (in `side`).
    var stackRecord: UnsafeMutablePointer<gb_stack_record> { @inline(__always) get { gb_goroutine_record(side) } }
    /// The M this G runs on (while running or in a syscall).
    unowned(unsafe) var m: Machine?
    /// LockOSThread: the M this G is locked to (see lockedExternal/lockedInternal).
    unowned(unsafe) var lockedM: Machine?
    /// Pending runtime defers, run last-in first-out by a normal return, Goexit or panic.
    /// Kept as GoroutineEntry values: a closure stored in a struct keeps its own layout,
    /// where an array of bare closures would wrap each in a reabstraction thunk (an
    /// allocation per defer).
    var defers: [GoroutineEntry] = []
    /// The closure contexts of the defers running now, one per runDefers frame (a Goexit
    /// inside a running defer nests a second): a Goexit abandons those frames, which own
    /// the running defers, so exitGoroutine0 releases what is left here.
    var runningDeferContexts: [UnsafeRawPointer] = []
    /// True until the G's context is made for its current body (at its first run); set
    /// again by exit.
    var needsContext = true
    /// A runtime goroutine (the scavenger): not counted by NumGoroutine. Set by its spawn,
    /// reset by exit.
    var isSystem = false
    /// The scavenger's mark (Scavenger.swift, "Parked stacks"). Written with the scan bit
    /// held; execute reads it (a plain load on the hot path) and restores a compacted
    /// stack before the G runs.
    var parkedStackState: ParkedStackState = .none
    /// Set by the goroutine that switched straight to this one holding sched.lock
    /// (goschedSwitch): this G releases the lock as it resumes (resumeAfterSwitch).
    var unlockSchedOnResume = false
    /// Is this the main goroutine.
    var isMain = false
    var waitReason: WaitReason = .none
    /// When a goroutine parked in `Runtime.sleep` is due (gb_nanotime); written by the
    /// goroutine before it parks, read by the stack pacer (Scavenger.swift), which leaves a
    /// sleeper that is due soon alone.
    var sleepUntil: Int64 = 0
    var stack: Stack?
    /// The stack size asked for at spawn (0: the standard size); set by a spawn that asks
    /// for another size, reset to 0 by exit.
    var requestedStackBytes = 0
    /// The memory node of this G's object, asked of the kernel when it is allocated with
    /// the placement binding Ms to nodes (-1 otherwise): free Gs stay in the caches of Ps
    /// on that node (Scheduler.freePut/freeGet).
    var homeNode: Int32 = -1
    // -- Touched by some runs only.
    /// Intrusive link for the queues of goroutines parked on a Mutex or a WaitGroup
    /// (Sync.swift; the run queues and free lists hold words, see WordRing.swift).
    unowned(unsafe) var schedLink: Goroutine?
    /// LockOSThread's two counters (Go's lockedExt, lockedInt); non-zero only with lockedM.
    var lockedExternal: UInt32 = 0
    var lockedInternal: UInt32 = 0
    /// GoMutex's semaphore (Sync.swift): set by the releaser that hands this waiting G the
    /// mutex directly (starvation mode), read by the G when it wakes.
    var parkingSuccess = false
    /// Never freed by the scavenger (the main goroutine: Runtime.run holds a reference
    /// to it while m0 schedules, released only at shutdown).
    var pinned = false
    var panicking = false
    /// The panics raised by this goroutine, oldest first (Go's _panic chain; printed by
    /// panicChainText). A panic ends the process, so nothing resets it.
    var panics: [PanicRecord] = []
    /// The waiter used for single-channel operations (select uses its own).
    let waiter: Waiter
    /// Set by whoever wakes a G from select or a channel: the waiter that fired.
    unowned(unsafe) var wokenBy: Waiter?
    /// This G's index in Scheduler.allGoroutines (under allGLock), so that the scavenger
    /// can take it out when it frees the G.
    var allIndex = -1
    /// While compacted: the record holding the stack's live bytes.
    var compactedStack: UnsafeMutablePointer<CompactedStack>?

    /// Set by sysmon or stop-the-world (other threads): yield at the next preemption
    /// point. A relaxed atomic word: a late or spurious request only costs a yield.
    var preempt: Bool {
        @inline(__always) get { gb_load_relaxed_u32(&side.pointee.preempt) != 0 }
        @inline(__always) set { gb_store_relaxed_u32(&side.pointee.preempt, newValue ? 1 : 0) }
    }

    init() {
        side = UnsafeMutableRawPointer.allocate(byteCount: MemoryLayout<gb_goroutine_side>.size, alignment: 64)
            .bindMemory(to: gb_goroutine_side.self, capacity: 1)
        side.initialize(to: gb_goroutine_side())
        waiter = Waiter()
        waiter.g = self
        makeImmortal(self)
        makeImmortal(waiter)
    }

    /// Only the scavenger frees a G (Scavenger.swift, "Free goroutines"): dead, detached
    /// from every list, after a grace period. Its side block goes with it.
    deinit {
        gb_context_release(context)
        side.deinitialize(count: 1)
        UnsafeMutableRawPointer(side).deallocate()
        if let c = compactedStack { c.deallocateRecord() }
    }

    var status: GoroutineStatus {
        GoroutineStatus(rawValue: statusWord.load(ordering: .acquiring) & ~GoroutineStatus.scanBit)!
    }

    /// A strong compare-and-exchange of the status (acquire-release; acquire on failure).
    @inline(__always)
    func casStatusWord(_ expected: UInt32, _ desired: UInt32) -> Bool {
        statusWord.compareExchange(expected: expected, desired: desired,
                                   successOrdering: .acquiringAndReleasing,
                                   failureOrdering: .acquiring).exchanged
    }

    /// Moves the status from `old` to `new`, waiting out a concurrent transition (Go's
    /// casgstatus). A transition from a state the G is not in is a runtime bug.
    @inline(__always)
    func casStatus(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        if casStatusWord(old.rawValue, new.rawValue) { return }
        casStatusSlow(old, new)
    }

    /// While the scavenger holds the scan bit (`old` plus the bit) this waits as long as
    /// it takes, as Go's casgstatus does: the scavenger holds it for one stack copy and one
    /// madvise, but its thread may lose the CPU meanwhile, so past a short spin it yields.
    @inline(never)
    func casStatusSlow(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        var spins = 0
        var scanWaits = 0
        while !casStatusWord(old.rawValue, new.rawValue) {
            if statusWord.load(ordering: .relaxed) == old.rawValue | GoroutineStatus.scanBit {
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

    func setStatus(_ s: GoroutineStatus) { statusWord.store(s.rawValue, ordering: .releasing) }

    /// The scavenger's side of the scan bit: takes a waiting G (one attempt; false when the
    /// G is not waiting or is taken already). Until releaseScan the G cannot become
    /// runnable, and its context is saved: the status turns to waiting on g0, after the
    /// switch away from the G (finishSwitch), so waiting implies a stack at rest.
    func tryAcquireScan() -> Bool {
        let waiting = GoroutineStatus.waiting.rawValue
        return statusWord.load(ordering: .relaxed) == waiting
            && casStatusWord(waiting, waiting | GoroutineStatus.scanBit)
    }

    /// Ends the scan: back to waiting. A release store: what the scavenger wrote (the
    /// compacted record) is seen by whoever readies the G next, through its CAS.
    func releaseScan() {
        statusWord.store(GoroutineStatus.waiting.rawValue, ordering: .releasing)
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

/// A goroutine's body. A struct around the closure, not the closure itself: a struct is
/// never reabstracted, so its bytes can be read in place (`context(of:)`) where a bare
/// closure passed to anything generic is first wrapped in thunks (three allocations).
struct GoroutineEntry {
    let run: () -> Void

    /// The context object of the body in `slot` (what the closure captured), or nil when
    /// it captured nothing or the slot is empty. A Swift closure value is two words, the
    /// function and its reference-counted context (the thick function layout); this reads
    /// the second in place, without a retain. GoroutineEntryTests checks the layout: a
    /// goroutine that Goexit ends releases its body's captures through it.
    @inline(__always)
    static func context(of slot: inout GoroutineEntry?) -> UnsafeRawPointer? {
        withUnsafeBytes(of: &slot) { $0.load(fromByteOffset: MemoryLayout<UInt>.size, as: UnsafeRawPointer?.self) }
    }
}

/// A goroutine waiting on a channel or in select (Go's sudog).
final class Waiter: @unchecked Sendable {
    /// The waiting goroutine, unmanaged (a channel hand-off borrows it: no retain).
    var gRef: Unmanaged<Goroutine>?
    var g: Goroutine! {
        @inline(__always) get { gRef?.takeUnretainedValue() }
        @inline(__always) set { gRef = newValue.map { Unmanaged.passUnretained($0) } }
    }
    /// Where the value comes from (send) or goes to (receive); nil for a receive that
    /// discards the value.
    var element: UnsafeMutableRawPointer?
    /// Links in a channel's wait queue. Unowned: a queued waiter is kept alive by its
    /// goroutine (its own waiter) or by the select frame that queued it, until dequeued.
    unowned(unsafe) var next: Waiter?
    unowned(unsafe) var prev: Waiter?
    /// The channel this waiter is queued on.
    unowned(unsafe) var channel: AnyObject?
    /// For select: the case index; -1 for a plain operation.
    var caseIndex = -1
    /// For select: shared word, 0 until one case fires (Go's selectDone).
    var selectDone: UnsafeMutablePointer<UInt32>?
    /// True when the operation completed by a partner; false when woken by close.
    var success = false
    /// select (Select.swift): the next waiter of this G's chain, which its channel
    /// waiter heads; a heap slot for the case's element; on the head, the done word.
    var spare: Waiter?
    var scratch: UnsafeMutableRawPointer?
    var scratchBytes = 0
    var scratchAlignment = 0
    var selectDoneWord: UnsafeMutablePointer<UInt32>?

    init() {}

    deinit {
        scratch?.deallocate()
        selectDoneWord?.deallocate()
    }
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
