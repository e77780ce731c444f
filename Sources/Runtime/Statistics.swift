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

    func reset() {
        for c in [threadsCreated, threadsExited, threadsParked, handoffs, retakes,
                  preemptionRequests, lockedHandoffs, syscallSlowExits, scavengerRuns,
                  scavengedBytes, scavengerNanoseconds, stopTheWorlds, remoteWakeups,
                  stacksCompacted, compactedStackBytes, compactionReleasedBytes, stacksRestored,
                  goroutinesFreed] { c.reset() }
    }
}

/// A snapshot of the runtime's statistics.
public struct RuntimeStatistics: Sendable, Equatable {
    public var goroutinesSpawned: UInt64 = 0
    public var schedules: UInt64 = 0
    public var steals: UInt64 = 0
    public var remoteSteals: UInt64 = 0
    public var remoteRuns: UInt64 = 0
    public var globalOverflows: UInt64 = 0
    public var freeListReuses: UInt64 = 0
    public var syscalls: UInt64 = 0
    public var syscallFastExits: UInt64 = 0
    public var syscallSlowExits: UInt64 = 0
    public var handoffs: UInt64 = 0
    public var retakes: UInt64 = 0
    public var preemptionRequests: UInt64 = 0
    public var preemptionsHonoured: UInt64 = 0
    public var lockedHandoffs: UInt64 = 0
    public var threadsCreated: UInt64 = 0
    public var threadsExited: UInt64 = 0
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

    /// Name/value pairs for the result rows (names of docs/PROTOCOL.md).
    public var metrics: [(String, UInt64)] {
        [("steals", steals), ("remote_steals", remoteSteals), ("remote_runs", remoteRuns),
         ("handoffs", handoffs), ("retakes", retakes), ("preemptions", preemptionsHonoured),
         ("preemption_requests", preemptionRequests), ("syscalls", syscalls),
         ("syscall_fast_exits", syscallFastExits), ("syscall_slow_exits", syscallSlowExits),
         ("locked_handoffs", lockedHandoffs), ("threads_parked", threadsParked),
         ("scavenger_runs", scavengerRuns), ("scavenged_bytes", scavengedBytes),
         ("global_overflows", globalOverflows), ("free_list_reuses", freeListReuses),
         ("stop_the_worlds", stopTheWorlds), ("remote_wakeups", remoteWakeups),
         ("stacks_compacted", stacksCompacted), ("compacted_stack_bytes", compactedStackBytes),
         ("stacks_restored", stacksRestored), ("goroutines_freed", goroutinesFreed)]
    }
}
