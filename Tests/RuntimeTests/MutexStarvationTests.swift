// GoMutex's starvation mode (Runtime/Sync.swift), in a child process (a broken hand-off
// hangs: the time limit turns that into a failure).
import XCTest
import Runtime

final class MutexStarvationTests: XCTestCase {
    func testWaitersPastOneMillisecondGetTheMutexInFIFOOrder() throws {
        let result = try RuntimeTestSupport.runScenario("mutex-starvation", timeoutSeconds: 30)
        XCTAssertFalse(result.timedOut, result.standardError)
        XCTAssertEqual(result.status, 0, result.standardError)
        // Main holds it, and in normal mode takes it back before the woken waiter runs
        // (its second "main"). The woken w1 has waited > 1 ms: it switches the mutex to
        // starvation mode and queues again at the front; main's next unlock hands it
        // straight to w1, then w2, w3 in their arrival order, before main gets it again.
        // w3, the last waiter, leaves starvation mode.
        XCTAssertEqual(result.standardOutputLines, [
            "main main w1(starving) w2(starving) w3 main main main",
            "starving at the end: false",
        ])
    }

    func testManyGoroutinesLoseNoUpdateAndTheStateEndsClean() {
        // Contention at GOMAXPROCS 2 with sleeps inside the critical section (so waits
        // pass 1 ms and the mode switches back and forth) and without.
        var counter = 0
        var starvingAfter = true
        RuntimeTestSupport.run(procs: 2) {
            let mu = GoMutex()
            let wg = WaitGroup()
            for g in 0..<8 {
                wg.add(1)
                go {
                    for i in 0..<300 {
                        mu.lock()
                        counter += 1
                        if (g + i) % 50 == 0 { Runtime.sleep(nanoseconds: 1_500_000) }
                        mu.unlock()
                    }
                    wg.done()
                }
            }
            wg.wait()
            starvingAfter = mu.isStarving
            XCTAssertTrue(mu.tryLock())
            XCTAssertFalse(mu.tryLock())
            mu.unlock()
        }
        XCTAssertEqual(counter, 8 * 300)
        XCTAssertFalse(starvingAfter)
    }
}
