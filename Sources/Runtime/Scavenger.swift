// The scavenger: goroutine 2 (the seed: "created like any go statement's goroutine"). It
// wakes every scavenge interval (2 minutes by default) and gives memory back to the OS:
// free goroutines beyond a retained count, free stacks beyond a retained amount, and the
// stacks of long-parked goroutines, compacted. It counts its runs, the bytes it released
// and the time it took; GODEBUG=scavtrace=1 prints a line per run, like Go's scavtrace.
// Runtime.scavenge() runs one full pass at once (Go's debug.FreeOSMemory): it compacts
// every parked goroutine, not only the long-parked ones.
//
// # Parked stacks
//
// A goroutine parked on a channel keeps the stack pages it touched: at least one 4 KiB
// page, where a Go goroutine's whole stack is 2 KiB. Go's scavenger does not need to
// touch stacks; this one compacts them. The live part of a parked goroutine's stack,
// [saved stack pointer, hi), is a few hundred bytes: the scavenger copies it into a
// malloc'd record (CompactedStack), gives all the stack's pages back and turns the pages
// that held the live bytes into a lightweight guard region; before the goroutine runs
// again, execute removes the guard and copies the bytes back to the same addresses, so
// every pointer into the stack (from the stack itself, or from registers saved on it) is
// valid again. (Nothing below the saved stack pointer is live: those pages come back as
// zero pages when the goroutine calls deeper again.)
//
// Rejected: moving the stack (Go's copystack: Swift cannot find the pointers into a
// stack to adjust them); MADV_DONTNEED without a guard (a write through a pointer into the
// parked stack would land in a fresh zero page and be overwritten, silently, by the
// restore: with the guard it faults, loudly); an mprotect guard (a mapping per parked
// stack: a million goroutines do not fit under vm.max_map_count).
//
// ## The protocol (Go's _Gscan)
//
// 1. The scavenger takes a waiting G with one CAS of its status from waiting to
//    waiting|scan (Goroutine.tryAcquireScan). Waiting means that the G's context is saved
//    and its stack at rest: the status turns to waiting on g0, after the switch away from
//    the G (finishSwitch). Every way out of waiting is ready's casStatus, which waits
//    while the scan bit is set; nothing else writes a waiting G's status.
// 2. Who else may touch a parked stack: whoever holds a pointer into it that the G
//    published before it parked. In this runtime that is one pointer: the element of the
//    G's own channel waiter (Channel.send's value, Channel.receive's slot), which the
//    partner reads or writes under the channel's lock. The scavenger copies the live
//    bytes under that lock and points the element at the same offset in the record: a
//    partner that comes later copies into the record, one that came earlier wrote into
//    the stack before the copy. Select's elements are on the heap (SelectSlot); WaitGroup,
//    Mutex and timers hold the G, not its stack. A G whose waiter element points into its
//    stack without a channel is not compacted. (Unsafe pointers into a parked goroutine's
//    stack that the program itself hands to other goroutines fault: see the README.)
// 3. The scavenger gives the stack's pages back (MADV_DONTNEED over [lo, hi)), installs
//    the guard over the pages of [saved stack pointer, hi) (MADV_GUARD_INSTALL), records
//    the record in the G (parkedStackState = compacted) and releases the scan bit (a
//    release store). Where the kernel refuses the guard, the copy is undone (under the
//    channel's lock when the element was redirected) and the G stays as it was.
// 4. Whoever readies the G next takes its status with a CAS that sees the record; execute,
//    on the M that runs the G, removes the guard (MADV_GUARD_REMOVE), copies the bytes
//    back and frees the record before switching to it. The hot path pays one plain load.
//
// Which stacks: a periodic pass marks each waiting G it sees (seenParked) and compacts
// those it finds still marked, that is, waiting since an earlier pass without having run
// (execute clears the mark): long-parked. A goroutine in `Runtime.sleep` that is due within
// `pacerShortSleepNanoseconds` is neither marked nor compacted by the periodic pass or the
// pacer's (Runtime.scavenge() takes it too): its stack would be restored
// (a fault per page, the guard removed) before the memory saved had mattered; timer-storm's
// 1 ms sleepers paid about a fifth of the workload's time for it. A periodic pass
// spends at most 1% of the interval (at least 100 µs) on this and goes on where it stopped.
// Runtime.scavenge() compacts every waiting G. Stacks whose live part is over 64 KiB are
// left as they are.
// Gs are taken 64 at a time: the stacks of adjacent slots are given back with one
// madvise (the guard regions between slots stay), and the 64 guards are installed with
// one process_madvise where the kernel takes it (Linux 6.13+), so that a pass costs about
// a page fault's worth of kernel time per stack, on either side. Not done: with the
// ucontext back end (the saved stack pointer is in the ucontext), without lightweight
// guards (kernels before 6.13), under ThreadSanitizer (see compactionSupported). Under
// AddressSanitizer the bytes are copied by a loop it does not watch (gb_stack_copy:
// AddressSanitizer keeps the frames' redzones poisoned, and
// its shadow stays as it was, since the bytes come back to the same addresses), and a
// compacted stack is out of LeakSanitizer's root regions until it is restored (the
// record, reachable from the G, holds its pointers meanwhile).
//
// # The stack pacer
//
// Go shrinks stacks at every garbage collection, and its collector runs each time the
// heap (stacks included) grows by GOGC percent; during a burst of goroutines that park,
// that keeps their memory down while they pile up. The scavenger's period is minutes, so
// the stack pacer does the same job between its passes: each time the bytes held by
// standard stacks grow by GOBENCH_STACKGC percent (100 by default, like GOGC; `off`
// turns the pacer off, and it is off wherever compaction is not supported) since the
// last pacer pass, with a floor of 4 MiB (Go's minimum heap), it compacts the stack of
// every goroutine it finds parked, as Runtime.scavenge does. Go's collector likewise
// shrinks any stack it finds mostly unused, whatever the goroutine's age; waiting for a
// second pass to see a goroutine still parked (the periodic pass's rule) left about half
// of a burst uncompacted when it ended. Passes come only while the stacks held grow, so
// a steady population (ping-pong partners) sees none. The bytes held count a stack out
// of the pool as one page (the least it touches) and a compacted one as its record, so
// after a pass that compacted most stacks the next comes after about 13% more stacks
// (a record of about 550 bytes against a 4 KiB page): each pass scans every goroutine,
// and the scans of a burst of n add up to about 8 n goroutines visited.
//
// Where: the refill of a P's stack cache (StackAllocator.refill, under the allocator's
// lock, every 16 stacks) compares the stacks out of the pool with the trigger; when it
// is reached, it sets a flag and wakes sysmon, which runs the pass on its own thread
// (stackPacerTick): a goroutine spawn pays one comparison, and the pass runs beside the
// goroutines, not in the spawning one. Sysmon holds no P and no G: the scan bit keeps
// the pass and the scavenger's own passes off each other's stacks, and sysmon is not
// quiescent during a pass (the Gs it reads cannot be freed under it). The next trigger
// is set at the end of the pass from what the stacks then hold.
//
// # Free goroutines
//
// Goroutines (G objects, about 600 bytes each with what hangs on them) are reused through
// free lists, and are immortal (Immortal.swift: ARC does nothing with them). After a burst
// of a million goroutines the global free list holds a million. The scavenger detaches
// the free Gs beyond scavengeRetainGoroutines from the global list and from allGoroutines
// (each P keeps at most 63 of its own), waits for a grace period, makes each mortal again
// and releases it: its deinit frees what hangs on it. malloc_trim(0) then gives the pages
// that this frees inside malloc's arenas back to the OS. glibc does not trim the top of a
// thread's arena there, only in free() past its trim threshold, which it raises to twice
// the largest mmapped block freed so far (the 8 MB of allGoroutines after a million
// goroutines): the first time the scavenger frees goroutines it fixes the threshold at
// its default, 128 KiB (gb_malloc_fix_trim_threshold; process-wide, and it also stops
// glibc's dynamic mmap threshold).
//
// ## The grace period (quiescent-state-based reclamation)
//
// A dead G may still be referenced, for a moment, by the code that readied it or saw it
// running: a local that ARC releases later (a swift_release of a freed object reads, and
// may write, freed memory), sysmon's and stop-the-world's reads of a P's runningWord.
// Such references live only in the frames of code running on an M; no goroutine holds
// another G across a park (spawnGoroutine and select's handler are arranged so). Each M
// has a quiescent word (Machine.quiescentWord): it moves at the top of the M's scheduling
// loop, where g0's frames hold no G, and is odd while the M sleeps holding none (stopM
// where its callers hold none, the timer wait, sysmon's sleep) or runs a system call (the
// G in the call cannot end). A detached G is freed once every M has been quiescent since
// it was detached: its word moved, or was odd when read after the detach. The
// scavenger's own M counts when g0's frames hold no G but the scavenger's
// (Machine.framesHoldOnly). An M that sleeps elsewhere (a locked M waiting for its G, an
// M that handed its P to a locked G's M) only delays the freeing until it runs again.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The scavenger's state (Scheduler.scavenger).
final class ScavengerState: @unchecked Sendable {
    /// Serialises passes (the periodic one and Runtime.scavenge): a goroutine lock, as a
    /// pass may sleep while it waits for a grace period.
    let mutex = GoMutex()
    /// Where the next periodic pass goes on compacting, in allGoroutines.
    var cursor = 0
    /// Detached free Gs (their addresses, each holding one reference) waiting for their
    /// grace period, and every M's quiescent word as read after they were detached.
    var pendingFree: [UInt] = []
    var pendingSnapshot: [(Machine, UInt64)] = []
    /// Statistics.stacksRestored at the last malloc_trim.
    var restoredAtLastTrim: UInt64 = 0
    /// Set when the kernel refused a lightweight guard: no compaction from then on.
    var compactionDisabled = false
}

