// The scheduler through the public API: stealing, Goexit and defers, G reuse,
// NumGoroutine in every state, GOMAXPROCS resized while busy, LockOSThread.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class SchedulerTests: XCTestCase {
    func testIdlePStealsFromTheSpawningP() {
        var statistics = RuntimeStatistics()
        var completed: Int64 = 0
        var processorsUsed = Set<Int>()
        RuntimeTestSupport.run(procs: 2) {
            let count = AtomicCounter()
            let wg = WaitGroup()
            let lock = GoMutex()
            // One P spawns a burst (no yield in between); the other P must take part of it:
            // by stealing from the spawner's queue, or from the global queue that the
            // spawner's full local queue overflowed into.
            for _ in 0..<2000 {
                wg.add(1)
                go {
                    _ = RuntimeTestSupport.spin(rounds: 2000)
                    count.add()
                    let p = Machine.current?.p?.id ?? -1
                    lock.lock(); processorsUsed.insert(p); lock.unlock()
                    wg.done()
                }
            }
            wg.wait()
            completed = count.value
            statistics = Runtime.statistics()
        }
        XCTAssertEqual(completed, 2000)
        XCTAssertEqual(processorsUsed, [0, 1], "both Ps ran goroutines of the burst")
        XCTAssertGreaterThan(statistics[.steals] + statistics[.globalOverflows], 0, "\(statistics)")
        XCTAssertEqual(statistics[.goroutinesSpawned], 2001, "2,000 spawns plus the scavenger")
    }

    func testIdlePStealsTheQueueOfABusyP() {
        let count = 64 // well under the 256-slot ring: no overflow to the global queue
        var before = RuntimeStatistics(), after = RuntimeStatistics()
        var thiefStealsBefore: UInt64 = 0, thiefStealsAfter: UInt64 = 0
        var mainThread: Int32 = 0, mainP = -1
        var threads: [Int32] = [], processors: [Int] = []
        var completed: Int64 = 0
        RuntimeTestSupport.run(procs: 2) {
            let s = sched!
            let lock = RuntimeLock()
            let done = AtomicCounter()
            // Main must not yield at one of the spawns below (the spawned goroutines would
            // run on its P at once): a fresh time slice (a real switch), then a preemption
            // point that honours a request left from before the sleep (execute does not
            // clear gp.preempt as Go's does, so a stale sysmon request survives a park).
            Runtime.sleep(nanoseconds: 1_000)
            Runtime.preemptionPoint()
            mainThread = Runtime.threadID
            let myP = inRuntime { Machine.current!.p! }
            mainP = myP.id
            let thief = s.allP.first { $0 !== myP }!
            before = Runtime.statistics()
            thiefStealsBefore = thief.stats[.steals]
            for _ in 0..<count {
                go {
                    lock.lock()
                    threads.append(Runtime.threadID)
                    processors.append(Machine.current?.p?.id ?? -1)
                    lock.unlock()
                    done.add()
                }
            }
            // Main keeps its P and thread busy, with no preemption point: the goroutines
            // queued on its P (ring and runnext) can only run if the other P steals them.
            let deadline = gb_nanotime() + 30_000_000_000
            while done.value < Int64(count) && gb_nanotime() < deadline {}
            completed = done.value
            after = Runtime.statistics()
            thiefStealsAfter = thief.stats[.steals]
        }
        XCTAssertEqual(completed, Int64(count), "every goroutine ran while main held its P")
        XCTAssertEqual(after[.globalOverflows], before[.globalOverflows], "nothing went through the global queue")
        XCTAssertGreaterThan(after[.steals], before[.steals], "\(after)")
        XCTAssertGreaterThan(thiefStealsAfter, thiefStealsBefore, "the idle P counted the steals")
        XCTAssertFalse(threads.contains(mainThread), "a stolen goroutine ran on main's thread")
        XCTAssertFalse(processors.contains(mainP), "a goroutine ran on main's P")
        XCTAssertEqual(threads.count, count)
    }

    func testARunningGoroutineStartsWithoutAStalePreemptionRequest() throws {
        // Go's execute sets gp.preempt = false: a request is for the time slice it was made
        // in (takeAsRunning clears it).
        var requested = false, staleAfterPark = true
        RuntimeTestSupport.run(procs: 1) {
            let gp = currentGoroutine()!
            // No preemption point until sysmon asks main to yield (after 10 ms).
            let deadline = gb_nanotime() + 5_000_000_000
            while !gp.preempt && gb_nanotime() < deadline {}
            requested = gp.preempt
            // Park instead of yielding; main runs again after the sleep.
            Runtime.sleep(nanoseconds: 1_000_000)
            staleAfterPark = gp.preempt
        }
        XCTAssertTrue(requested, "sysmon asked the spinning goroutine to yield")
        XCTAssertFalse(staleAfterPark, "the request outlived the park: the goroutine will yield at once when it runs again")
    }

    func testGoexitRunsDefersLastInFirstOutAndSkipsTheRest() {
        var log: [String] = []
        let lock = RuntimeLock()
        func record(_ s: String) { lock.lock(); log.append(s); lock.unlock() }
        RuntimeTestSupport.run(procs: 2) {
            let wg = WaitGroup()
            wg.add(1)
            go {
                Runtime.defer { wg.done() }
                Runtime.defer { record("defer 1") }
                Runtime.defer { record("defer 2") }
                func deeper() {
                    Runtime.defer { record("defer 3") }
                    record("before goexit")
                    Runtime.goexit()
                }
                deeper()
                record("after goexit (must not run)")
            }
            wg.wait()
            // The other goroutines are not affected: main goes on.
            record("main after")
        }
        XCTAssertEqual(log, ["before goexit", "defer 3", "defer 2", "defer 1", "main after"])
    }

    func testDefersRunOnNormalReturnToo() {
        var log: [Int] = []
        RuntimeTestSupport.run(procs: 1) {
            let done = Channel<Int>(capacity: 3)
            go {
                Runtime.defer { done.send(1) }
                Runtime.defer { done.send(2) }
                Runtime.defer { done.send(3) }
            }
            for _ in 0..<3 { log.append(done.receive()!) }
        }
        XCTAssertEqual(log, [3, 2, 1])
    }

    func testDeadGoroutinesAreReused() {
        var statistics = RuntimeStatistics()
        var ids: Set<Int64> = []
        RuntimeTestSupport.run(procs: 2) {
            let lock = RuntimeLock()
            for _ in 0..<50 {
                let wg = WaitGroup()
                for _ in 0..<100 {
                    wg.add(1)
                    go {
                        lock.lock(); ids.insert(Runtime.goroutineID); lock.unlock()
                        wg.done()
                    }
                }
                wg.wait()
            }
            statistics = Runtime.statistics()
        }
        XCTAssertGreaterThan(statistics[.freeListReuses], 4000, "\(statistics)")
        XCTAssertEqual(ids.count, 5000, "every spawn gets a new goroutine id, also when its G is reused")
    }

    func testNumGoroutineThroughEveryState() throws {
        var observed: [String: Int] = [:]
        var baseline = -1
        RuntimeTestSupport.run(procs: 2, configure: { $0.scavengeIntervalNanoseconds = 120_000_000_000 }) {
            baseline = Runtime.numGoroutine() // main only: the scavenger is not counted
            // Runnable: spawned, not yet run (at procs 2 it may start at once; count both).
            let release = Channel<Int>()
            go { _ = release.receive() }
            observed["spawned"] = Runtime.numGoroutine()
            // Waiting on a channel.
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) {
                Runtime.numGoroutine() == baseline + 1
            }
            observed["chan receive"] = Runtime.numGoroutine()
            // Running on the other P.
            let running = AtomicCounter(), stop = AtomicCounter()
            go {
                running.store(1)
                while stop.value == 0 { Runtime.preemptionPoint() }
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { running.value == 1 }
            observed["running"] = Runtime.numGoroutine()
            // Sleeping.
            let slept = AtomicCounter()
            go { Runtime.sleep(nanoseconds: 300_000_000); slept.store(1) }
            Runtime.sleep(nanoseconds: 20_000_000)
            observed["sleeping"] = Runtime.numGoroutine()
            // In a blocking system call (read on an empty pipe).
            var fds: [Int32] = [0, 0]
            pipe(&fds)
            let inSyscall = AtomicCounter()
            go {
                var byte: UInt8 = 0
                inSyscall.store(1)
                _ = Runtime.syscall { read(fds[0], &byte, 1) }
                inSyscall.store(2)
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { inSyscall.value == 1 }
            Runtime.sleep(nanoseconds: 20_000_000)
            observed["syscall"] = Runtime.numGoroutine()
            stop.store(1)
            var byte: UInt8 = 1
            _ = write(fds[1], &byte, 1)
            release.send(1)
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { inSyscall.value == 2 && slept.value == 1 }
            // After every goroutine ended: back to the baseline.
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { Runtime.numGoroutine() == baseline }
            observed["after"] = Runtime.numGoroutine()
            close(fds[0]); close(fds[1])
        }
        XCTAssertEqual(baseline, 1, "main alone; the scavenger (goroutine 2) is not counted")
        XCTAssertEqual(observed["spawned"], 2)
        XCTAssertEqual(observed["chan receive"], 2)
        XCTAssertEqual(observed["running"], 3)
        XCTAssertEqual(observed["sleeping"], 4)
        XCTAssertEqual(observed["syscall"], 5)
        XCTAssertEqual(observed["after"], 1)
    }

    func testNumGoroutineCountsRunnableAtOneProc() {
        var counts: [Int] = []
        RuntimeTestSupport.run(procs: 1) {
            for _ in 0..<10 { go {} }
            counts.append(Runtime.numGoroutine()) // ten runnable, none has run
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { Runtime.numGoroutine() == 1 }
            counts.append(Runtime.numGoroutine())
        }
        XCTAssertEqual(counts, [11, 1])
    }

    func testGomaxprocsResizedWhileBusy() throws {
        let workers = RuntimeTestSupport.isDebugBuild ? 200 : 1000
        var previousValues: [Int] = []
        var expectedPrevious: [Int] = []
        var finalProcs = 0, completed: Int64 = 0, live = -1, states = ""
        var statistics = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 2) {
            let done = AtomicCounter()
            let wg = WaitGroup()
            for i in 0..<workers {
                wg.add(1)
                go {
                    for _ in 0..<(5 + i % 7) {
                        _ = RuntimeTestSupport.spin(rounds: 20_000)
                        if i % 3 == 0 { Runtime.gosched() }
                    }
                    done.add()
                    wg.done()
                }
            }
            let sizes = [1, 3, 2, 4, 1, 2, 3, 1, 4, 2]
            wg.add(1)
            go {
                var current = 2
                for round in 0..<30 {
                    let n = sizes[round % sizes.count]
                    expectedPrevious.append(current)
                    previousValues.append(Runtime.gomaxprocs(n))
                    current = n
                    Runtime.sleep(nanoseconds: 1_000_000)
                }
                wg.done()
            }
            wg.wait()
            finalProcs = Runtime.gomaxprocs(0)
            completed = done.value
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { Runtime.numGoroutine() == 1 }
            live = Runtime.numGoroutine()
            states = RuntimeTestSupport.goroutineStates()
            statistics = Runtime.statistics()
        }
        XCTAssertEqual(completed, Int64(workers))
        XCTAssertEqual(previousValues, expectedPrevious, "gomaxprocs returns the previous setting")
        XCTAssertEqual(finalProcs, [1, 3, 2, 4, 1, 2, 3, 1, 4, 2][29 % 10])
        XCTAssertEqual(live, 1, "NumGoroutine after every worker finished; goroutines: \(states)")
        XCTAssertGreaterThanOrEqual(statistics[.stopTheWorlds], 30)
    }

    func testLockOSThreadKeepsTheThreadAndExcludesOthers() {
        var lockedThread: Int32 = 0
        var seenThreads: [String: Int32] = [:]
        var othersOnLockedThread = 0
        var othersRan = 0
        RuntimeTestSupport.run(procs: 2) {
            let othersThreads = RuntimeLock()
            var others: [Int32] = []
            let finished = WaitGroup()
            finished.add(1)
            let ping = Channel<Int>()
            var fds: [Int32] = [0, 0]
            pipe(&fds)
            go {
                Runtime.lockOSThread()
                lockedThread = Runtime.threadID
                // Others run while we are locked: none may use our thread.
                let wg = WaitGroup()
                for _ in 0..<200 {
                    wg.add(1)
                    go {
                        for _ in 0..<3 {
                            othersThreads.lock(); others.append(Runtime.threadID); othersThreads.unlock()
                            Runtime.gosched()
                        }
                        wg.done()
                    }
                }
                Runtime.gosched()
                seenThreads["gosched"] = Runtime.threadID
                _ = ping.receive()
                seenThreads["channel"] = Runtime.threadID
                Runtime.sleep(nanoseconds: 5_000_000)
                seenThreads["sleep"] = Runtime.threadID
                var byte: UInt8 = 0
                _ = Runtime.syscall { read(fds[0], &byte, 1) }
                seenThreads["syscall"] = Runtime.threadID
                wg.wait()
                seenThreads["waitgroup"] = Runtime.threadID
                Runtime.unlockOSThread()
                finished.done()
            }
            Runtime.sleep(nanoseconds: 2_000_000)
            ping.send(1)
            Runtime.sleep(nanoseconds: 20_000_000)
            var byte: UInt8 = 1
            _ = write(fds[1], &byte, 1)
            finished.wait()
            close(fds[0]); close(fds[1])
            othersThreads.lock()
            othersRan = others.count
            othersOnLockedThread = others.filter { $0 == lockedThread }.count
            othersThreads.unlock()
        }
        XCTAssertNotEqual(lockedThread, 0)
        for step in ["gosched", "channel", "sleep", "syscall", "waitgroup"] {
            XCTAssertEqual(seenThreads[step], lockedThread, "after \(step) the locked goroutine moved thread")
        }
        XCTAssertEqual(othersRan, 600)
        XCTAssertEqual(othersOnLockedThread, 0, "other goroutines ran on the locked thread")
    }

    func testLockOSThreadNests() {
        var states: [Bool] = []
        RuntimeTestSupport.run(procs: 2) {
            let done = WaitGroup()
            done.add(1)
            go {
                states.append(Runtime.isLockedToThread)   // false
                Runtime.unlockOSThread()                  // unlocking when not locked: harmless
                states.append(Runtime.isLockedToThread)   // false
                Runtime.lockOSThread()
                Runtime.lockOSThread()
                Runtime.unlockOSThread()
                states.append(Runtime.isLockedToThread)   // true: one lock left
                Runtime.gosched()
                states.append(Runtime.isLockedToThread)   // true
                Runtime.unlockOSThread()
                states.append(Runtime.isLockedToThread)   // false
                done.done()
            }
            done.wait()
        }
        XCTAssertEqual(states, [false, false, true, true, false])
    }

    func testLockedGoroutineExitingEndsItsThread() {
        var threadsExited: UInt64 = 0
        var expectedExits: UInt64 = 0
        var completed = false
        RuntimeTestSupport.run(procs: 2) {
            let m0Thread = Runtime.threadID // main starts on m0, which parks instead of ending
            let lock = RuntimeLock()
            var threads: [Int32] = []
            let wg = WaitGroup()
            for _ in 0..<5 {
                wg.add(1)
                go {
                    Runtime.defer { wg.done() }
                    Runtime.lockOSThread()
                    Runtime.gosched()
                    lock.lock(); threads.append(Runtime.threadID); lock.unlock()
                    // Exits still locked: Go ends the thread.
                }
            }
            wg.wait()
            expectedExits = UInt64(threads.filter { $0 != m0Thread }.count)
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { Runtime.statistics()[.threadsExited] >= expectedExits }
            threadsExited = Runtime.statistics()[.threadsExited]
            // The runtime goes on with fresh threads.
            let after = WaitGroup()
            for _ in 0..<100 { after.add(1); go { after.done() } }
            after.wait()
            completed = true
        }
        XCTAssertGreaterThanOrEqual(expectedExits, 4)
        XCTAssertEqual(threadsExited, expectedExits)
        XCTAssertTrue(completed)
    }

    func testThreadsEndWhenTheRuntimeReturns() {
        let before = RuntimeTestSupport.threadCount()
        var during = 0
        RuntimeTestSupport.run(procs: 4) {
            let wg = WaitGroup()
            for _ in 0..<400 {
                wg.add(1)
                go { _ = RuntimeTestSupport.spin(rounds: 5000); wg.done() }
            }
            wg.wait()
            during = RuntimeTestSupport.threadCount()
        }
        XCTAssertGreaterThan(during, before, "the runtime ran on more threads than m0")
        let settled = RuntimeTestSupport.waitOnThread(seconds: 5) { RuntimeTestSupport.threadCount() <= before }
        XCTAssertTrue(settled, "threads before \(before), after \(RuntimeTestSupport.threadCount())")
    }
}
