// Processor (P): the right to run goroutines, with its local run queue, free-G list,
// stack cache and id cache. GOMAXPROCS is the number of Ps.
import CRuntime

/// A P's state; each case says who owns the P in it.
enum ProcessorStatus: UInt32 {
    /// On the idle list; owned by the scheduler (sched.lock).
    case idle = 0
    /// Held by an M running goroutines or the scheduler; owned by that M.
    case running = 1
    /// Its M is in a system call; sysmon or the returning M may take it (CAS).
    case syscall = 2
    /// Stopped for stop-the-world; owned by the M that stops the world.
    case stopped = 3
    /// Removed by GOMAXPROCS; never used again.
    case dead = 4
}

final class Processor: @unchecked Sendable {
    let id: Int
    let statusWord: UnsafeMutablePointer<UInt32>
    let runQueue: RunQueue
    /// Its sleeping goroutines' timers (Timers.swift).
    let timers = TimerHeap()
    /// The M holding this P (nil when idle).
    unowned(unsafe) var m: Machine?
    /// Link on the idle-P list.
    unowned(unsafe) var link: Processor?
    /// Incremented at every schedule (Go's schedtick): the 61-tick global check uses it,
    /// and sysmon reads it from its own thread (relaxed atomics).
    let scheduleTickWord: UnsafeMutablePointer<UInt32>
    var scheduleTick: UInt32 {
        @inline(__always) get { gb_load_relaxed_u32(scheduleTickWord) }
        @inline(__always) set { gb_store_relaxed_u32(scheduleTickWord, newValue) }
    }
    /// The G running on this P (its word, 0: none), for sysmon and stop-the-world to ask
    /// it to yield without reading the owner's fields.
    let runningWord: UnsafeMutablePointer<UInt>
    /// The M running `runningWord`'s G (its word), for sysmon's forced preemption.
    let runningMachineWord: UnsafeMutablePointer<UInt> = {
        let p = UnsafeMutablePointer<UInt>.allocate(capacity: 1); p.initialize(to: 0); return p
    }()
    /// Incremented at every system call (Go's syscalltick): sysmon's retake uses it.
    let syscallTick: UnsafeMutablePointer<UInt32>
    /// Dead Gs ready for reuse (Go's p.gFree), as words, the newest at the back
    /// (WordRing.swift: a reuse or a spill touches no G).
    var freeList = WordRing(capacity: 64)
    var freeCount: Int { freeList.count }
    /// Standard stacks ready for reuse.
    var stackCache: [Stack] = []
    /// A batch of goroutine ids (Go's goidcache).
    var goidNext: Int64 = 0
    var goidEnd: Int64 = 0
    /// NUMA node and the CPUs this P's M runs on (placement); empty CPUs: no binding.
    var node: Int32 = 0
    /// The node whose memory this P's stacks come from (-1: no binding: no placement, or a
    /// simulated topology).
    var memoryNode: Int32 = -1
    /// The page of the last G this P allocated and its node (Scheduler.newGoroutine).
    var lastGoroutinePage: UInt = 0
    var lastGoroutinePageNode: Int32 = -1
    var cpus: [Int32] = []
    /// sysmon's view: the schedtick/syscalltick it last saw and when.
    var sysmonScheduleTick: UInt32 = 0
    var sysmonSyscallTick: UInt32 = 0
    var sysmonWhenNanoseconds: Int64 = 0
    var sysmonSyscallWhenNanoseconds: Int64 = 0
    /// Its counters (Statistics.swift), bumped by its owner with a plain add.
    var stats = ProcessorStatistics()
    /// xorshift state for the steal order (Go's cheaprand).
    var stealRandom: UInt64

    init(id: Int, node: Int? = nil) {
        self.id = id
        statusWord = .allocate(capacity: 1)
        statusWord.initialize(to: ProcessorStatus.idle.rawValue)
        scheduleTickWord = .allocate(capacity: 1)
        scheduleTickWord.initialize(to: 0)
        runningWord = .allocate(capacity: 1)
        runningWord.initialize(to: 0)
        syscallTick = .allocate(capacity: 1)
        syscallTick.initialize(to: 0)
        runQueue = RunQueue(node: node)
        self.node = Int32(node ?? 0)
        stealRandom = freshRandomSeed() // from the OS seed (Select.swift): never 0
        makeImmortal(self)
        makeImmortal(runQueue)
    }

    var status: ProcessorStatus { ProcessorStatus(rawValue: gb_load_acquire_u32(statusWord))! }
    func setStatus(_ s: ProcessorStatus) { gb_store_release_u32(statusWord, s.rawValue) }
    func casStatus(_ old: ProcessorStatus, _ new: ProcessorStatus) -> Bool {
        gb_cas_u32(statusWord, old.rawValue, new.rawValue)
    }

    /// True when the P has nothing to run.
    var isEmpty: Bool { runQueue.isEmpty }
}