/// Live parts of parked stacks above this are not compacted.
let maxCompactedStackBytes = 64 * 1024
/// Gs whose stacks are compacted, and guarded, together.
private let compactionBatch = 64

func startScavenger() {
    sched.scavengerID = Runtime.spawnGoroutine(stackBytes: 0, isSystem: true) { scavengerMain() }
    startStackPacer(sched)
}

func scavengerMain() {
    let s = sched!
    guard let gp = currentGoroutine() else { return }
    guard let interval = s.configuration.scavengeIntervalNanoseconds else {
        // Off: park for good (it holds no M, no timer and no lock).
        park(gp, reason: .scavengeWait, unlocking: nil)
        return
    }
    while !s.isShuttingDown {
        Runtime.sleep(nanoseconds: interval)
        scavengeOnce(force: false)
    }
}

/// One scavenger pass: returns the bytes released. `force`: compact every parked stack
/// and wait (a little) for the grace period of the goroutines it frees.
@discardableResult
func scavengeOnce(force: Bool) -> Int {
    let s = sched!
    let st = s.scavenger
    st.mutex.lock()
    defer { st.mutex.unlock() }
    let start = gb_nanotime()
    // 1. Free goroutines beyond the retained count: detached now, freed in step 4 once
    //    their grace period is over (the work between gives the other Ms time for it).
    detachFreeGoroutines(s)
    // 2. Free stacks: our own P's cache first (only its owner may touch it), then the pool.
    if let p = Machine.current?.p, p.stackCache.count > 4 {
        s.stacks.release(p.stackCache[4...])
        p.stackCache.removeSubrange(4...)
    }
    var released = s.stacks.scavengePool(retainBytes: s.configuration.scavengeRetainBytes)
    // 3. Parked stacks.
    let budget = force ? Int64.max / 2 : max(100_000, (s.configuration.scavengeIntervalNanoseconds ?? 0) / 100)
    let compaction = compactParkedStacks(s, force: force, fromStart: force, deadline: gb_nanotime() + budget,
                                         sparingSleepers: !force)
    released += compaction.releasedBytes
    // 4. The detached goroutines whose grace period is over.
    let freed = freeGoroutinesAfterGracePeriod(s, force: force)
    // 5. The pages that freed goroutines and restored stacks' records left free inside
    //    malloc's arenas.
    let restored = Statistics.shared[.stacksRestored]
    if freed > 0 || restored &- st.restoredAtLastTrim >= 256 {
        _ = gb_malloc_trim()
        st.restoredAtLastTrim = restored
    }
    let elapsed = gb_nanotime() - start
    Statistics.shared.add(.scavengerRuns)
    Statistics.shared.add(.scavengedBytes, UInt64(released))
    Statistics.shared.add(.scavengerNanoseconds, UInt64(elapsed))
    if s.configuration.scavengeTrace {
        let line = "scav \(released >> 10) KiB released in \(elapsed / 1000) us, \(s.stacks.pooledCount) free stacks, \(s.configuration.scavengeRetainBytes >> 10) KiB retained, \(compaction.stacks) stacks compacted (\(compaction.keptBytes >> 10) KiB kept), \(freed) goroutines freed\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
    }
    return released
}

