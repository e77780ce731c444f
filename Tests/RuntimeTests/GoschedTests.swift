// Gosched's direct switch (goschedDirect: one switch G -> G' with sched.lock handed over)
// and the locked M's direct P hand-off (stopLockedM): the order Go's global queue gives,
// every fallback to the full path, and no goroutine lost or run twice.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class GoschedTests: XCTestCase {
    /// At GOMAXPROCS=1, goroutines that only yield take turns: Gosched puts the G at the
    /// tail of the global queue and the next comes from the queues in findRunnable's order
    /// (every 61st schedule the global queue first, which may swap two neighbours, as in
    /// Go): no goroutine waits more than a couple of turns.
    func testYieldingGoroutinesTakeTurnsAtOneProc() {
        var log: [Int] = []
        RuntimeTestSupport.run(procs: 1) {
            let wg = WaitGroup()
            let ready = WaitGroup()
            let start = Channel<Int>()
            ready.add(3)
            wg.add(3)
            for id in 0..<3 {
                go {
                    ready.done()
                    _ = start.receive()
                    for _ in 0..<200 {
                        log.append(id) // one P: no lock needed, and none taken (no switch)
                        Runtime.gosched()
                    }
                    wg.done()
                }
            }
            ready.wait()
            for i in 0..<3 { start.send(i) }
            wg.wait()
        }
        XCTAssertEqual(log.count, 600)
        let steady = Array(log.dropFirst(6).dropLast(6))
        var worstGap = 0
        for id in 0..<3 {
            let at = steady.indices.filter { steady[$0] == id }
            for (a, b) in zip(at, at.dropFirst()) { worstGap = max(worstGap, b - a) }
        }
        XCTAssertLessThanOrEqual(worstGap, 5, "a yielding goroutine waited \(worstGap) turns: \(log.prefix(90))")
        // And a rotation almost everywhere (any three in a row are the three goroutines):
        // only a 61st-tick swap breaks it, for a window or two.
        let windows = steady.count - 2
        let rotating = (0..<windows).filter { Set(steady[$0..<($0 + 3)]).count == 3 }.count
        XCTAssertGreaterThan(Double(rotating) / Double(windows), 0.9, "\(log.prefix(90))")
    }

    /// The lone runnable goroutine's Gosched returns at once, and the statistics show no
    /// switch (nothing else could run).
    func testGoschedWithNothingElseRunnableReturnsAtOnce() {
        var before = RuntimeStatistics(), after = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 1) {
            let done = Channel<Int>(capacity: 1)
            go {
                before = Runtime.statistics()
                for _ in 0..<10_000 { Runtime.gosched() }
                after = Runtime.statistics()
                done.send(1)
            }
            _ = done.receive()
        }
        XCTAssertLessThan(after[.schedules] - before[.schedules], 100,
                          "a lone goroutine's 10,000 Gosched calls switched: \(after[.schedules] - before[.schedules])")
    }

    /// Yielding into goroutines that have never run (their context is made by execute)
    /// and into goroutines locked to their own thread takes the full path; all of them
    /// run exactly once and the locked one keeps its thread.
    func testGoschedFallsBackForFreshAndLockedGoroutines() {
        var ran = [Int](repeating: 0, count: 500)
        var lockedThreadChanges = 0
        var lockedRounds = 0
        RuntimeTestSupport.run(procs: 1) {
            let wg = WaitGroup()
            wg.add(2)
            let stop = Channel<Int>()
            go {
                Runtime.lockOSThread()
                let tid = Runtime.threadID
                while stop.tryReceive() == nil {
                    Runtime.gosched()
                    if Runtime.threadID != tid { lockedThreadChanges += 1 }
                    lockedRounds += 1
                }
                Runtime.unlockOSThread()
                wg.done()
            }
            go {
                let inner = WaitGroup()
                inner.add(500)
                for i in 0..<500 {
                    go { ran[i] += 1; inner.done() } // fresh: needs its context made
                    if i % 7 == 0 { Runtime.gosched() }
                }
                inner.wait()
                wg.done()
            }
            while wg.count > 1 { Runtime.gosched() }
            stop.close()
            wg.wait()
        }
        XCTAssertEqual(ran, [Int](repeating: 1, count: 500), "every fresh goroutine ran exactly once")
        XCTAssertEqual(lockedThreadChanges, 0)
        XCTAssertGreaterThan(lockedRounds, 0)
    }

    /// Two Ps, many goroutines yielding and exchanging work: every goroutine finishes and
    /// the count returns to its baseline (the handed-over lock is always released: a leak
    /// would hang the next lock taker).
    func testManyYieldersAtTwoProcs() {
        var total: Int64 = 0
        var goroutinesAfter = -1
        RuntimeTestSupport.run(procs: 2) {
            let counter = AtomicCounter()
            let wg = WaitGroup()
            let baseline = Runtime.numGoroutine()
            wg.add(64)
            for g in 0..<64 {
                go {
                    for i in 0..<2_000 {
                        counter.add()
                        if (i + g) % 3 != 0 { Runtime.gosched() }
                        if i % 500 == 0 { Runtime.sleep(nanoseconds: 10_000) }
                    }
                    wg.done()
                }
            }
            wg.wait()
            total = counter.value
            while Runtime.numGoroutine() > baseline { Runtime.gosched() }
            goroutinesAfter = Runtime.numGoroutine() - baseline
        }
        XCTAssertEqual(total, 64 * 2_000)
        XCTAssertEqual(goroutinesAfter, 0)
    }

    /// A ping-pong between two locked goroutines at GOMAXPROCS=1 hands the P from one
    /// locked M to the other directly (one wake-up per switch): each stays on its thread,
    /// and the locked hand-offs are counted.
    func testLockedPingPongHandsThePDirectly() {
        var changes = 0
        var handoffs: UInt64 = 0
        var rounds = 0
        RuntimeTestSupport.run(procs: 1) {
            let ping = Channel<Int>(), pong = Channel<Int>()
            let wg = WaitGroup()
            wg.add(2)
            let before = Runtime.statistics()
            go {
                Runtime.lockOSThread()
                let tid = Runtime.threadID
                while let v = ping.receive() {
                    if Runtime.threadID != tid { changes += 1 }
                    pong.send(v)
                }
                Runtime.unlockOSThread()
                wg.done()
            }
            go {
                Runtime.lockOSThread()
                let tid = Runtime.threadID
                for i in 0..<500 {
                    ping.send(i)
                    if pong.receive() != i { changes += 1000 }
                    if Runtime.threadID != tid { changes += 1 }
                    rounds += 1
                }
                ping.close()
                Runtime.unlockOSThread()
                wg.done()
            }
            wg.wait()
            handoffs = Runtime.statistics()[.lockedHandoffs] - before[.lockedHandoffs]
        }
        XCTAssertEqual(rounds, 500)
        XCTAssertEqual(changes, 0)
        XCTAssertGreaterThanOrEqual(handoffs, 1000, "two locked hand-offs per round trip")
    }
}
