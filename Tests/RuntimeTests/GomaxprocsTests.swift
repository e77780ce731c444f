// GOMAXPROCS as Go has it: n <= 0 only reads (no stop-the-world); shrinking moves the
// removed Ps' queues to the head of the global queue in Go's order (procresize destroys
// Ps upward, each putting its queue at the head, so the last P's goroutines come first).
import XCTest
import CRuntime
@testable import Runtime

final class GomaxprocsTests: XCTestCase {
    func testNonPositiveArgumentOnlyReads() {
        var results: [Int] = []
        var stopsBefore: UInt64 = 0, stopsAfter: UInt64 = 0
        var procsAfter = 0
        RuntimeTestSupport.run(procs: 2) {
            stopsBefore = Runtime.statistics()[.stopTheWorlds]
            results.append(Runtime.gomaxprocs(0))
            results.append(Runtime.gomaxprocs(-1))
            results.append(Runtime.gomaxprocs(Int.min))
            stopsAfter = Runtime.statistics()[.stopTheWorlds]
            procsAfter = sched!.gomaxprocs
        }
        XCTAssertEqual(results, [2, 2, 2], "GOMAXPROCS(n <= 0) returns the current setting")
        XCTAssertEqual(stopsAfter, stopsBefore, "GOMAXPROCS(n <= 0) must not stop the world")
        XCTAssertEqual(procsAfter, 2, "GOMAXPROCS(n <= 0) must not change the setting")
    }

    func testShrinkPutsRemovedQueuesAtTheGlobalHeadInGosOrder() {
        var globalOrder: [Int64] = []
        var expected: [Int64] = []
        var runOrder: [Int64] = []
        var ranEarly = 0
        var procsAfter = 0
        RuntimeTestSupport.run(procs: 1) {
            let s = sched!
            let lock = RuntimeLock()
            let released = AtomicCounter()
            let wg = WaitGroup()
            // Main must not yield at one of the spawns below (the spawned goroutines would
            // run on its P at once): a fresh time slice (a real switch), then a preemption
            // point that honours a request left from before the sleep (execute does not
            // clear gp.preempt as Go's does, so a stale sysmon request survives a park).
            Runtime.sleep(nanoseconds: 1_000)
            Runtime.preemptionPoint()
            for _ in 0..<6 {
                wg.add(1)
                go {
                    lock.lock()
                    if released.value == 0 { ranEarly += 1 }
                    runOrder.append(Runtime.goroutineID)
                    lock.unlock()
                    wg.done()
                }
            }
            // The world stopped (one P: nothing to wait for), as Runtime.gomaxprocs does it:
            // grow to 3 Ps, give P1 and P2 three queued goroutines each (two in the ring,
            // one in runnext), then shrink back to 1 and look at the global queue.
            s.stopTheWorld()
            s.lock.lock()
            let m = Machine.current!
            _ = s.resizeProcessors(3, caller: m)
            let queued = m.p!.runQueue.drain()
            let noOverflow: (UnsafeBufferPointer<UInt>) -> Void = { _ in fatalError("no overflow with six goroutines") }
            if queued.count == 6 {
                let p1 = s.allP[1], p2 = s.allP[2]
                for (i, word) in queued.enumerated() {
                    (i < 3 ? p1 : p2).runQueue.put(word, next: i % 3 == 2, overflow: noOverflow)
                }
                let id = { (i: Int) in Goroutine.from(word: queued[i]).id }
                // Go's p.destroy: the ring from its tail to the head of the global queue,
                // then runnext at the head: [runnext, ring...]. P1 is destroyed first, P2
                // last, so P2's goroutines lead.
                expected = [id(5), id(3), id(4), id(2), id(0), id(1)]
            } else {
                // Some already ran (ranEarly says so): give the rest back and let them finish.
                for word in queued { m.p!.runQueue.put(word, next: false, overflow: noOverflow) }
            }
            let runnable = s.resizeProcessors(1, caller: m)
            // Read the global queue by taking it one G at a time (Go's globrunqget with a
            // limit of 1: nothing goes to the local queue) and putting it back in the same
            // order (under sched.lock, with the world stopped; independent of its layout).
            var global: [Goroutine] = []
            while let gp = s.globalGet(m.p!, max: 1) { global.append(gp) }
            for gp in global { s.globalPut(gp) }
            globalOrder = global.map(\.id)
            gb_store_release_u32(s.words.gcWaiting, 0)
            s.lock.unlock()
            s.startTheWorld(runnable)
            procsAfter = Runtime.gomaxprocs(0)
            released.store(1)
            wg.wait() // one P: they run in the global queue's order
        }
        XCTAssertEqual(procsAfter, 1)
        XCTAssertEqual(ranEarly, 0, "a goroutine ran before the shrink (main preempted at a spawn?)")
        XCTAssertEqual(globalOrder, expected, "the global queue after the shrink (Go: P2's queue, then P1's, each runnext first)")
        XCTAssertEqual(runOrder, expected, "the order in which they ran at GOMAXPROCS 1")
    }
}