extension Runtime {
    /// Runs the scavenger once now (what its timer does every interval), compacting the
    /// stack of every parked goroutine; returns the bytes released. Must be called from a
    /// goroutine. Go's debug.FreeOSMemory.
    @discardableResult
    public static func scavenge() -> Int {
        guard currentGoroutine() != nil, sched != nil else { return 0 }
        return inRuntime { scavengeOnce(force: true) }
    }

    /// True when the scavenger can compact parked stacks in this process (see
    /// Scavenger.swift: lightweight guards and the assembly context back end).
    public static var parkedStackCompactionSupported: Bool {
        guard let s = sched else { return false }
        return compactionSupported(s)
    }
}

// MARK: - Parked stacks

func compactionSupported(_ s: Scheduler) -> Bool {
    // Not under ThreadSanitizer (gb_context_sanitizer 1): the pacer's test stalled there
    // for 60 s without progress, not yet understood.
    gb_context_backend() == Int32(GB_CONTEXT_ASM) && gb_context_sanitizer() != 1
        && s.stacks.lightGuards && !s.scavenger.compactionDisabled
}

/// One G being compacted: its scan bit is held until commit or undo.
private struct Compaction {
    let g: Goroutine
    let record: UnsafeMutablePointer<CompactedStack>
    let lo: UInt
    let dedicated: Bool
    /// The channel whose waiter element now points into the record, and where it pointed.
    let channel: ChannelBase?
    let element: UnsafeMutableRawPointer?
    /// The page of the saved stack pointer: the guarded range is [guardLo, hi).
    var guardLo: UInt { record.pointee.guardLo }
    var hi: UInt { record.pointee.hi }
}

