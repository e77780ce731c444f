// Goroutine (G): a function with its own stack, its state, and what the scheduler and the
// synchronisation primitives hang on it.
import CRuntime

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

    var status: GoroutineStatus {
        GoroutineStatus(rawValue: gb_load_acquire_u32(statusWord))!
    }

    /// Moves the status from `old` to `new`, waiting out a concurrent transition (Go's
    /// casgstatus). A transition from a state the G is not in is a runtime bug.
    @inline(__always)
    func casStatus(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        if gb_cas_u32(statusWord, old.rawValue, new.rawValue) { return }
        casStatusSlow(old, new)
    }

    @inline(never)
    func casStatusSlow(_ old: GoroutineStatus, _ new: GoroutineStatus) {
        var spins = 0
        while !gb_cas_u32(statusWord, old.rawValue, new.rawValue) {
            spins += 1
            if spins > 10_000_000 {
                fatal("casgstatus: goroutine \(id) bad transition \(status) (expected \(old)) -> \(new)")
            }
            gb_cpu_relax(1)
        }
    }

    func setStatus(_ s: GoroutineStatus) { gb_store_release_u32(statusWord, s.rawValue) }

    /// The address of this G as a machine word, for the run queue's atomic slots. Gs are
    /// never deallocated (Scheduler.allGoroutines keeps them), so the word stays valid.
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
