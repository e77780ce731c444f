// The scavenger's memory work (Runtime/Scavenger.swift): parked stacks compacted and
// restored intact, whatever a goroutine parked in; compaction racing with wake-ups; free
// goroutines given back to the allocator after a grace period, and the runtime going on
// correctly with new ones.
import XCTest
import CRuntime
@testable import Runtime

/// A heap object a frame holds across the park (its reference count must survive).
private final class FrameBox {
    let value: UInt64
    init(_ value: UInt64) { self.value = value }
}

private func pattern(_ seed: UInt64, _ i: Int) -> UInt64 {
    (seed &+ UInt64(i)) &* 0x9E37_79B9_7F4A_7C15 ^ 0xA5A5_A5A5_5A5A_5A5A
}

/// Touches `depth` KiB of stack below the caller and returns (those pages stay resident
/// below the stack pointer, for the scavenger to take back).
@inline(never)
private func touchStack(depth: Int) -> UInt64 {
    if depth == 0 { return 0 }
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 128) { buf in
        fillFrame(buf, depth) // (out of line: an optimized build keeps the 1 KiB buffer)
        return buf[depth % 128] &+ touchStack(depth: depth - 1)
    }
}

@inline(never)
private func fillFrame(_ buf: UnsafeMutableBufferPointer<UInt64>, _ depth: Int) {
    for i in buf.indices { buf[i] = UInt64(depth &* i) }
}

/// Fills a frame on the goroutine's stack (values in three 1 KiB buffers, the most Swift
/// puts on a goroutine's stack at once; pointers into them; a heap reference), runs
/// `park` (which parks the goroutine), and checks the frame afterwards. Returns false
/// when anything on the stack changed.
@inline(never)
private func parkWithFrame(seed: UInt64, touchKiB: Int = 0, _ park: () -> Void) -> Bool {
    let words = 128
    let box = FrameBox(seed)
    return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { a in
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { b in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { c in
                let buffers = [a, b, c]
                for (k, buf) in buffers.enumerated() { for i in 0..<words { buf[i] = pattern(seed &+ UInt64(k), i) } }
                return withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<UInt64>.self, capacity: 24) { ptrs in
                    for i in 0..<24 { ptrs[i] = buffers[i % 3].baseAddress! + (i * 7) % words }
                    let local = (seed, ~seed, seed &* 3)
                    _ = touchStack(depth: touchKiB)
                    park()
                    var ok = local == (seed, ~seed, seed &* 3) && box.value == seed
                    for (k, buf) in buffers.enumerated() {
                        for i in 0..<words where buf[i] != pattern(seed &+ UInt64(k), i) { ok = false }
                    }
                    for i in 0..<24 {
                        let target = buffers[i % 3].baseAddress! + (i * 7) % words
                        if ptrs[i] != target || ptrs[i].pointee != pattern(seed &+ UInt64(i % 3), (i * 7) % words) { ok = false }
                    }
                    return ok
                }
            }
        }
    }
}

private struct Payload: Equatable {
    var index: Int
    var text: String
    var numbers: [Int]
    init(_ index: Int) {
        self.index = index
        text = "payload \(index) " + String(repeating: "x", count: abs(index) % 40)
        numbers = Array(0..<(abs(index) % 9))
    }
}

final class StackCompactionTests: XCTestCase {
    /// Goroutines parked on a channel, compacted by Runtime.scavenge, resume with their
    /// frames intact (values, pointers into the frame, a heap reference) and with the value
    /// sent to each; the statistics count the compactions and the restores, and the
    /// stacks' pages go back while they are parked.
    /// The compaction's test for a channel waiter (takeForCompaction): one still queued may
    /// be compacted; one a partner or close has dequeued belongs to a goroutine about to
    /// run, and is left alone.
    func testOnlyAWaiterStillQueuedCountsAsQueued() {
        let ch = Channel<Int>()
        let a = Waiter(), b = Waiter(), c = Waiter()
        ch.lock.lock()
        defer { ch.lock.unlock() }
        ch.receivers.enqueue(a)
        ch.receivers.enqueue(b)
        ch.senders.enqueue(c)
        XCTAssertTrue(ch.isQueued(a))
        XCTAssertTrue(ch.isQueued(b))
        XCTAssertTrue(ch.isQueued(c))
        _ = ch.receivers.dequeue()
        XCTAssertFalse(ch.isQueued(a), "dequeued from the head")
        XCTAssertTrue(ch.isQueued(b), "now the head")
        ch.senders.remove(c)
        XCTAssertFalse(ch.isQueued(c), "removed (a select that fired elsewhere)")
        _ = ch.receivers.dequeue()
        XCTAssertFalse(ch.isQueued(b))
        XCTAssertFalse(ch.isQueued(Waiter()), "never queued")
    }