/// `fromStart`: the whole list, from its start (else from the periodic pass's cursor);
/// `force`: every waiting G (else only the long-parked); `sparingSleepers`: not the
/// sleepers due within pacerShortSleepNanoseconds (the periodic pass and the pacer's;
/// Runtime.scavenge() takes every waiting G).
private func compactParkedStacks(_ s: Scheduler, force: Bool, fromStart: Bool, deadline: Int64,
                                 sparingSleepers: Bool)
    -> (stacks: Int, keptBytes: Int, releasedBytes: Int) {
    guard compactionSupported(s) else { return (0, 0, 0) }
    let st = s.scavenger
    var batch: [Compaction] = []
    batch.reserveCapacity(compactionBatch)
    var totals = (stacks: 0, keptBytes: 0, releasedBytes: 0)
    var index = fromStart ? 0 : st.cursor
    var visited = 0
    var words: [UInt] = []
    words.reserveCapacity(256)
    while true {
        s.allGLock.lock()
        let count = s.allGoroutines.count
        if index >= count { index = 0 }
        let end = min(count, index + 256)
        words.removeAll(keepingCapacity: true)
        for i in index..<end { words.append(s.allGoroutines[i].word) }
        s.allGLock.unlock()
        // (Only the scavenger frees Gs, and not during this part of a pass: the words
        // stay valid.)
        let now = gb_nanotime()
        for w in words {
            if let c = takeForCompaction(Goroutine.from(word: w), force: force,
                                         sparingSleepersDueBefore: sparingSleepers ? now + pacerShortSleepNanoseconds : nil) {
                batch.append(c)
                if batch.count == compactionBatch { flushCompactions(&batch, s, &totals) }
            }
        }
        visited += end - index
        index = end
        if visited >= count || count == 0 { break }
        if !force && gb_nanotime() > deadline { break }
    }
    flushCompactions(&batch, s, &totals)
    if !fromStart { st.cursor = index }
    Statistics.shared.add(.stacksCompacted, UInt64(totals.stacks))
    Statistics.shared.add(.compactedStackBytes, UInt64(totals.keptBytes))
    Statistics.shared.add(.compactionReleasedBytes, UInt64(totals.releasedBytes))
    return totals
}

