// Per-P timer heaps (Timers.swift): a sleep's timer goes to the heap of the P it ran on;
// the timers of a P that GOMAXPROCS removes move to P 0; a timer in the heap of a P busy
// with a long-running goroutine is run by another M.
import XCTest
import CRuntime
@testable import Runtime

final class TimerHeapTests: XCTestCase {
    func testSleepersOnRemovedPsWakeAfterGomaxprocsShrinks() {
        let sleepers = 400
        var ranOn = Set<Int>()
        var heldByRemoved = -1
        var heldAfterShrink = -1
        var movedToP0 = -1
        var woke: Int64 = 0
        RuntimeTestSupport.run(procs: 4) {
            let s = sched!
            let lock = RuntimeLock()
            let asleep = AtomicCounter(), wokeCounter = AtomicCounter()
            let wg = WaitGroup()
            wg.add(sleepers)
            for i in 0..<sleepers {
                go {
                    // A little work first, so that the other Ps steal some of them.
                    var x = UInt64(i + 1)
                    for _ in 0..<20_000 { x ^= x << 13; x ^= x >> 7; x ^= x << 17 }
                    if x == 0 { print(x) }
                    let p = inRuntime { Machine.current!.p!.id }
                    lock.lock(); ranOn.insert(p); lock.unlock()
                    asleep.add()
                    Runtime.sleep(nanoseconds: 300_000_000)
                    wokeCounter.add()
                    wg.done()
                }
            }
            while asleep.value < Int64(sleepers) { Runtime.sleep(nanoseconds: 1_000_000) }
            Runtime.sleep(nanoseconds: 5_000_000) // (the last ones park)
            heldByRemoved = s.allP[1...].reduce(0) { $0 + $1.timers.count }
            _ = Runtime.gomaxprocs(1)
            heldAfterShrink = s.retiredProcessors.values.reduce(0) { $0 + $1.timers.count }
            movedToP0 = s.allP[0].timers.count
            wg.wait()
            woke = wokeCounter.value
        }
        XCTAssertGreaterThan(ranOn.count, 1, "the sleepers ran on one P only (no steal in 400 goroutines): \(ranOn)")
        XCTAssertGreaterThan(heldByRemoved, 0, "no timer was in the heap of a P that the resize removes")
        XCTAssertEqual(heldAfterShrink, 0, "the removed Ps kept timers")
        XCTAssertGreaterThanOrEqual(movedToP0, heldByRemoved, "P 0 did not get the removed Ps' timers")
        XCTAssertEqual(woke, Int64(sleepers))
    }

    func testTimerOfABusyPIsRunByAnotherM() {
        // The sleeper's P runs a goroutine that never reaches a preemption point until the
        // sleeper has woken (or 5 s have passed): only another M can run the timer.
        var sleeperP = -1, hogP = -1
        var wokeWhileHogRan = false
        var hogsStarted: Int64 = 0
        RuntimeTestSupport.run(procs: 2) {
            let woke = AtomicCounter(), hogStarted = AtomicCounter()
            let done = WaitGroup()
            done.add(2)
            go {
                sleeperP = inRuntime { Machine.current!.p!.id }
                // The hog goes to this P's runnext: it runs here as soon as we park.
                go {
                    hogP = inRuntime { Machine.current!.p!.id }
                    hogStarted.add()
                    let deadline = gb_nanotime() + 5_000_000_000
                    while woke.value == 0 && gb_nanotime() < deadline {}
                    wokeWhileHogRan = woke.value != 0
                    done.done()
                }
                Runtime.sleep(nanoseconds: 20_000_000)
                woke.add()
                done.done()
            }
            done.wait()
            hogsStarted = hogStarted.value
        }
        XCTAssertEqual(hogsStarted, 1)
        XCTAssertTrue(wokeWhileHogRan, "the sleeper did not wake while a hog held P \(hogP) (it slept on P \(sleeperP))")
    }

    func testHeapsOfEveryPAreOnTheListOnce() {
        var listed: [ObjectIdentifier] = []
        var expected: Set<ObjectIdentifier> = []
        RuntimeTestSupport.run(procs: 3) {
            _ = Runtime.gomaxprocs(1)
            _ = Runtime.gomaxprocs(4)
            let s = sched!
            s.timers.forEachHeap { listed.append(ObjectIdentifier($0)) }
            expected = Set(s.allP.map { ObjectIdentifier($0.timers) })
        }
        XCTAssertEqual(listed.count, 4, "a P's heap is listed once, reused Ps are not listed again")
        XCTAssertEqual(Set(listed), expected)
    }
}