    func testParkedStacksAreCompactedAndResumeIntact() throws {
        let n = 400
        var intact = 0, received = 0
        var before = RuntimeStatistics(), after = RuntimeStatistics(), restored = RuntimeStatistics()
        var supported = false
        var residentDrop = 0
        RuntimeTestSupport.run(procs: 2) {
            supported = Runtime.parkedStackCompactionSupported
            let ch = Channel<Int>()
            let good = AtomicCounter(), got = AtomicCounter()
            let wg = WaitGroup()
            wg.add(n)
            for g in 0..<n {
                go {
                    var value = -1
                    if parkWithFrame(seed: UInt64(g) &* 977, touchKiB: 12, { value = ch.receive() ?? -2 }) { good.add() }
                    if value >= 0 && value < n { got.add(Int64(value) + 1) }
                    wg.done()
                }
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) { ch.waitingReceivers == n }
            before = Runtime.statistics()
            let rssParked = residentBytes()
            Runtime.scavenge()
            residentDrop = rssParked - residentBytes()
            after = Runtime.statistics()
            for v in 0..<n { ch.send(v) }
            wg.wait()
            restored = Runtime.statistics()
            intact = Int(good.value)
            received = Int(got.value)
        }
        XCTAssertEqual(intact, n, "every goroutine found its frame intact")
        XCTAssertEqual(received, n * (n + 1) / 2, "every goroutine received one distinct value")
        guard supported else { throw XCTSkip("parked-stack compaction is not available here (ucontext or no lightweight guards); resumption was checked") }
        XCTAssertGreaterThanOrEqual(after[.stacksCompacted] - before[.stacksCompacted], UInt64(n), "\(after)")
        XCTAssertGreaterThan(after[.compactedStackBytes] - before[.compactedStackBytes], UInt64(n * 3072), "each kept its 3 KiB frame")
        XCTAssertGreaterThanOrEqual(restored[.stacksRestored] - before[.stacksRestored], UInt64(n))
        XCTAssertGreaterThanOrEqual(after[.compactionReleasedBytes] - before[.compactionReleasedBytes], UInt64(n * 16384),
                                    "each stack had four pages or more resident (12 KiB touched below its frame)")
        if gb_context_sanitizer() == 0 { // (a sanitizer's shadow and quarantine dominate the resident set)
            XCTAssertGreaterThan(residentDrop, n * 8192, "net of the records, memory went back")
        }
    }