/// Takes `gp` for compaction when it is waiting and long-parked (or `force`), copying
/// its live bytes into a record; nil otherwise (the scan bit is then released).
private func takeForCompaction(_ gp: Goroutine, force: Bool, sparingSleepersDueBefore soon: Int64?) -> Compaction? {
    guard gp.tryAcquireScan() else { return nil }
    if let soon, gp.waitReason == .sleep, gp.sleepUntil < soon {
        gp.releaseScan() // due soon: left as it is, unmarked
        return nil
    }
    switch gp.parkedStackState {
    case .compacted:
        gp.releaseScan()
        return nil
    case .none where !force:
        gp.parkedStackState = .seenParked // compacted by the next pass if still parked
        gp.releaseScan()
        return nil
    default:
        break
    }
    guard let stack = gp.stack, let saved = gp.context.pointee.sp else { gp.releaseScan(); return nil }
    let sp = UInt(bitPattern: saved)
    guard sp >= stack.lo, sp < stack.hi, Int(stack.hi - sp) <= maxCompactedStackBytes else {
        gp.releaseScan()
        return nil
    }
    let guardLo = StackAllocator.roundDown(sp, StackAllocator.pageBytes)
    guard let record = CompactedStack.allocate(sp: sp, hi: stack.hi, guardLo: guardLo) else {
        gp.releaseScan()
        return nil
    }
    let live = Int(stack.hi - sp)
    let source = UnsafeRawPointer(bitPattern: sp)!
    let w = gp.waiter
    var channel: ChannelBase? = nil
    var element: UnsafeMutableRawPointer? = nil
    if let e = w.element, UInt(bitPattern: e) >= stack.lo, UInt(bitPattern: e) < stack.hi {
        // Step 2: the channel partner's pointer into this stack, redirected to the record.
        guard gp.waitReason == .chanSend || gp.waitReason == .chanReceive,
              let ch = w.channel as? ChannelBase, UInt(bitPattern: e) >= sp else {
            record.deallocateRecord()
            gp.releaseScan()
            return nil
        }
        ch.lock.lock()
        // A waiter already dequeued (a partner or close took it) belongs to a goroutine
        // that is about to run: its stack would come back at once, and whoever readies it
        // would wait on the scan bit meanwhile (a close of a channel with thousands of
        // receivers, while the pacer walks the same goroutines in the same order).
        guard ch.isQueued(w) else {
            ch.lock.unlock()
            record.deallocateRecord()
            gp.releaseScan()
            return nil
        }
        gb_stack_copy(record.bytes, source, live)
        w.element = record.bytes + Int(UInt(bitPattern: e) - sp)
        ch.lock.unlock()
        channel = ch
        element = e
    } else {
        gb_stack_copy(record.bytes, source, live)
    }
    gb_stack_compaction_hide(gp.context)
    return Compaction(g: gp, record: record, lo: stack.lo, dedicated: stack.dedicated,
                      channel: channel, element: element)
}

