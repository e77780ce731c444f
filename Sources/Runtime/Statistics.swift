// Runtime statistics: counters for everything the workloads exist to measure.
import CRuntime

/// A counter shared by all threads.
public final class Counter: @unchecked Sendable {
    let word: UnsafeMutablePointer<UInt64>
    init() { word = .allocate(capacity: 1); word.initialize(to: 0) }
    @inline(__always) func add(_ n: UInt64) { _ = gb_add_relaxed_u64(word, n) }
    public var value: UInt64 { gb_load_relaxed_u64(word) }
    func reset() { gb_store_relaxed_u64(word, 0) }
}

/// Process-wide counters (the per-P ones are summed in `Runtime.statistics()`).
final class Statistics: @unchecked Sendable {
    static let shared = Statistics()
    let threadsCreated = Counter()
    let threadsExited = Counter()
    let threadsParked = Counter()
    let handoffs = Counter()
    let retakes = Counter()
    let preemptionRequests = Counter()
    let lockedHandoffs = Counter()
    let syscallSlowExits = Counter()
    let scavengerRuns = Counter()
    let scavengedBytes = Counter()
    let scavengerNanoseconds = Counter()
    let stopTheWorlds = Counter()
    let remoteWakeups = Counter()
    /// Parked stacks compacted by the scavenger, the live bytes it kept of them, and the
    /// resident bytes their pages held (given back).
    let stacksCompacted = Counter()
    let compactedStackBytes = Counter()
    let compactionReleasedBytes = Counter()
    /// Compacted stacks copied back when their goroutine ran again.
    let stacksRestored = Counter()
    /// Free goroutines (G objects) the scavenger gave back to the allocator.
    let goroutinesFreed = Counter()
    /// Ms that went to sleep without a P: stopM (idle M) and stopLockedM (an M whose
    /// locked goroutine waits). Slow paths (they take sched.lock), so an atomic is fine.
    let machineParks = Counter()
    /// Sleeping Ms woken to run: an idle M handed a P by startM (wakep, handoffp,
    /// startTheWorld) and a locked M handed its G's P by startLockedM.
    let machineWakeups = Counter()
    /// Goroutine wake-ups made where no P was at hand (the timer waiter, sysmon): the G
    /// goes to the global queue under sched.lock. The rest are counted per P.
    let readiesWithoutProcessor = Counter()
    /// Forced preemptions: goroutines whose thread gave its P up in the preemption signal's
    /// handler (Preemption.swift).
    let asyncPreemptions = Counter()
    /// Ps released by the handler while their thread was blocked in the kernel without a
    /// Runtime.syscall (untracked blocking).
    let untrackedBlockingHandoffs = Counter()
    /// Preemption signals sysmon sent (forced preemptions and blocking checks).
    let preemptionSignals = Counter()

    func reset() {
        for c in [threadsCreated, threadsExited, threadsParked, handoffs, retakes,
                  preemptionRequests, lockedHandoffs, syscallSlowExits, scavengerRuns,
                  scavengedBytes, scavengerNanoseconds, stopTheWorlds, remoteWakeups,
                  stacksCompacted, compactedStackBytes, compactionReleasedBytes, stacksRestored,
                  goroutinesFreed, machineParks, machineWakeups, readiesWithoutProcessor,
                  asyncPreemptions, untrackedBlockingHandoffs, preemptionSignals] { c.reset() }
    }
}

/// One P's counters (`RuntimeStatistics.processors`), read while the runtime runs.
public struct ProcessorStatisticsSnapshot: Sendable, Equatable {
    /// The P's id (0 ..< GOMAXPROCS).
    public var id: Int = 0
    public var goroutinesSpawned: UInt64 = 0
    /// Goroutines started running on this P (context switches).
    public var schedules: UInt64 = 0
    /// runqsteal calls on a victim that looked non-empty (tried).
    public var stealAttempts: UInt64 = 0
    /// Steals that took at least one G (succeeded).
    public var steals: UInt64 = 0
    /// Gs moved to this P by its steals.
    public var stolenGoroutines: UInt64 = 0
    public var remoteSteals: UInt64 = 0
    public var remoteRuns: UInt64 = 0
    /// Overflows of this P's local queue (each moves half of it to the global queue).
    public var globalOverflows: UInt64 = 0
    /// Gs this P took from the global queue.
    public var globalQueueGets: UInt64 = 0
    /// Times an M started spinning with this P.
    public var spinningStarts: UInt64 = 0
    /// Goroutines that parked while running on this P.
    public var goroutineParks: UInt64 = 0
    /// Parked goroutines made runnable by code running on this P.
    public var goroutineReadies: UInt64 = 0
    public var preemptionsHonoured: UInt64 = 0
    public var syscalls: UInt64 = 0
    public var syscallFastExits: UInt64 = 0
    public var freeListReuses: UInt64 = 0
    /// Gs in the local queue when read (ring plus runnext; approximate while running).
    public var runQueueLength: Int = 0