    /// Every way to park survives a compaction: channel send (a value with references)
    /// and receive, a buffered channel's full send, select (send and receive cases),
    /// Mutex, WaitGroup, sleep, close waking receivers, a goroutine with its own stack size.
    func testEveryKindOfParkSurvivesCompaction() throws {
        let perKind = 20
        var failures: [String] = []
        var compacted: UInt64 = 0
        var supported = false
        RuntimeTestSupport.run(procs: 2) {
            supported = Runtime.parkedStackCompactionSupported
            let bad = AtomicCounter(), done = WaitGroup()
            let sendCh = Channel<Payload>(), recvCh = Channel<Payload>()
            let full = Channel<Payload>(capacity: 1)
            full.send(Payload(-1))
            let selA = Channel<Payload>(), selB = Channel<Int>()
            let closing = Channel<Int>()
            let mutex = GoMutex()
            mutex.lock()
            let gate = WaitGroup()
            gate.add(1)
            let own = Channel<Int>()
            var mutexHolders = 0
            let parked = AtomicCounter()
            let badKinds = RunOnceBitmap(count: 10)
            let receivedOnce = RunOnceBitmap(count: perKind), selectedOnce = RunOnceBitmap(count: perKind)
            func spawn(_ kind: Int, _ i: Int, _ body: @escaping () -> Bool) {
                done.add(1)
                go {
                    if !parkWithFrame(seed: UInt64(kind * 1000 + i), { parked.add(); if !body() { bad.add(); badKinds.mark(kind) } }) {
                        bad.add()
                        badKinds.mark(kind)
                    }
                    done.done()
                }
            }
            for i in 0..<perKind {
                spawn(1, i) { sendCh.send(Payload(i)); return true }
                spawn(2, i) {
                    guard let v = recvCh.receive(), (1000..<1000 + perKind).contains(v.index), v == Payload(v.index) else { return false }
                    receivedOnce.mark(v.index - 1000)
                    return true
                }
                spawn(3, i) { full.send(Payload(2000 + i)); return true }
                spawn(4, i) {
                    var got: Payload? = nil
                    Runtime.select([.receive(selA) { v, _ in got = v }])
                    guard let v = got, (3000..<3000 + perKind).contains(v.index), v == Payload(v.index) else { return false }
                    selectedOnce.mark(v.index - 3000)
                    return true
                }
                spawn(5, i) { Runtime.select([.send(selB, 4000 + i)]) >= 0 }
                spawn(6, i) { closing.receive() == nil }
                spawn(7, i) { mutex.lock(); mutexHolders += 1; mutex.unlock(); return true }
                spawn(8, i) { gate.wait(); return true }
                spawn(9, i) { Runtime.sleep(nanoseconds: 1_000_000_000); return true }
            }
            done.add(1)
            Runtime.spawn(stackBytes: 1 << 20) {
                if !parkWithFrame(seed: 99, { parked.add(); if own.receive() != 7 { bad.add() } }) { bad.add() }
                done.done()
            }
            // All parked (the sleepers have a second): compact them all.
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) { parked.value == Int64(9 * perKind + 1) }
            Runtime.sleep(nanoseconds: 20_000_000)
            let before = Runtime.statistics()[.stacksCompacted]
            Runtime.scavenge()
            compacted = Runtime.statistics()[.stacksCompacted] - before
            // Wake them all.
            var sent: [Int] = []
            for _ in 0..<perKind { sent.append(sendCh.receive()!.index) }
            for i in 0..<perKind { recvCh.send(Payload(1000 + i)) }
            var drained: [Int] = []
            for _ in 0..<perKind + 1 { drained.append(full.receive()!.index) }
            for i in 0..<perKind { selA.send(Payload(3000 + i)) }
            var selected: [Int] = []
            for _ in 0..<perKind { selected.append(selB.receive()!) }
            closing.close()
            mutex.unlock()
            gate.done()
            own.send(7)
            done.wait()
            mutex.lock()
            if mutexHolders != perKind { failures.append("mutex holders \(mutexHolders)") }
            mutex.unlock()
            if sent.sorted() != Array(0..<perKind) { failures.append("sent \(sent.sorted())") }
            if drained.sorted() != [-1] + Array(2000..<2000 + perKind) { failures.append("buffered \(drained.sorted())") }
            if selected.sorted() != Array(4000..<4000 + perKind) { failures.append("select send \(selected.sorted())") }
            if !receivedOnce.violations().isEmpty { failures.append("received other than once: \(receivedOnce.violations())") }
            if !selectedOnce.violations().isEmpty { failures.append("select received other than once: \(selectedOnce.violations())") }
            if bad.value != 0 { failures.append("\(bad.value) goroutines found their frame or their value wrong; kinds (kind, count): \(badKinds.violations().filter { $0.runs != 0 })") }
        }
        XCTAssertEqual(failures, [])
        guard supported else { throw XCTSkip("parked-stack compaction is not available here; resumption was checked") }
        XCTAssertGreaterThanOrEqual(compacted, UInt64(9 * perKind + 1), "every parked goroutine was compacted")
    }

    /// Compaction racing with wake-ups: pairs of goroutines ping-pong values (checking
    /// their frames every round) while one goroutine runs Runtime.scavenge in a loop and
    /// the periodic scavenger runs every millisecond, at GOMAXPROCS 2.
    func testConcurrentScavengeWhileGoroutinesWake() throws {
        let pairs = 50, rounds = RuntimeTestSupport.isDebugBuild ? 1000 : 3000
        var bad: Int64 = -1, wrongValues: Int64 = -1
        var stats = RuntimeStatistics()
        var supported = false
        RuntimeTestSupport.run(procs: 2, timeoutSeconds: 120, configure: { $0.scavengeIntervalNanoseconds = 1_000_000 }) {
            supported = Runtime.parkedStackCompactionSupported
            let badFrames = AtomicCounter(), wrong = AtomicCounter(), stop = AtomicCounter()
            let wg = WaitGroup()
            for p in 0..<pairs {
                let ping = Channel<Int>(), pong = Channel<Int>()
                wg.add(2)
                go {
                    for r in 0..<rounds {
                        if !parkWithFrame(seed: UInt64(p * 100_000 + r), {
                            ping.send(r)
                            if pong.receive() != r &* 3 { wrong.add() }
                        }) { badFrames.add() }
                    }
                    ping.close()
                    wg.done()
                }
                go {
                    var r = 0
                    while true {
                        var v: Int? = nil
                        if !parkWithFrame(seed: UInt64(p * 100_000 + r) ^ 0xFFFF, { v = ping.receive() }) { badFrames.add() }
                        guard let v else { break }
                        if v != r { wrong.add() }
                        if r % 7 == 0 { Runtime.sleep(nanoseconds: 100_000) } // a timer park too
                        pong.send(v &* 3)
                        r += 1
                    }
                    wg.done()
                }
            }
            let scavenger = WaitGroup()
            scavenger.add(1)
            go {
                while stop.value == 0 {
                    Runtime.scavenge()
                    Runtime.sleep(nanoseconds: 200_000)
                }
                scavenger.done()
            }
            wg.wait()
            stop.store(1)
            scavenger.wait()
            bad = badFrames.value
            wrongValues = wrong.value
            stats = Runtime.statistics()
        }
        XCTAssertEqual(bad, 0, "frames intact across every park")
        XCTAssertEqual(wrongValues, 0, "every value arrived intact")
        guard supported else { throw XCTSkip("parked-stack compaction is not available here; the ping-pong was checked") }
        XCTAssertGreaterThan(stats[.stacksCompacted], 0, "\(stats)")
        XCTAssertGreaterThan(stats[.stacksRestored], 0, "\(stats)")
    }

    /// The periodic scavenger compacts goroutines parked since its previous pass, without
    /// Runtime.scavenge.
    func testPeriodicScavengerCompactsLongParkedGoroutines() throws {
        var compacted: UInt64 = 0
        var intact = 0
        var supported = false
        RuntimeTestSupport.run(procs: 2, configure: { $0.scavengeIntervalNanoseconds = 2_000_000 }) {
            supported = Runtime.parkedStackCompactionSupported
            let ch = Channel<Int>(), good = AtomicCounter(), wg = WaitGroup()
            wg.add(100)
            for g in 0..<100 {
                go {
                    if parkWithFrame(seed: UInt64(g), { _ = ch.receive() }) { good.add() }
                    wg.done()
                }
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) {
                Runtime.statistics()[.stacksCompacted] >= 100 || !supported
            }
            compacted = Runtime.statistics()[.stacksCompacted]
            ch.close()
            wg.wait()
            intact = Int(good.value)
        }
        XCTAssertEqual(intact, 100)
        guard supported else { throw XCTSkip("parked-stack compaction is not available here") }
        XCTAssertGreaterThanOrEqual(compacted, 100, "the periodic passes compacted the long-parked goroutines")
    }

    /// The stack pacer (Scavenger.swift, "The stack pacer"), with the scavenger off: a
    /// parked population that grows in waves past the pacer's floor is compacted as it
    /// grows, without Runtime.scavenge; every goroutine resumes with its frame intact and
    /// its value; every compacted stack is restored; and once they have all ended, every
    /// standard stack out of the pool is in a P's cache or held by a live goroutine.
    func testStackPacerCompactsAGrowingParkedPopulation() throws {
        let waves = 4, perWave = 2000, n = waves * perWave
        var supported = false
        var passes: UInt64 = 0, compacted: UInt64 = 0, restored: UInt64 = 0
        var intact = 0, received = 0, stillCompacted = 0
        var leak = ""
        RuntimeTestSupport.run(procs: 2) {
            supported = Runtime.parkedStackCompactionSupported
            let base = Runtime.statistics()
            let ch = Channel<Int>(), good = AtomicCounter(), got = AtomicCounter(), wg = WaitGroup()
            wg.add(n)
            for wave in 0..<waves {
                for k in 0..<perWave {
                    let g = wave * perWave + k
                    go {
                        var value = -1
                        if parkWithFrame(seed: UInt64(g) &* 31, { value = ch.receive() ?? -2 }) { good.add() }
                        if value >= 0 && value < n { got.add(Int64(value) + 1) }
                        wg.done()
                    }
                }
                _ = RuntimeTestSupport.waitInGoroutine(seconds: 20) { ch.waitingReceivers == (wave + 1) * perWave }
                // The pass this wave asked for (sysmon runs it): it compacts the
                // goroutines it finds parked.
                Self.waitForStackPacerPass(seconds: 5, supported: supported)
            }
            let parked = Runtime.statistics()
            passes = parked[.stackPacerPasses] - base[.stackPacerPasses]
            compacted = parked[.stacksCompacted] - base[.stacksCompacted]
            for v in 0..<n { ch.send(v) }
            wg.wait()
            restored = Runtime.statistics()[.stacksRestored] - base[.stacksRestored]
            intact = Int(good.value)
            received = Int(got.value)
            let s = sched!
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) { Runtime.numGoroutine() == 1 }
            s.withWorldStopped {
                s.allGLock.lock()
                let all = s.allGoroutines
                s.allGLock.unlock()
                let held = all.filter { $0.status != .dead && $0.stack.map { !$0.dedicated } == true }.count
                let cached = s.allP.reduce(0) { $0 + $1.stackCache.count }
                let outstanding = s.stacks.outstandingCount
                let carved = s.stacks.reservations.count * StackAllocator.slotsPerReservation
                if outstanding != cached + held || s.stacks.pooledCount + outstanding != carved {
                    leak = "outstanding \(outstanding), cached \(cached), held \(held), pooled \(s.stacks.pooledCount), carved \(carved)"
                }
                // Still compacted: only the scavenger, parked for good (its interval is off).
                let compactedNow = all.filter { $0.status != .dead && $0.parkedStackState == .compacted }
                stillCompacted = compactedNow.count
                if compactedNow.contains(where: { !$0.isSystem }) { leak += " a user goroutine is still compacted" }
            }
        }
        XCTAssertEqual(intact, n, "every goroutine found its frame intact")
        XCTAssertEqual(received, n * (n + 1) / 2, "every goroutine received one distinct value")
        XCTAssertEqual(leak, "", "every standard stack is pooled, cached or held")
        guard supported else { throw XCTSkip("parked-stack compaction is not available here; resumption was checked") }
        XCTAssertGreaterThanOrEqual(passes, 2, "the growing population asked for pacer passes")
        XCTAssertGreaterThanOrEqual(compacted, UInt64(perWave / 2), "the pacer compacted goroutines of the earlier waves")
        XCTAssertEqual(restored + UInt64(stillCompacted), compacted,
                       "every compacted stack was restored when its goroutine ran, but the parked scavenger's")
    }

    /// The pacer leaves a sleeper that is due soon alone (Scavenger.swift, "Which stacks"):
    /// goroutines sleeping 1 ms at a time through the pacer's passes are never compacted
    /// (their stacks would come back within the millisecond), while goroutines sleeping
    /// 2 s, spawned in the same waves, are.
    func testStackPacerSparesSleepersDueSoon() throws {
        let waves = 4, perWave = 1500
        var supported = false
        var compacted: UInt64 = 0, restoredEarly: UInt64 = 0
        var compactedShort = 0, compactedLong = 0
        RuntimeTestSupport.run(procs: 2) {
            supported = Runtime.parkedStackCompactionSupported
            let base = Runtime.statistics()
            let stop = AtomicCounter(), wg = WaitGroup()
            wg.add(waves * perWave)
            for _ in 0..<waves {
                for k in 0..<perWave {
                    if k % 2 == 0 {
                        go { Runtime.sleep(nanoseconds: 2_000_000_000); wg.done() }
                    } else {
                        go {
                            while stop.value == 0 { Runtime.sleep(nanoseconds: 1_000_000) }
                            wg.done()
                        }
                    }
                }
                Self.waitForStackPacerPass(seconds: 1, supported: supported)
            }
            let passed = Runtime.statistics()
            compacted = passed[.stacksCompacted] - base[.stacksCompacted]
            // A compacted 1 ms sleeper would be restored within the millisecond; a 2 s
            // sleeper is still asleep.
            restoredEarly = passed[.stacksRestored] - base[.stacksRestored]
            let s = sched!
            s.withWorldStopped {
                let now = gb_nanotime()
                s.allGLock.lock()
                let all = s.allGoroutines
                s.allGLock.unlock()
                for g in all where g.status == .waiting && g.waitReason == .sleep && g.parkedStackState == .compacted {
                    if g.sleepUntil - now < 500_000_000 { compactedShort += 1 } else { compactedLong += 1 }
                }
            }
            stop.add()
            wg.wait()
        }
        guard supported else { throw XCTSkip("parked-stack compaction is not available here") }
        XCTAssertEqual(compactedShort, 0, "a 1 ms sleeper was compacted")
        // (A few may be other goroutines: main between its waits, the runtime's own.)
        XCTAssertLessThanOrEqual(restoredEarly, 10, "compacted stacks restored while the 2 s sleepers slept: 1 ms sleepers' (\(compacted) compactions)")
        XCTAssertGreaterThan(compactedLong, 0, "the pacer compacted none of the 2 s sleepers (\(compacted) compactions)")
    }

    /// Waits (in a goroutine) up to `seconds` for the pacer pass the last spawns asked for
    /// (sysmon runs it); at once where compaction is not supported.
    private static func waitForStackPacerPass(seconds: Double, supported: Bool) {
        let before = Runtime.statistics()[.stackPacerPasses]
        _ = RuntimeTestSupport.waitInGoroutine(seconds: seconds) {
            !supported || Runtime.statistics()[.stackPacerPasses] > before
        }
    }

    /// GOBENCH_STACKGC=off: the same growth asks for no pacer pass and compacts nothing.
    func testStackPacerOffCompactsNothing() throws {
        let n = 4000
        var passes: UInt64 = 0, compacted: UInt64 = 0
        RuntimeTestSupport.run(procs: 2, configure: { $0.stackPacerPercent = nil }) {
            let base = Runtime.statistics()
            let ch = Channel<Int>(), wg = WaitGroup()
            wg.add(n)
            for _ in 0..<n { go { _ = ch.receive(); wg.done() } }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 20) { ch.waitingReceivers == n }
            Runtime.sleep(nanoseconds: 20_000_000) // sysmon's rounds, had a pass been asked for
            let parked = Runtime.statistics()
            passes = parked[.stackPacerPasses] - base[.stackPacerPasses]
            compacted = parked[.stacksCompacted] - base[.stacksCompacted]
            ch.close()
            wg.wait()
        }
        XCTAssertEqual(passes, 0)
        XCTAssertEqual(compacted, 0)
    }

    /// GOBENCH_STACKGC: off or a percentage; anything else is refused with one line.
    func testStackPacerSetting() throws {
        var c = RuntimeConfiguration(procs: 1)
        XCTAssertEqual(c.stackPacerPercent, 100, "on by default, like GOGC=100")
        try c.applyEnvironment(["GOBENCH_STACKGC": "250"])
        XCTAssertEqual(c.stackPacerPercent, 250)
        try c.applyEnvironment(["GOBENCH_STACKGC": "off"])
        XCTAssertNil(c.stackPacerPercent)
        for bad in ["0", "-5", "fast", "", "100%"] {
            XCTAssertThrowsError(try c.applyEnvironment(["GOBENCH_STACKGC": bad]), bad) { error in
                XCTAssertEqual("\(error)", "runtime: invalid GOBENCH_STACKGC \"\(bad)\": expected off or a percentage from 1 to 1000000")
            }
        }
    }

    /// Free goroutines beyond the retained count are freed (out of allGoroutines, their
    /// memory back), and the runtime goes on: new bursts run correctly, reusing the
    /// retained ones and allocating new ones.
    func testFreeGoroutinesAreFreedAndTheRuntimeGoesOn() throws {
        XCTAssertTrue(immortalObjectsCanBeFreed || !immortalObjectsWork, "the mortal self-check passed")
        let n = RuntimeTestSupport.isDebugBuild ? 20_000 : 50_000
        var freed: UInt64 = 0, reuses: UInt64 = 0
        var countAfterBurst = 0, countAfterFree = 0
        var residentDrop = 0
        var sums: [Int] = []
        RuntimeTestSupport.run(procs: 2, configure: { $0.scavengeRetainGoroutines = 100 }) {
            let s = sched!
            for burst in 0..<3 {
                let wg = WaitGroup(), sum = AtomicCounter(), hold = Channel<Int>()
                wg.add(n)
                for i in 0..<n {
                    go {
                        let ok = parkWithFrame(seed: UInt64(i), { _ = hold.receive() })
                        sum.add(ok ? Int64(i) : -1_000_000_000)
                        wg.done()
                    }
                }
                // All n at once (each its own G), then all end.
                _ = RuntimeTestSupport.waitInGoroutine(seconds: 30) { hold.waitingReceivers == n }
                hold.close()
                wg.wait()
                sums.append(Int(sum.value))
                if burst == 0 {
                    s.allGLock.lock(); countAfterBurst = s.allGoroutines.count; s.allGLock.unlock()
                    let rss = residentBytes()
                    let before = Runtime.statistics()
                    Runtime.scavenge()
                    Runtime.scavenge() // a batch left for a later pass by the grace period
                    freed = Runtime.statistics()[.goroutinesFreed] - before[.goroutinesFreed]
                    residentDrop = rss - residentBytes()
                    s.allGLock.lock(); countAfterFree = s.allGoroutines.count; s.allGLock.unlock()
                    reuses = Runtime.statistics()[.freeListReuses]
                }
            }
            // Every G in the list still knows its index (the removals kept it consistent).
            s.allGLock.lock()
            for (i, g) in s.allGoroutines.enumerated() where g.allIndex != i { sums.append(-i) }
            s.allGLock.unlock()
            reuses = Runtime.statistics()[.freeListReuses] - reuses
        }
        XCTAssertEqual(sums, Array(repeating: n * (n - 1) / 2, count: 3), "every burst ran every goroutine once, frames intact")
        XCTAssertGreaterThanOrEqual(countAfterBurst, n)
        XCTAssertGreaterThanOrEqual(freed, UInt64(countAfterBurst - 100 - 2 * 64 - 10), "all but the retained ones freed")
        XCTAssertEqual(countAfterFree, countAfterBurst - Int(freed))
        XCTAssertGreaterThan(reuses, 0, "later bursts reused the retained goroutines")
        // (Under a sanitizer freed memory sits in its quarantine, and the resident set is
        // mostly its shadow: only the counts above tell.)
        if gb_context_sanitizer() == 0 {
            XCTAssertGreaterThan(residentDrop, Int(freed) * 200, "their memory went back (\(residentDrop) bytes for \(freed) goroutines)")
        }
    }

    /// The grace period: while another M runs one goroutine without a pause (it could
    /// hold a reference to a dead G), no goroutine is freed; once it stops, they are.
    func testNoGoroutineIsFreedBeforeEveryMachinePassedAQuiescentPoint() throws {
        guard immortalObjectsCanBeFreed || !immortalObjectsWork else { throw XCTSkip("goroutines are not freed here") }
        var freedWhileBusy: UInt64 = 99, freedAfter: UInt64 = 0
        // (Forced preemption off: a preempted M sleeps in a quiescent state, as in a system
        // call, and the loop below must keep its M busy.)
        RuntimeTestSupport.run(procs: 2, configure: { $0.scavengeRetainGoroutines = 10; $0.asyncPreemption = false }) {
            let wg = WaitGroup(), hold = Channel<Int>()
            wg.add(1000)
            for _ in 0..<1000 { go { _ = hold.receive(); wg.done() } } // a thousand Gs at once
            hold.close()
            wg.wait()
            let started = AtomicCounter(), stop = AtomicCounter(), ended = WaitGroup()
            ended.add(1)
            go {
                started.store(1)
                // No runtime call: this M passes no quiescent point until the loop ends.
                while stop.value == 0 { gb_cpu_relax(100) }
                ended.done()
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) { started.value == 1 }
            Runtime.sleep(nanoseconds: 5_000_000)
            let before = Runtime.statistics()[.goroutinesFreed]
            Runtime.scavenge() // waits up to 100 ms for the grace period, in vain
            freedWhileBusy = Runtime.statistics()[.goroutinesFreed] - before
            stop.store(1)
            ended.wait()
            Runtime.scavenge()
            freedAfter = Runtime.statistics()[.goroutinesFreed] - before
        }
        XCTAssertEqual(freedWhileBusy, 0, "nothing freed while an M was busy since the detach")
        XCTAssertGreaterThan(freedAfter, 500, "freed once it passed a quiescent point")
    }
}