/// Step 3 for a batch: gives back the pages of the stacks, adjacent slots with one
/// madvise (the guard regions between them stay), guards the pages that held live bytes
/// (all the batch's ranges in one process_madvise where the kernel allows it) and hands
/// the records to their Gs; where the kernel refused a guard, the copy is undone.
private func flushCompactions(_ batch: inout [Compaction], _ s: Scheduler,
                              _ totals: inout (stacks: Int, keptBytes: Int, releasedBytes: Int)) {
    if batch.isEmpty { return }
    batch.sort { $0.lo < $1.lo }
    var i = 0
    while i < batch.count {
        var j = i
        while j + 1 < batch.count, !batch[j].dedicated, !batch[j + 1].dedicated,
              batch[j + 1].lo == batch[j].hi + UInt(StackAllocator.guardBytes) {
            j += 1
        }
        // The whole of each stack, live part included (the records hold it): nothing
        // below a saved stack pointer is live, and the live pages are guarded next.
        let lo = UnsafeMutableRawPointer(bitPattern: batch[i].lo)
        let bytes = Int(batch[j].hi - batch[i].lo)
        totals.releasedBytes += gb_resident_bytes(lo, bytes)
        _ = gb_release_pages(lo, bytes)
        i = j + 1
    }
    var addresses = batch.map { $0.guardLo }
    var lengths = batch.map { Int($0.hi - $0.guardLo) }
    let guarded = Int(gb_guard_install_ranges(&addresses, &lengths, Int32(batch.count)))
    for k in 0..<guarded {
        let c = batch[k]
        c.g.compactedStack = c.record
        c.g.parkedStackState = .compacted
        totals.stacks += 1
        totals.keptBytes += c.record.pointee.liveBytes
        c.g.releaseScan()
    }
    if guarded < batch.count {
        if errno == EINVAL { s.scavenger.compactionDisabled = true }
        // The range that failed may be guarded in part: its pages come back as zero
        // pages, and every live byte from the records.
        if gb_guard_remove(UnsafeMutableRawPointer(bitPattern: addresses[guarded]), lengths[guarded]) != 0 {
            fatal("scavenger: cannot remove a stack guard after a failed install (errno \(errno))")
        }
        for k in guarded..<batch.count { undoCompaction(batch[k]) }
    }
    batch.removeAll(keepingCapacity: true)
}

private func undoCompaction(_ c: Compaction) {
    let r = c.record.pointee
    let target = UnsafeMutableRawPointer(bitPattern: r.sp)!
    if let ch = c.channel {
        ch.lock.lock()
        gb_stack_copy(target, c.record.bytes, r.liveBytes)
        c.g.waiter.element = c.element
        ch.lock.unlock()
    } else {
        gb_stack_copy(target, c.record.bytes, r.liveBytes)
    }
    gb_stack_compaction_show(c.g.context)
    c.record.deallocateRecord()
    c.g.releaseScan()
}

/// Step 4, on g0 before `gp` runs (execute): a compacted stack comes back where it was;
/// the mark of a pass that saw the G parked is cleared.
@inline(never)
func resumeParkedStack(_ gp: Goroutine) {
    if gp.parkedStackState == .compacted, let record = gp.compactedStack {
        let r = record.pointee
        guard let saved = gp.context.pointee.sp, UInt(bitPattern: saved) == r.sp else {
            fatal("scavenger: goroutine \(gp.id)'s compacted stack does not match its context")
        }
        if gb_guard_remove(UnsafeMutableRawPointer(bitPattern: r.guardLo), Int(r.hi - r.guardLo)) != 0 {
            fatal("scavenger: cannot remove the guard of goroutine \(gp.id)'s compacted stack (errno \(errno))")
        }
        gb_stack_copy(UnsafeMutableRawPointer(bitPattern: r.sp)!, record.bytes, r.liveBytes)
        gb_stack_compaction_show(gp.context)
        record.deallocateRecord()
        gp.compactedStack = nil
        Statistics.shared.add(.stacksRestored)
    }
    gp.parkedStackState = .none
}

// MARK: - The stack pacer

/// No pacer pass before the standard stacks out of the pool hold this much.
let stackPacerFloorBytes = 4 << 20
/// A sleeper due within this is not a long-parked goroutine for the pacer (10 ms, the
/// scheduler's time slice).
let pacerShortSleepNanoseconds: Int64 = 10_000_000

/// Sets the pacer's first trigger (at start-up), unless it is off or compaction cannot
/// work here (the back end; the kernel's guards are checked by each pass).
func startStackPacer(_ s: Scheduler) {
    guard s.configuration.stackPacerPercent != nil, gb_context_backend() == Int32(GB_CONTEXT_ASM) else { return }
    s.stacks.setPacerTrigger(stackPacerFloorBytes / StackAllocator.pageBytes)
}

/// The allocator's trigger was reached (StackAllocator.refill, outside its lock): the
/// flag is set, and sysmon woken for the pass.
func stackPacerRequested(_ stacks: StackAllocator) {
    gb_store_release_u32(stacks.pacerRequest, 1)
    guard let s = sched, s.stacks === stacks, s.sysmonState.started else { return }
    s.sysmonState.note.wakeup()
}