    init(id: Int, _ st: ProcessorStatistics, runQueueLength: Int) {
        self.id = id
        goroutinesSpawned = st.spawned
        schedules = st.schedules
        stealAttempts = st.stealAttempts
        steals = st.steals
        stolenGoroutines = st.stolenGoroutines
        remoteSteals = st.remoteSteals
        remoteRuns = st.remoteRuns
        globalOverflows = st.globalOverflows
        globalQueueGets = st.globalQueueGets
        spinningStarts = st.spinningStarts
        goroutineParks = st.goroutineParks
        goroutineReadies = st.goroutineReadies
        preemptionsHonoured = st.preemptionsHonoured
        syscalls = st.syscalls
        syscallFastExits = st.syscallFastExits
        freeListReuses = st.freeListReuses
        self.runQueueLength = runQueueLength
    }

    public init() {}
}

/// A snapshot of the runtime's statistics, readable while the runtime runs (from a
/// goroutine or any other thread: `Runtime.statistics()` takes no lock).
///
/// The totals include the Ps that GOMAXPROCS removed; `processors` lists the current Ps
/// only. So while GOMAXPROCS never shrank, every per-P counter sums over `processors` to
/// its total, except `goroutineReadies`, whose total also counts the wake-ups made
/// without a P (the timer waiter's).
public struct RuntimeStatistics: Sendable, Equatable {
    /// Goroutines created (`go` statements, the runtime's own included).
    public var goroutinesSpawned: UInt64 = 0
    /// Goroutines started running on a P: context switches (Go's schedtick).
    public var schedules: UInt64 = 0
    /// Steals that took at least one G (succeeded).
    public var steals: UInt64 = 0
    /// runqsteal calls on a victim whose queue looked non-empty (tried; >= steals).
    public var stealAttempts: UInt64 = 0
    /// Gs moved by successful steals (>= steals: a steal takes half of the victim's queue).
    public var stolenGoroutines: UInt64 = 0
    public var remoteSteals: UInt64 = 0
    public var remoteRuns: UInt64 = 0
    public var globalOverflows: UInt64 = 0
    /// Gs put on the global run queue: local-queue overflows, Gosched and preemption,
    /// wake-ups without a P, system-call exits without a P, queues of Ps removed by
    /// GOMAXPROCS, and Gs put back at its head by a direct Gosched.
    public var globalQueuePuts: UInt64 = 0
    /// Gs taken from the global run queue (one to run plus a batch for the local queue).
    /// Once the queue is empty, equal to `globalQueuePuts`.
    public var globalQueueGets: UInt64 = 0
    /// Times an M started spinning (looking for work to steal).
    public var spinningStarts: UInt64 = 0
    /// Ms spinning when the snapshot was taken (the scheduler's spinning count).
    public var spinningMachines: Int = 0
    /// Goroutine parks: channel, select, mutex, WaitGroup, sleep, the scavenger's wait.
    public var goroutineParks: UInt64 = 0
    /// Wake-ups of parked goroutines (goready).
    public var goroutineReadies: UInt64 = 0
    /// Ms that went to sleep without a P (stopM, stopLockedM).
    public var machineParks: UInt64 = 0
    /// Sleeping Ms woken to run (startM for wakep, handoffp and startTheWorld;
    /// startLockedM). Thread creations are `threadsCreated`, not wake-ups.
    public var machineWakeups: UInt64 = 0
    public var freeListReuses: UInt64 = 0
    public var syscalls: UInt64 = 0
    public var syscallFastExits: UInt64 = 0
    public var syscallSlowExits: UInt64 = 0
    public var handoffs: UInt64 = 0
    public var retakes: UInt64 = 0
    public var preemptionRequests: UInt64 = 0
    public var preemptionsHonoured: UInt64 = 0
    public var lockedHandoffs: UInt64 = 0
    /// Ms created (m0 not counted; sysmon's is).
    public var threadsCreated: UInt64 = 0
    public var threadsExited: UInt64 = 0
    /// Ms that left a system call with no P to take and parked (Go's exitsyscall0).
    public var threadsParked: UInt64 = 0
    public var scavengerRuns: UInt64 = 0
    public var scavengedBytes: UInt64 = 0
    public var scavengerNanoseconds: UInt64 = 0
    public var stopTheWorlds: UInt64 = 0
    public var remoteWakeups: UInt64 = 0
    /// Parked stacks the scavenger compacted (Scavenger.swift, "Parked stacks").
    public var stacksCompacted: UInt64 = 0
    /// The live bytes it kept of them (the rest of each stack went back to the OS).
    public var compactedStackBytes: UInt64 = 0
    /// Resident bytes the compacted stacks held before (also in scavengedBytes).
    public var compactionReleasedBytes: UInt64 = 0
    /// Compacted stacks restored when their goroutine ran again.
    public var stacksRestored: UInt64 = 0
    /// Free goroutines the scavenger freed (Scavenger.swift, "Free goroutines").
    public var goroutinesFreed: UInt64 = 0
    /// Forced preemptions (Preemption.swift): goroutines that ran 10 ms without a runtime
    /// call and whose thread gave its P up in the preemption signal's handler.
    public var asyncPreemptions: UInt64 = 0
    /// Ps handed off because their thread blocked in the kernel without Runtime.syscall.
    public var untrackedBlockingHandoffs: UInt64 = 0
    /// Preemption signals sysmon sent.
    public var preemptionSignals: UInt64 = 0
    /// Signals the handler refused, by reason: inside the runtime, inside a signal
    /// handler, off the goroutine's stack, in a shared library, stale (per process, not
    /// reset by Runtime.run).
    public var asyncPreemptRefusalsInRuntime: UInt64 = 0
    public var asyncPreemptRefusalsInSignalHandler: UInt64 = 0
    public var asyncPreemptRefusalsOffStack: UInt64 = 0
    public var asyncPreemptRefusalsInLibrary: UInt64 = 0
    public var asyncPreemptRefusalsStale: UInt64 = 0
    /// The current Ps' own counters, by P id.
    public var processors: [ProcessorStatisticsSnapshot] = []

