// Sleep and timers (a sleeper holds no M), Mutex under contention, the start-up order,
// and both context-switch back ends.
import XCTest
import CRuntime
@testable import Runtime

final class TimersMutexStartupTests: XCTestCase {
    func testThousandSleepersAtOneProcHoldNoThread() {
        let sleepers = 1000
        var woke: Int64 = 0
        var workerRounds: Int64 = 0
        var threadsCreated: UInt64 = 0
        var elapsedNanoseconds: Int64 = 0
        RuntimeTestSupport.run(procs: 1) {
            let start = gb_nanotime()
            let wokeCounter = AtomicCounter(), rounds = AtomicCounter(), stop = AtomicCounter()
            let wg = WaitGroup()
            for i in 0..<sleepers {
                wg.add(1)
                go {
                    Runtime.sleep(nanoseconds: 50_000_000 + Int64(i % 10) * 1_000_000)
                    wokeCounter.add()
                    wg.done()
                }
            }
            // Another goroutine keeps running while they all sleep.
            let worker = WaitGroup()
            worker.add(1)
            go {
                while stop.value == 0 {
                    _ = RuntimeTestSupport.spin(rounds: 1000)
                    rounds.add()
                    Runtime.gosched()
                }
                worker.done()
            }
            wg.wait()
            stop.store(1)
            worker.wait()
            woke = wokeCounter.value
            workerRounds = rounds.value
            threadsCreated = Runtime.statistics()[.machinesCreated]
            elapsedNanoseconds = gb_nanotime() - start
        }
        XCTAssertEqual(woke, Int64(sleepers))
        XCTAssertGreaterThan(workerRounds, 10, "the worker ran while the others slept")
        // sysmon plus a few Ms: a thread per sleeper would be 1,000.
        XCTAssertLessThan(threadsCreated, 10, "sleepers must not hold threads")
        XCTAssertGreaterThanOrEqual(elapsedNanoseconds, 50_000_000, "nobody woke early")
    }

    func testSleepLastsAtLeastItsDurationAndWakesInOrder() {
        var order: [Int] = []
        var shortest: Int64 = .max
        RuntimeTestSupport.run(procs: 2) {
            let lock = RuntimeLock()
            let wg = WaitGroup()
            for (i, ms) in [30, 10, 20].enumerated() {
                wg.add(1)
                go {
                    let start = gb_nanotime()
                    Runtime.sleep(nanoseconds: Int64(ms) * 1_000_000)
                    let slept = gb_nanotime() - start
                    lock.lock()
                    order.append(i)
                    shortest = min(shortest, slept - Int64(ms) * 1_000_000)
                    lock.unlock()
                    wg.done()
                }
            }
            wg.wait()
        }
        XCTAssertEqual(order, [1, 2, 0])
        XCTAssertGreaterThanOrEqual(shortest, 0, "a sleep ended before its duration")
    }

    func testMutexExcludesUnderContention() {
        let goroutines = 16, rounds = RuntimeTestSupport.isDebugBuild ? 2000 : 20000
        var counter = 0
        var maxInside: Int64 = 0
        RuntimeTestSupport.run(procs: 2) {
            let mutex = GoMutex()
            let inside = AtomicCounter()
            let peak = AtomicCounter()
            let wg = WaitGroup()
            for g in 0..<goroutines {
                wg.add(1)
                go {
                    for r in 0..<rounds {
                        mutex.lock()
                        let n = inside.add()
                        if n > peak.value { peak.store(n) }
                        let before = counter
                        if r % 64 == g % 64 { Runtime.gosched() } // hold it across a switch
                        counter = before + 1
                        inside.add(-1)
                        mutex.unlock()
                    }
                    wg.done()
                }
            }
            wg.wait()
            maxInside = peak.value
        }
        XCTAssertEqual(counter, goroutines * rounds, "lost updates: the mutex let two in")
        XCTAssertEqual(maxInside, 1)
    }

    func testMutexTryLock() {
        var log: [Bool] = []
        RuntimeTestSupport.run(procs: 1) {
            let mutex = GoMutex()
            log.append(mutex.tryLock())
            log.append(mutex.tryLock())
            mutex.unlock()
            log.append(mutex.tryLock())
            mutex.unlock()
        }
        XCTAssertEqual(log, [true, false, true])
    }

    func testStartupOrder() {
        var trace: [String] = []
        var initOrder: [String] = []
        var firstGoroutineIDs: [Int64] = []
        registeredInits = []
        Runtime.registerInit { initOrder.append("init A \(Runtime.goroutineID)") }
        Runtime.registerInit { initOrder.append("init B \(Runtime.isLockedToThread)") }
        RuntimeTestSupport.run(procs: 2) {
            firstGoroutineIDs.append(Runtime.goroutineID)
            firstGoroutineIDs.append(Int64(Runtime.isLockedToThread ? 1 : 0))
        }
        trace = Runtime.startupTrace
        registeredInits = []
        XCTAssertEqual(trace, ["m0", "maxstack 1000000000", "sysmon", "lock m0", "m0 check", "scavenger g2",
                               "init 0", "init 1", "unlock m0", "main", "main returned", "exit"])
        XCTAssertEqual(initOrder, ["init A 1", "init B true"], "inits run on the main goroutine, locked to m0")
        XCTAssertEqual(firstGoroutineIDs, [1, 0], "main is goroutine 1 and no longer locked")
    }

    private func pingPongAndSpawnStorm(_ backend: RuntimeConfiguration.ContextBackend) -> (Int, Int64) {
        var rounds = 0
        var spawned: Int64 = 0
        RuntimeTestSupport.run(procs: 2, configure: { $0.contextBackend = backend }) {
            let ping = Channel<Int>(), pong = Channel<Int>()
            go { for v in ping { pong.send(v + 1) }; pong.close() }
            var x = 0
            for _ in 0..<5000 { ping.send(x); x = pong.receive()! }
            ping.close()
            rounds = x
            let count = AtomicCounter()
            let wg = WaitGroup()
            for _ in 0..<20_000 {
                wg.add(1)
                go { count.add(); wg.done() }
            }
            wg.wait()
            spawned = count.value
        }
        return (rounds, spawned)
    }

    func testUcontextBackEnd() {
        let (rounds, spawned) = pingPongAndSpawnStorm(.ucontext)
        XCTAssertEqual(rounds, 5000)
        XCTAssertEqual(spawned, 20_000)
        XCTAssertEqual(gb_context_backend(), Int32(GB_CONTEXT_UCONTEXT))
    }

    func testAssemblyBackEnd() {
        let (rounds, spawned) = pingPongAndSpawnStorm(.assembly)
        XCTAssertEqual(rounds, 5000)
        XCTAssertEqual(spawned, 20_000)
        XCTAssertEqual(gb_context_backend(), Int32(GB_CONTEXT_ASM))
    }
}