/// Sysmon's side, each round: runs a pacer pass when one was asked for; true when it ran.
func stackPacerTick(_ s: Scheduler) -> Bool {
    let stacks = s.stacks
    guard gb_load_acquire_u32(stacks.pacerRequest) != 0 else { return false }
    gb_store_release_u32(stacks.pacerRequest, 0)
    runStackPacer(s)
    return true
}

/// One pacer pass (on sysmon's thread): compacts every parked goroutine's stack (but a
/// sleeper's due within pacerShortSleepNanoseconds), then
/// sets the next trigger at GOBENCH_STACKGC percent more bytes held than now.
private func runStackPacer(_ s: Scheduler) {
    guard let percent = s.configuration.stackPacerPercent, compactionSupported(s) else { return }
    let start = gb_nanotime()
    let totals = compactParkedStacks(s, force: true, fromStart: true, deadline: .max, sparingSleepers: true)
    let stats = Statistics.shared
    let compacted = stats[.stacksCompacted], restored = stats[.stacksRestored]
    let compactedLive = Int(compacted >= restored ? compacted - restored : 0)
    // A record: its header, the live bytes (their mean) and malloc's word.
    let record = CompactedStack.headerBytes + 16
        + (compacted > 0 ? Int(stats[.compactedStackBytes] / compacted) : 512)
    let page = StackAllocator.pageBytes
    let inUse = s.stacks.outstandingCount
    let held = max(0, inUse - compactedLive) * page + min(compactedLive, inUse) * record
    let goal = max(stackPacerFloorBytes, held + held / 100 * percent)
    s.stacks.setPacerTrigger(inUse + max(1, (goal - held) / page))
    stats.add(.stackPacerPasses)
    if s.configuration.scavengeTrace {
        let line = "stackgc \(totals.stacks) stacks compacted (\(totals.keptBytes >> 10) KiB kept, \(totals.releasedBytes >> 10) KiB released) in \((gb_nanotime() - start) / 1000) us, \(held >> 10) KiB held, next at \(goal >> 10) KiB\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
    }
}

// MARK: - Free goroutines

/// Step 1: detaches the free Gs beyond the retained count and notes the quiescent words
/// of every M after the detach (a batch still pending from an earlier pass joins it).
private func detachFreeGoroutines(_ s: Scheduler) {
    // Immortal objects that cannot be made mortal again are kept (never wrong).
    if immortalObjectsWork && !immortalObjectsCanBeFreed { return }
    let st = s.scavenger
    let detached = detachFreeGoroutines(s, retain: s.configuration.scavengeRetainGoroutines)
    if detached.isEmpty { return }
    st.pendingFree.append(contentsOf: detached)
    // Read after the detach: an M that is quiescent from here on cannot reach them.
    st.pendingSnapshot = quiescentSnapshot(s)
}

/// Step 4: frees the detached Gs once every M has been quiescent since the detach;
/// returns how many it freed.
private func freeGoroutinesAfterGracePeriod(_ s: Scheduler, force: Bool) -> Int {
    let st = s.scavenger
    if st.pendingFree.isEmpty { return 0 }
    // Often over already (the other Ms asleep), or in a few microseconds (they run short
    // goroutines and pass through their scheduling loops). A periodic pass waits up to
    // 200 µs and otherwise leaves it to the next pass (an M may run one goroutine for
    // long); a forced one waits up to 100 ms.
    var waited: Int64 = 0
    let patience: Int64 = force ? 100_000_000 : 200_000
    let step: Int64 = force ? 1_000_000 : 50_000
    while !gracePeriodEnded(st.pendingSnapshot) {
        if waited >= patience { return 0 }
        Runtime.sleep(nanoseconds: step)
        waited += step
    }
    return freeDetached(st)
}