    public init() {}

    /// Name/value pairs for the result rows (names of docs/PROTOCOL.md). Ms created are
    /// the row `threads_created` that the workloads add (m0 included).
    public var metrics: [(String, UInt64)] {
        [("steals", steals), ("remote_steals", remoteSteals), ("remote_runs", remoteRuns),
         ("handoffs", handoffs), ("retakes", retakes), ("preemptions", preemptionsHonoured),
         ("preemption_requests", preemptionRequests), ("async_preemptions", asyncPreemptions),
         ("syscalls", syscalls),
         ("syscall_fast_exits", syscallFastExits), ("syscall_slow_exits", syscallSlowExits),
         ("locked_handoffs", lockedHandoffs), ("threads_parked", threadsParked),
         ("scavenger_runs", scavengerRuns), ("scavenged_bytes", scavengedBytes),
         ("global_overflows", globalOverflows), ("free_list_reuses", freeListReuses),
         ("stop_the_worlds", stopTheWorlds), ("remote_wakeups", remoteWakeups),
         ("stacks_compacted", stacksCompacted), ("compacted_stack_bytes", compactedStackBytes),
         ("stacks_restored", stacksRestored), ("goroutines_freed", goroutinesFreed),
         ("goroutines_spawned", goroutinesSpawned), ("schedules", schedules),
         ("steal_attempts", stealAttempts), ("stolen_goroutines", stolenGoroutines),
         ("global_queue_puts", globalQueuePuts), ("global_queue_gets", globalQueueGets),
         ("spinning_starts", spinningStarts), ("goroutine_parks", goroutineParks),
         ("goroutine_readies", goroutineReadies), ("machine_parks", machineParks),
         ("machine_wakeups", machineWakeups)]
    }
}
