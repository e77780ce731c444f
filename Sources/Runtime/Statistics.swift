// Runtime statistics: counters for everything the workloads exist to measure.
//
// Every counter is declared once, as one case of `ProcessorCounter` (kept per P, without
// atomics) or `GlobalCounter` (one process-wide atomic word). The case drives everything
// else: the per-P storage and its sum (`ProcessorStatistics`), the snapshot
// (`RuntimeStatistics` and `ProcessorStatisticsSnapshot`, read by subscript), the metric
// name and unit of the result rows (`RuntimeStatistics.metrics`), and the reset at
// `Runtime.run`. Adding a counter is adding a case (and the code that bumps it).
import CRuntime

/// What a counter counts in, from the end of its case name: `...Bytes` bytes,
/// `...Nanoseconds` nanoseconds, anything else events.
public enum CounterUnit: String, Sendable {
    case count, bytes, ns
}

/// The metric name (the case name in snake case: `goroutinesSpawned` is
/// `goroutines_spawned`) and unit of a counter, derived from its case name.
public protocol RuntimeCounter: CaseIterable, RawRepresentable, Sendable where RawValue == Int, AllCases == [Self] {}

extension RuntimeCounter {
    public var metricName: String {
        var out = ""
        for ch in String(describing: self) {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
    public var unit: CounterUnit {
        let name = String(describing: self)
        return name.hasSuffix("Bytes") ? .bytes : name.hasSuffix("Nanoseconds") ? .ns : .count
    }
}

/// Counters kept per P (`Processor.stats`): bumped on the hot paths (spawn, schedule, park,
/// steal) by the P's owner with a plain add on the P's own memory. A P's totals are in
/// `RuntimeStatistics.processors`; the runtime's totals add the Ps GOMAXPROCS removed.
public enum ProcessorCounter: Int, RuntimeCounter {
    /// Goroutines created (`go` statements, the runtime's own included; Go's newproc).
    case goroutinesSpawned
    /// Goroutines started running on a P: context switches (Go's schedtick, counted also
    /// where the time slice is inherited).
    case schedules
    /// runqsteal calls on a victim whose queue looked non-empty (tried; >= steals).
    case stealAttempts
    /// Steals that took at least one G (succeeded).
    case steals
    /// Gs moved by successful steals (>= steals: a steal takes half of the victim's queue).
    case stolenGoroutines
    /// Steals from a P on another NUMA node.
    case remoteSteals
    /// Goroutines run on a P of another node than the one that spawned them.
    case remoteRuns
    /// Local-queue overflows (each moves half of the queue to the global queue).
    case globalOverflows
    /// Gs taken from the global run queue (one to run plus a batch for the local queue).
    /// Once the queue is empty, equal to `GlobalCounter.globalQueuePuts`.
    case globalQueueGets
    /// Times an M started spinning (looking for work to steal).
    case spinningStarts
    /// Goroutine parks: channel, select, mutex, WaitGroup, sleep, the scavenger's wait.
    case goroutineParks
    /// Wake-ups of parked goroutines made on a P (goready). `RuntimeStatistics` adds
    /// `GlobalCounter.readiesWithoutProcessor` to the total.
    case goroutineReadies
    /// Preemption requests honoured (the goroutine yielded).
    case preemptions
    /// System calls entered (Go's entersyscall).
    case syscalls
    /// System calls left with the P still there (exitsyscallfast).
    case syscallFastExits
    /// Spawns that reused a dead G from the P's free list.
    case freeListReuses
}

/// Process-wide counters: slow paths (sysmon, the scavenger, M sleep and wake-up, thread
/// creation), one relaxed atomic word each.
public enum GlobalCounter: Int, RuntimeCounter {
    /// Ms created (m0 not counted; sysmon's is). The `threads_created` row of the
    /// workloads adds m0.
    case machinesCreated
    case threadsExited
    /// Ms that left a system call with no P to take and parked (Go's exitsyscall0).
    case threadsParked
    /// Ps handed to another M (handoffp) by a system call or sysmon.
    case handoffs
    /// Ps taken back from an M in a system call by sysmon.
    case retakes
    /// Preemption requests made by sysmon.
    case preemptionRequests
    /// A P handed to the M of a locked goroutine (startLockedM).
    case lockedHandoffs
    /// System calls left without the P (exitsyscall's slow path).
    case syscallSlowExits
    /// Gs put on the global run queue: local-queue overflows, Gosched and preemption,
    /// wake-ups without a P, system-call exits without a P, queues of Ps removed by
    /// GOMAXPROCS, and Gs put back at its head by a direct Gosched. Written under
    /// sched.lock (`Statistics.addLocked`).
    case globalQueuePuts
    case scavengerRuns
    /// Bytes given back to the OS by the scavenger.
    case scavengedBytes
    /// Time the scavenger's passes took.
    case scavengerNanoseconds
    case stopTheWorlds
    /// Wake-ups of an M on another NUMA node.
    case remoteWakeups
    /// Parked stacks the scavenger compacted (Scavenger.swift, "Parked stacks").
    case stacksCompacted
    /// The live bytes it kept of them (the rest of each stack went back to the OS).
    case compactedStackBytes
    /// Resident bytes the compacted stacks held before (also in scavengedBytes).
    case compactionReleasedBytes
    /// Compacted stacks copied back when their goroutine ran again.
    case stacksRestored
    /// Passes of the stack pacer (Scavenger.swift, "The stack pacer"), each on sysmon's
    /// thread; their compactions are in stacksCompacted.
    case stackPacerPasses
    /// Free goroutines (G objects) the scavenger gave back to the allocator
    /// (Scavenger.swift, "Free goroutines").
    case goroutinesFreed
    /// Ms that went to sleep without a P: stopM (idle M) and stopLockedM (an M whose
    /// locked goroutine waits).
    case machineParks
    /// Sleeping Ms woken to run: an idle M handed a P by startM (wakep, handoffp,
    /// startTheWorld) and a locked M handed its G's P by startLockedM. Thread creations
    /// are `machinesCreated`, not wake-ups.
    case machineWakeups
    /// Goroutine wake-ups made where no P was at hand (the timer waiter, sysmon): the G
    /// goes to the global queue under sched.lock.
    case readiesWithoutProcessor
    /// Goroutines preempted by signal (Preemption.swift): the thread gave its P up.
    case asyncPreemptions
    /// Ps handed off from a thread blocked in the kernel outside Runtime.syscall
    /// (Preemption.swift, "Untracked blocking").
    case untrackedBlockingHandoffs
    /// Preemption signals sysmon sent.
    case preemptionSignals
    /// Signals the handler refused, by reason (Preemption.swift): inside the runtime,
    /// inside a signal handler, off the goroutine's stack, outside the program's Swift code
    /// (a library, C code: `InLibrary`), stale.
    /// The handler counts them in C (`gb_preempt_refusals`, where a signal handler may
    /// count), which `Runtime.statistics()` adds here; both are reset at `Runtime.run`.
    case asyncPreemptRefusalsInRuntime
    case asyncPreemptRefusalsInSignalHandler
    case asyncPreemptRefusalsOffStack
    case asyncPreemptRefusalsInLibrary
    case asyncPreemptRefusalsStale
    /// Takes of sched.lock that found it held (RuntimeLock's slow path: spin, yield, sleep):
    /// the global run queue, the idle P and M lists, hand-offs, stop-the-world.
    case schedLockContentions
    /// Takes of a P's timer-heap lock that found it held: its owner adding or running
    /// timers against another P running them from a failed steal, the timer waiter or sysmon.
    case timerLockContentions
}

/// The process-wide counters, one word each, a cache line apart (no false sharing
/// between counters bumped by different threads).
final class Statistics: @unchecked Sendable {
    static let shared = Statistics()
    private static let stride = 8
    private let words: UnsafeMutablePointer<UInt64>

    private init() {
        let n = GlobalCounter.allCases.count * Self.stride
        words = .allocate(capacity: n)
        words.initialize(repeating: 0, count: n)
    }

    @inline(__always) func add(_ c: GlobalCounter, _ n: UInt64 = 1) {
        _ = gb_add_relaxed_u64(words + c.rawValue * Self.stride, n)
    }
    /// A counter only written under one lock: a relaxed load and store, no atomic add.
    @inline(__always) func addLocked(_ c: GlobalCounter, _ n: UInt64 = 1) {
        let w = words + c.rawValue * Self.stride
        gb_store_relaxed_u64(w, gb_load_relaxed_u64(w) &+ n)
    }
    subscript(_ c: GlobalCounter) -> UInt64 { gb_load_relaxed_u64(words + c.rawValue * Self.stride) }

    func reset() {
        for c in GlobalCounter.allCases { gb_store_relaxed_u64(words + c.rawValue * Self.stride, 0) }
    }
}

/// One P's counters, without atomics (only the P's owner writes them), stored inline in
/// the Processor: a bump is one add at a fixed offset of the P.
///
/// Readable while the runtime runs: `Runtime.statistics()` copies them from any thread
/// without a lock or an atomic. That is a relaxed read of each word (aligned 64-bit loads
/// and stores do not tear on the platforms supported): a reader may see a counter a few
/// increments behind, never a torn or invented value. The P's owner is the only writer
/// (an idle P's counters are written only under sched.lock, by whoever hands the P on).
struct ProcessorStatistics {
    /// Room for the counters: a literal (InlineArray's count is a generic argument), with
    /// space to spare so that a new case needs no other change; `init` checks it.
    private var values = InlineArray<32, UInt64>(repeating: 0)

    init() { precondition(ProcessorCounter.allCases.count <= values.count, "ProcessorStatistics: too many counters") }

    subscript(_ c: ProcessorCounter) -> UInt64 {
        @inline(__always) get { values[c.rawValue] }
        @inline(__always) set { values[c.rawValue] = newValue }
    }

    mutating func add(_ o: ProcessorStatistics) {
        for c in ProcessorCounter.allCases { self[c] &+= o[c] }
    }

    var snapshot: [UInt64] { ProcessorCounter.allCases.map { self[$0] } }
}

/// One P's counters (`RuntimeStatistics.processors`), read while the runtime runs.
public struct ProcessorStatisticsSnapshot: Sendable, Equatable {
    /// The P's id (0 ..< GOMAXPROCS).
    public var id: Int = 0
    /// Gs in the local queue when read (ring plus runnext; approximate while running).
    public var runQueueLength: Int = 0
    var values = [UInt64](repeating: 0, count: ProcessorCounter.allCases.count)

    init(id: Int, _ st: ProcessorStatistics, runQueueLength: Int) {
        self.id = id
        values = st.snapshot
        self.runQueueLength = runQueueLength
    }

    public init() {}

    public subscript(_ c: ProcessorCounter) -> UInt64 { values[c.rawValue] }
}

/// A snapshot of the runtime's statistics, readable while the runtime runs (from a
/// goroutine or any other thread: `Runtime.statistics()` takes no lock). Read a counter
/// with its case: `Runtime.statistics()[.steals]`.
///
/// The totals include the Ps that GOMAXPROCS removed; `processors` lists the current Ps
/// only. So while GOMAXPROCS never shrank, every per-P counter sums over `processors` to
/// its total, except `goroutineReadies`, whose total also counts the wake-ups made
/// without a P (`readiesWithoutProcessor`).
public struct RuntimeStatistics: Sendable, Equatable {
    var processorTotals = [UInt64](repeating: 0, count: ProcessorCounter.allCases.count)
    var globals = [UInt64](repeating: 0, count: GlobalCounter.allCases.count)
    /// Ms spinning when the snapshot was taken (the scheduler's spinning count).
    public var spinningMachines: Int = 0
    /// The current Ps' own counters, by P id.
    public var processors: [ProcessorStatisticsSnapshot] = []

    public init() {}

    public subscript(_ c: ProcessorCounter) -> UInt64 { processorTotals[c.rawValue] }
    public subscript(_ c: GlobalCounter) -> UInt64 { globals[c.rawValue] }

    /// One metric per counter, for the result rows (names of docs/PROTOCOL.md).
    public var metrics: [(name: String, value: UInt64, unit: CounterUnit)] {
        ProcessorCounter.allCases.map { ($0.metricName, self[$0], $0.unit) }
            + GlobalCounter.allCases.map { ($0.metricName, self[$0], $0.unit) }
    }
}