/// Takes the free Gs beyond `retain` off the global free list and out of allGoroutines;
/// returns their addresses, each holding one reference (a no-op on an immortal G). Out
/// of line: no reference of its frame outlives it.
@inline(never)
private func detachFreeGoroutines(_ s: Scheduler, retain: Int) -> [UInt] {
    // Under freeLock only the cut (spawns take from this list); the detached chain is
    // this pass's alone afterwards.
    s.freeLock.lock()
    if s.globalFreeCount <= retain {
        s.freeLock.unlock()
        return []
    }
    // The oldest go (the front); the newest `retain` stay.
    var cut: [UInt] = []
    cut.reserveCapacity(s.globalFreeCount - retain)
    s.globalFreeList.removeFront(s.globalFreeCount - retain) { cut.append($0) }
    s.globalFreeChanged()
    s.freeLock.unlock()
    var words: [UInt] = []
    var pinned: [Goroutine] = []
    for w in cut {
        let g = Goroutine.from(word: w)
        if g.pinned { pinned.append(g) } else { words.append(UInt(bitPattern: Unmanaged.passRetained(g).toOpaque())) }
    }
    if !pinned.isEmpty { // back on the list (the main goroutine, if it ended by Goexit)
        s.freeLock.lock()
        for g in pinned { s.globalFreePush(g) }
        s.freeLock.unlock()
    }
    // Out of allGoroutines, in chunks so that spawns are not held up for long.
    var i = 0
    while i < words.count {
        s.allGLock.lock()
        for w in words[i..<min(words.count, i + 4096)] {
            let gp = Goroutine.from(word: w)
            let at = gp.allIndex
            let lastIndex = s.allGoroutines.count - 1
            precondition(at >= 0 && at <= lastIndex && s.allGoroutines[at] === gp, "scavenger: goroutine not in allGoroutines")
            if at != lastIndex {
                let moved = s.allGoroutines[lastIndex]
                s.allGoroutines[at] = moved
                moved.allIndex = at
            }
            s.allGoroutines.removeLast()
            gp.allIndex = -1
        }
        s.allGLock.unlock()
        i += 4096
        Runtime.preemptionPoint()
    }
    s.allGLock.lock()
    if s.allGoroutines.capacity > 4096 && s.allGoroutines.count * 4 < s.allGoroutines.capacity {
        var shrunk: [Goroutine] = []
        shrunk.reserveCapacity(s.allGoroutines.count * 2)
        shrunk.append(contentsOf: s.allGoroutines)
        s.allGoroutines = shrunk
    }
    s.allGLock.unlock()
    return words
}

/// Every M's quiescent word, read after what was detached is out of reach (the fence
/// orders those stores before these loads).
private func quiescentSnapshot(_ s: Scheduler) -> [(Machine, UInt64)] {
    gb_fence_seq_cst()
    s.lock.lock()
    let machines = s.synced.allM
    s.lock.unlock()
    return machines.map { ($0, gb_load_acquire_u64($0.quiescentWord)) }
}

/// True when every M of `snapshot` has been quiescent since it was taken.
private func gracePeriodEnded(_ snapshot: [(Machine, UInt64)]) -> Bool {
    let me = Machine.current
    let running = me?.current
    for (m, word) in snapshot {
        if word & 1 != 0 { continue } // asleep then, holding none
        if gb_load_acquire_u64(m.quiescentWord) != word { continue } // passed one since
        if m === me, let running, m.framesHoldOnly(running) { continue } // this pass's own M
        return false
    }
    return true
}

/// Frees the pending batch (its grace period is over).
private func freeDetached(_ st: ScavengerState) -> Int {
    gb_malloc_fix_trim_threshold()
    let words = st.pendingFree
    st.pendingFree = []
    st.pendingSnapshot = []
    for (k, w) in words.enumerated() {
        freeGoroutine(UnsafeMutableRawPointer(bitPattern: w)!)
        if k & 4095 == 4095 { Runtime.preemptionPoint() }
    }
    Statistics.shared.add(.goroutinesFreed, UInt64(words.count))
    return words.count
}

/// The waiter's address, read while the G is still immortal (out of line: the references
/// this takes end before the G is made mortal).
@inline(never)
private func waiterAddress(_ raw: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer {
    Unmanaged.passUnretained(Unmanaged<Goroutine>.fromOpaque(raw).takeUnretainedValue().waiter).toOpaque()
}

/// Drops the last reference to a detached G: its deinit frees its side allocations and
/// releases its waiter. Immortal Gs (and their waiters) are made mortal first.
private func freeGoroutine(_ raw: UnsafeMutableRawPointer) {
    if immortalObjectsCanBeFreed {
        let waiter = waiterAddress(raw)
        makeMortal(waiter)
        makeMortal(raw)
    }
    gb_swift_release(raw)
}
