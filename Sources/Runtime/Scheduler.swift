// Scheduler: Go's G-M-P work-stealing scheduler.
//
// # The design
//
// Vocabulary (see Glossary.swift): G is a goroutine, M an OS thread, P the right to run
// goroutines. There are exactly GOMAXPROCS Ps; Ms are created on demand, and an M must
// hold a P to run goroutines. Each P has a local run queue (RunQueue: 256 slots and a
// `runnext` slot); there is one global run queue under `lock`.
//
// ## The hard problem
//
// Keep enough Ms running to use every P when there is work, without burning CPU when
// there is not, and without losing a wake-up: a G readied just as the last M decides to
// go to sleep must still run. Go's answer, which this file follows:
//
// - Approaches rejected (Go's proc.go discusses them): a central queue with one lock
//   (contention), handing a G directly to an idle M (the G's locality is lost and the
//   wake-up costs a thread switch for every G), and parking every M without spinning
//   (a burst of work wakes one M per G).
//
// ## The chosen protocol: spinning Ms ("Worker thread parking/unparking")
//
// 1. An M is *spinning* when it has a P and looks for work (steals) without finding any.
//    At most about half of the busy Ps have a spinning M (findRunnable's check).
// 2. When work is made ready (spawn, ready) and there is an idle P and no spinning M,
//    `wakep` starts one spinning M. A spinning M that finds work stops spinning and, if
//    it was the last spinning M, calls `wakep` again, so that a burst of work ramps up
//    one M at a time.
// 3. A spinning M that finds nothing releases its P, decrements the spinning count and
//    then re-checks every P's queue before parking (the decrement and the re-check
//    order with the submitter's enqueue-then-check of the spinning count, both
//    sequentially consistent): either the submitter sees no spinner and wakes an M, or
//    the spinner sees the work.
//
// ## Finding work (findRunnable), in Go's order
//
// 1. every 61st schedule, one G from the global queue first (fairness: the local queue
//    cannot starve the global one);
// 2. the local queue (runnext first);
// 3. a batch from the global queue;
// 4. stealing: up to 4 rounds over all Ps in a random order (a start and a stride
//    coprime to GOMAXPROCS), taking half of the victim's queue; the victim's runnext
//    only in the last round. With a NUMA topology, Ps of the same node come first.
//
// ## Switching
//
// A goroutine that blocks, yields or exits switches to its M's g0 (the thread stack)
// with a SwitchAction; g0 carries out the action (Go's mcall targets: park_m, gosched_m,
// goexit0) and schedules the next G. A preemption request (sysmon after 10 ms,
// stop-the-world) is honoured at every runtime call and at `Runtime.preemptionPoint()`;
// code that makes neither is stopped by a signal, on its own thread (Preemption.swift
// has that design and why the goroutine never moves to another thread mid-instruction).
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The whole scheduler state (Go's schedt plus allp). The fields are grouped by what
/// guards them, each group headed by its rule:
///   1. set once, before any goroutine of the program runs;
///   2. `lock` (Go's sched.lock): `Synced`, reached only with the lock held; and (2b)
///      what changes under the lock with the world stopped and is read freely;
///   3. `allGLock`: the list of every G;
///   4. `freeLock`: the global free list;
///   5. `AtomicWords`, read and written only atomically (where a writer also holds
///      `lock`, it says so);
///   6. one racy word, as in Go.
/// The objects of group 1 carry their own synchronisation (the stack allocator, the
/// timers, the scavenger's and sysmon's state, the world mutex and the stop note).
/// A field read without its guard says why that read is safe.
final class Scheduler: @unchecked Sendable {
    // MARK: 1. Set once, before any goroutine of the program runs

    let configuration: RuntimeConfiguration
    /// The M of the thread that called Runtime.run (set by Runtime.run before it schedules).
    unowned(unsafe) var m0: Machine!
    /// Set by runtime.main as it starts (Startup.swift), before the program's goroutines.
    var mainStarted = false
    /// The scavenger's goroutine id (runtime.main's step 5, before the program's code).
    var scavengerID: Int64 = 0
    /// Stacks for goroutines; its own lock (StackAllocator.swift).
    let stacks: StackAllocator
    /// Every P's timers and the timer waiter; per-heap locks (Timers.swift).
    let timers = TimerQueue()
    /// The scavenger's own state, under its GoMutex (Scavenger.swift).
    let scavenger = ScavengerState()
    /// Touched only by sysmon's thread (Sysmon.swift).
    let sysmonState = SysmonState()
    /// Serialises stop-the-world (Go's worldsema); a goroutine lock, so waiting for it
    /// parks the goroutine, not its thread.
    let worldMutex = GoMutex()
    /// The world-stopper sleeps here until synced.stopWait reaches 0.
    let stopNote = Note()

    // MARK: 2. Guarded by `lock`

    /// Guards `synced` (Go's sched.lock), and is held, with the world stopped, where
    /// group 2b changes.
    let lock = RuntimeLock()

    /// What only `lock` guards: every read and write of it holds the lock.
    struct Synced {
        /// The global run queue: G words in a ring (WordRing.swift says why not a linked list).
        var globalQueue = WordRing(capacity: 1024)
        /// The idle Ps (linked through Processor.link).
        var idleP: Processor?
        /// Every M that ever started (Ms are never freed); a reader copies it under the lock.
        var allM: [Machine] = []
        /// The idle Ms (linked through Machine.link) and the counters of checkdead.
        var idleM: Machine?
        var idleMCount = 0
        var lockedIdleMCount = 0
        /// Ms that never count as running for deadlock detection (sysmon).
        var systemMCount = 0
        var machineCount = 0
        var nextMachineID: Int64 = 0
        /// Ps the world-stopper still waits for.
        var stopWait = 0
        /// The main goroutine ended through Goexit.
        var mainGoexited = false
    }
    var synced = Synced()
    static let maxMachines = 10_000

    // MARK: 2b. Changed under `lock` with the world stopped; read freely

    /// Every P, in id order, and GOMAXPROCS (resizeProcessors): a running M may read them
    /// without the lock, as its own P is in the list, and the list cannot change while
    /// it runs.
    var allP: [Processor] = []
    var gomaxprocs: Int = 0
    /// Where Ps and Ms run (PlacementBinding.swift): changed by `apply`, otherwise only read.
    var placement: PlacementBinding
    /// Ps that GOMAXPROCS removed, by id: kept alive and reused when it grows again; and
    /// their counters, which Runtime.statistics() reads (as it reads allP) from any thread.
    var retiredProcessors: [Int: Processor] = [:]
    var retiredStatistics = ProcessorStatistics()

    // MARK: 3. Guarded by `allGLock`

    let allGLock = RuntimeLock()
    /// Every G not yet freed by the scavenger (Go's allgs); a G's index in it is
    /// Goroutine.allIndex.
    var allGoroutines: [Goroutine] = []

    // MARK: 4. Guarded by `freeLock`

    let freeLock = RuntimeLock()
    /// Dead Gs that no P caches (Go's sched.gFree), as words, the newest at the back.
    /// Changed under freeLock, followed by globalFreeChanged().
    var globalFreeList = WordRing(capacity: 1024)
    var globalFreeCount: Int { globalFreeList.count }

    // MARK: 5. Atomic words (no lock)

    /// The words read and written only with atomic operations (gb_atomic.h), never under a
    /// lock's protection alone: where a writer also holds `lock`, the field says so. Each is
    /// a C word of its own, so that a Swift access never touches it (no exclusivity check,
    /// no copy): the type holds their addresses.
    struct AtomicWords {
        /// The global queue's length: written under `lock`, read without it (a hint).
        let globalSize = AtomicWords.word(Int64(0))
        /// The idle Ps' count (Go's npidle): written under `lock`, read without it.
        let idlePCount = AtomicWords.word(Int32(0))
        /// Spinning Ms (Go's nmspinning).
        let spinningCount = AtomicWords.word(Int32(0))
        /// globalFreeCount for readers without freeLock (a hint).
        let globalFreeHint = AtomicWords.word(Int64(0))
        /// Where the Ps' batches of goroutine ids come from (Go's sched.goidgen).
        let goidGenerator = AtomicWords.word(Int64(0))
        /// Live user goroutines (NumGoroutine).
        let liveUserGoroutines = AtomicWords.word(Int64(0))
        /// A stop-the-world is under way (Go's gcwaiting): set and cleared under `lock`.
        let gcWaiting = AtomicWords.word(UInt32(0))
        /// Runtime.run is ending: set under `lock`.
        let shuttingDown = AtomicWords.word(UInt32(0))
        /// Goroutines printing a panic (runtime.main waits for them).
        let panickingCount = AtomicWords.word(Int64(0))

        /// A word of its own, never freed: the Scheduler that holds it is immortal.
        static func word<T>(_ initial: T) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: 1)
            p.initialize(to: initial)
            return p
        }
    }
    let words = AtomicWords()

    // MARK: 6. A racy word, as in Go

    /// The largest a stack may grow (Go's maxstacksize): Runtime.setMaxStack writes it
    /// without a lock and then applies it to running goroutines with the world stopped;
    /// a spawn that reads the old value meanwhile gets the old limit, as in Go.
    var maxStackBytes: Int

    init(configuration: RuntimeConfiguration, placement: PlacementBinding) {
        self.configuration = configuration
        stacks = StackAllocator(standardBytes: configuration.standardStackBytes)
        maxStackBytes = configuration.maxStackBytes
        self.placement = placement
        lock.contentionCounter = .schedLockContentions
        for o: AnyObject in [self, lock, allGLock, freeLock, stacks, stopNote,
                             timers, timers.waiterNote, sysmonState, sysmonState.note,
                             worldMutex, scavenger, scavenger.mutex] { makeImmortal(o) }
    }

    var isShuttingDown: Bool { gb_load_acquire_u32(words.shuttingDown) != 0 }
    var isStopping: Bool { gb_load_acquire_u32(words.gcWaiting) != 0 }

    // MARK: - Global run queue (caller holds `lock`)

    // (G words, not references: a queued G is not dead, so the scavenger cannot free it
    // (it frees only dead Gs, Scavenger.swift, "Free goroutines"), and a strong
    // load costs a retain/release call per queue operation. A put or get does not touch
    // the G: see WordRing.swift.)
    @inline(__always)
    func globalPut(_ gp: Goroutine) {
        synced.globalQueue.pushBack(gp.word)
        gb_store_relaxed_i64(words.globalSize, Int64(synced.globalQueue.count))
        Statistics.shared.addLocked(.globalQueuePuts)
    }

    @inline(__always)
    func globalPutHead(_ gp: Goroutine) {
        synced.globalQueue.pushFront(gp.word)
        gb_store_relaxed_i64(words.globalSize, Int64(synced.globalQueue.count))
        Statistics.shared.addLocked(.globalQueuePuts)
    }

    /// Go's globrunqget: one G to run now, and up to a fair share more into `p`'s queue.
    /// (`p` is the caller's own P: the only place Gs leave the global queue, so its
    /// globalQueueGets counts them all.)
    func globalGet(_ p: Processor, max limit: Int) -> Goroutine? {
        let size = synced.globalQueue.count
        if size == 0 { return nil }
        var n = min(size, size / max(1, gomaxprocs) + 1)
        if limit > 0 && n > limit { n = limit }
        n = min(n, Int(p.runQueue.capacity) / 2)
        guard let first = synced.globalQueue.popFront() else { return nil }
        var taken: UInt64 = 1
        if n > 1 {
            // (n - 1 <= half the ring, and the local queue is empty or nearly: they fit)
            let more = min(n - 1, synced.globalQueue.count)
            synced.globalQueue.removeFront(more) { w in
                p.runQueue.put(w, next: false) { _ in fatal("globrunqget: local run queue overflowed") }
            }
            taken += UInt64(more)
        }
        gb_store_relaxed_i64(words.globalSize, Int64(synced.globalQueue.count))
        p.stats[.globalQueueGets] &+= taken
        return Goroutine.from(word: first)
    }

    // MARK: - Local run queues

    /// Puts `gp` on `p`'s queue; overflow moves half the queue to the global one.
    @inline(__always)
    func runqPut(_ p: Processor, _ gp: Goroutine, next: Bool) {
        // The overflow closure captures the P and the scheduler unmanaged: captured as
        // references, they are retained and released around every put.
        let pu = Unmanaged.passUnretained(p), su = Unmanaged.passUnretained(self)
        p.runQueue.put(gp.word, next: next) { batch in
            pu._withUnsafeGuaranteedRef { $0.stats[.globalOverflows] += 1 }
            su._withUnsafeGuaranteedRef { s in
                s.lock.lock()
                for w in batch { s.globalPut(Goroutine.from(word: w)) }
                s.lock.unlock()
            }
        }
    }

    // MARK: - Idle Ps and Ms (caller holds `lock`)

    func idlePPut(_ p: Processor) {
        p.setStatus(.idle)
        p.m = nil
        p.link = synced.idleP
        synced.idleP = p
        _ = gb_add_i32(words.idlePCount, 1)
    }

    func idlePGet() -> Processor? {
        guard let p = synced.idleP else { return nil }
        synced.idleP = p.link
        p.link = nil
        _ = gb_sub_i32(words.idlePCount, 1)
        return p
    }

    /// An idle P on `node` if there is one, else the nearest by the placement's wake order
    /// (Vyukov's design: wake on the spawning node first). Without a placement, Go's
    /// behaviour: the head of the list. The list has at most GOMAXPROCS entries.
    func idlePGet(near node: Int32) -> Processor? {
        guard let order = placement.wakeOrder(from: node) else { return idlePGet() }
        for wanted in order {
            var prev: Processor? = nil
            var q = synced.idleP
            while let p = q {
                if p.node == wanted {
                    if let prev { prev.link = p.link } else { synced.idleP = p.link }
                    p.link = nil
                    _ = gb_sub_i32(words.idlePCount, 1)
                    if wanted != node { Statistics.shared.add(.remoteWakeups) }
                    return p
                }
                prev = p
                q = p.link
            }
        }
        return idlePGet()
    }

    func idleMPut(_ m: Machine) {
        m.link = synced.idleM
        synced.idleM = m
        synced.idleMCount += 1
    }

    func idleMGet() -> Machine? {
        guard let m = synced.idleM else { return nil }
        synced.idleM = m.link
        m.link = nil
        synced.idleMCount -= 1
        return m
    }

    // MARK: - P ownership

    func acquireP(_ m: Machine, _ p: Processor) {
        precondition(m.p == nil, "acquirep: M already has a P")
        m.p = p
        p.m = m
        p.setStatus(.running)
        placement.bind(m, to: p)
    }

    @discardableResult
    func releaseP(_ m: Machine) -> Processor {
        guard let p = m.p else { fatal("releasep: M has no P") }
        m.p = nil
        p.m = nil
        return p
    }

    // MARK: - Waking and stopping Ms

    /// Starts a spinning M if there is an idle P and no M spins (Go's wakep).
    @inline(__always)
    func wakeP() {
        if gb_load_acquire_i32(words.idlePCount) == 0 { return }
        if gb_load_acquire_i32(words.spinningCount) != 0 || !gb_cas_i32(words.spinningCount, 0, 1) { return }
        startM(nil, spinning: true, near: Machine.current?.p?.node)
    }

    /// Runs `p` (or an idle P) on an idle or new M (Go's startm).
    func startM(_ p: Processor?, spinning: Bool, lockHeld: Bool = false, near node: Int32? = nil) {
        if !lockHeld { lock.lock() }
        var p = p
        if p == nil {
            p = node.map { idlePGet(near: $0) } ?? idlePGet()
            if p == nil {
                if !lockHeld { lock.unlock() }
                if spinning { _ = gb_sub_i32(words.spinningCount, 1) }
                return
            }
        }
        // The P is ours or idle (both under this lock): its counters may be written here.
        if spinning { p!.stats[.spinningStarts] &+= 1 }
        let m = idleMGet()
        if m == nil {
            let nm = newMachine()
            nm.spinning = spinning
            nm.nextP = p
            if !lockHeld { lock.unlock() }
            startThread(nm)
            return
        }
        m!.spinning = spinning
        m!.nextP = p
        if !lockHeld { lock.unlock() }
        Statistics.shared.add(.machineWakeups)
        m!.park.wakeup()
    }

    /// A new M, counted and registered (caller holds `lock`). Past the limit the program
    /// fails as Go's does.
    func newMachine() -> Machine {
        if synced.machineCount >= Scheduler.maxMachines {
            fatalThrow("thread exhaustion")
        }
        synced.nextMachineID += 1
        let m = Machine(id: synced.nextMachineID, isM0: false)
        synced.machineCount += 1
        synced.allM.append(m)
        Statistics.shared.add(.machinesCreated)
        return m
    }

    func startThread(_ m: Machine) {
        if TemplateThread.handOff(m, self) { return } // a clean thread creates it (TemplateThread.swift)
        let arg = Unmanaged.passUnretained(m).toOpaque()
        let r = gb_thread_start({ arg in
            let m = Unmanaged<Machine>.fromOpaque(arg!).takeUnretainedValue()
            machineMain(m)
        }, arg, 0)
        if r != 0 {
            fatalThrow("newosproc: cannot create thread (errno \(r))")
        }
    }

    /// Parks the M until another M hands it a P (Go's stopm). Returns false when the
    /// runtime shuts down and the thread should end. `quiescent`: the caller's frames
    /// hold no goroutine reference, so the sleep counts as a quiescent state for the
    /// scavenger's grace period (Scavenger.swift, "Free goroutines"); otherwise the
    /// scavenger waits for this M to run again before it frees goroutines.
    func stopM(_ m: Machine, quiescent: Bool = false) -> Bool {
        precondition(m.p == nil, "stopm: M holds a P")
        Statistics.shared.add(.machineParks)
        lock.lock()
        idleMPut(m)
        checkDead()
        lock.unlock()
        // Sleep until someone hands us a P (startM sets nextP, then wakes us); a wake-up
        // without one (left over from an earlier use of the note) is ignored.
        if quiescent { m.enterQuiescentState() }
        defer { if quiescent { m.leaveQuiescentState() } }
        var given: Processor? = nil
        while given == nil {
            m.park.sleep()
            m.park.clear()
            if isShuttingDown { return false }
            lock.lock()
            given = m.nextP
            m.nextP = nil
            lock.unlock()
        }
        let p = given!
        acquireP(m, p)
        return true
    }

    /// Hands off `p` when its M blocks (Go's handoffp).
    func handoffP(_ p: Processor) {
        if !p.runQueue.isEmpty || gb_load_relaxed_i64(words.globalSize) != 0 {
            startM(p, spinning: false)
            return
        }
        if gb_load_acquire_i32(words.spinningCount) + gb_load_acquire_i32(words.idlePCount) == 0
            && gb_cas_i32(words.spinningCount, 0, 1) {
            startM(p, spinning: true)
            return
        }
        lock.lock()
        if isStopping {
            p.setStatus(.stopped)
            synced.stopWait -= 1
            if synced.stopWait == 0 { stopNote.wakeup() }
            lock.unlock()
            return
        }
        if gb_load_relaxed_i64(words.globalSize) != 0 {
            lock.unlock()
            startM(p, spinning: false)
            return
        }
        if timers.hasUserTimers, gb_load_acquire_i32(words.idlePCount) + 1 == Int32(gomaxprocs) {
            // The last running P: someone must wait for the timers.
            lock.unlock()
            startM(p, spinning: false)
            return
        }
        idlePPut(p)
        lock.unlock()
    }

    // MARK: - Deadlock (caller holds `lock`)

    /// Go's checkdead: no M is running and nothing can make one run again.
    func checkDead() {
        if !mainStarted || isShuttingDown { return }
        let run = synced.machineCount - synced.idleMCount - synced.lockedIdleMCount - synced.systemMCount
            - (timers.waiterActive ? 1 : 0)
        if run > 0 { return }
        if run < 0 {
            fatalThrow("checkdead: inconsistent counts mcount=\(synced.machineCount) nmidle=\(synced.idleMCount) nmidlelocked=\(synced.lockedIdleMCount) nmsys=\(synced.systemMCount)")
        }
        let live = gb_load_acquire_i64(words.liveUserGoroutines)
        if live == 0 && synced.mainGoexited {
            fatalThrow("no goroutines (main called runtime.Goexit) - deadlock!")
        }
        // A sleeper is in the timer heap, in flight from it to a run queue, or queued:
        // looked at in that order, one of the three sees it.
        if timers.hasUserTimers { return }
        if gb_load_acquire_i64(timers.readying) > 0 { return }
        if gb_load_relaxed_i64(words.globalSize) > 0 { return }
        for p in allP where !p.runQueue.isEmpty { return }
        fatalThrow("all goroutines are asleep - deadlock!")
    }

    // MARK: - Goroutine allocation

    /// A dead G from `p`'s free list or the global one (Go's gfget). With Ms bound to
    /// nodes, `p`'s list holds only Gs of its own node: a refill takes the global list's
    /// Gs of that node (looking at most 256 deep); when there are none, a G of another
    /// node is reused rather than a new one allocated, but not cached.
    func freeGet(_ p: Processor) -> Goroutine? {
        if p.freeList.isEmpty && gb_load_relaxed_i64(words.globalFreeHint) > 0 {
            freeLock.lock()
            if p.memoryNode < 0 {
                // Unbound, every G is the P's: the newest 32 (a copy of words).
                for _ in 0..<min(32, globalFreeList.count) { p.freeList.pushBack(globalFreeList.popBack()!) }
            } else {
                // From the newest down, the Gs of the P's node (looking at most 256 deep).
                var i = globalFreeList.count - 1, looked = 0
                while i >= 0, p.freeList.count < 32, looked < 256 {
                    looked += 1
                    if Goroutine.from(word: globalFreeList[i]).homeNode == p.memoryNode {
                        p.freeList.pushBack(globalFreeList.swapRemove(at: i)) // (the back moves to i: seen already)
                    }
                    i -= 1
                }
                if p.freeList.isEmpty, let w = globalFreeList.popBack() {
                    // Only other nodes' Gs: reuse one, uncached.
                    globalFreeChanged()
                    freeLock.unlock()
                    p.stats[.freeListReuses] += 1
                    return Goroutine.from(word: w)
                }
            }
            globalFreeChanged()
            freeLock.unlock()
        }
        guard let w = p.freeList.popBack() else { return nil }
        // The next spawn's G: its first line is on its way while this one is set up.
        if let next = p.freeList.last { gb_prefetch_write(UnsafeRawPointer(bitPattern: next)) }
        p.stats[.freeListReuses] += 1
        return Goroutine.from(word: w)
    }

    /// Puts a dead G on `p`'s free list; at 64, moves Gs to the global list until fewer
    /// than 32 remain (31: Go's gfput). A G of another node goes straight to the global list.
    func freePut(_ p: Processor, _ gp: Goroutine) {
        if p.memoryNode >= 0 && gp.homeNode != p.memoryNode {
            freeLock.lock()
            globalFreePush(gp)
            freeLock.unlock()
            return
        }
        p.freeList.pushBack(gp.word)
        if p.freeList.count >= 64 {
            freeLock.lock()
            // The oldest go: the P keeps the Gs it freed last, the warmest in its cache.
            p.freeList.removeFront(p.freeList.count - 31) { globalFreeList.pushBack($0) }
            globalFreeChanged()
            freeLock.unlock()
        }
    }

    /// Puts a dead G on the global free list (caller holds `freeLock`).
    @inline(__always)
    func globalFreePush(_ gp: Goroutine) {
        globalFreeList.pushBack(gp.word)
        globalFreeChanged()
    }

    /// After a change of globalFreeList (under freeLock): the hint lock-free readers see.
    @inline(__always)
    func globalFreeChanged() {
        gb_store_relaxed_i64(words.globalFreeHint, Int64(globalFreeList.count))
    }

    func newGoroutine(on p: Processor) -> Goroutine {
        let gp = Goroutine()
        if p.memoryNode >= 0 {
            // Where the object really is: a bound thread's fresh pages are on its node,
            // but malloc may hand out a chunk of a page touched before, on another node.
            // One query per page (a G is ~600 bytes: several share a page).
            let page = UInt(bitPattern: Unmanaged.passUnretained(gp).toOpaque()) & ~UInt(4095)
            if page != p.lastGoroutinePage {
                let node = gb_numa_query_page_node(UnsafeMutableRawPointer(bitPattern: page))
                p.lastGoroutinePage = page
                p.lastGoroutinePageNode = node >= 0 ? node : p.memoryNode
            }
            gp.homeNode = p.lastGoroutinePageNode
        }
        allGLock.lock()
        gp.allIndex = allGoroutines.count
        allGoroutines.append(gp)
        allGLock.unlock()
        return gp
    }

    @inline(__always)
    func nextGoid(_ p: Processor) -> Int64 {
        if p.goidNext == p.goidEnd {
            // Go's goidcache: ids in batches of 16 to keep the shared counter cold.
            let end = gb_add_i64(words.goidGenerator, 16)
            p.goidNext = end - 15
            p.goidEnd = end + 1
        }
        let id = p.goidNext
        p.goidNext += 1
        return id
    }

    /// Gives `gp` a stack and a fresh context at its first run (stacks are not assigned
    /// at spawn: a million spawned-but-not-yet-run goroutines need no stacks).
    func prepareToRun(_ gp: Goroutine, on p: Processor) {
        if gp.stack == nil {
            do {
                if gp.requestedStackBytes == 0 || gp.requestedStackBytes == stacks.standardBytes {
                    if p.stackCache.isEmpty { try stacks.refill(&p.stackCache, count: 16, node: p.memoryNode) }
                    gp.stack = p.stackCache.removeLast()
                } else {
                    gp.stack = try stacks.allocateDedicated(limitBytes: gp.requestedStackBytes)
                }
            } catch {
                fatalThrow("\(error)")
            }
        }
        let s = gp.stack!
        gp.stackRecord.pointee = gb_stack_record(lo: s.lo, hi: s.hi, guard_lo: s.guardLo,
                                                 limit: s.limitBytes, goid: gp.id)
        let arg = Unmanaged.passUnretained(gp).toOpaque()
        if gb_context_make(gp.context, UnsafeMutableRawPointer(bitPattern: s.lo), s.usableBytes,
                           { _, arg in goroutineMain(arg!) }, arg) != 0 {
            fatalThrow("cannot make goroutine context")
        }
        gp.needsContext = false
    }

    /// Returns a dead G's stack: standard stacks to the P's cache, others unmapped.
    func releaseStack(_ gp: Goroutine, to p: Processor) {
        guard let s = gp.stack else { return }
        gp.stack = nil
        gb_context_release(gp.context)
        if s.dedicated {
            stacks.release(s)
            return
        }
        if s.node != p.memoryNode {
            // Another node's stack (the G ran here after a steal): back to its own pool.
            stacks.release(s)
            return
        }
        p.stackCache.append(s)
        if p.stackCache.count > 32 {
            stacks.release(p.stackCache[16...])
            p.stackCache.removeSubrange(16...)
        }
    }
}

/// The scheduler of the running runtime (nil outside Runtime.run).
nonisolated(unsafe) var sched: Scheduler!
/// The same, unmanaged, for hot paths that borrow it without a retain (set with `sched`).
nonisolated(unsafe) var schedRef: Unmanaged<Scheduler>!
