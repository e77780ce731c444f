// The runtime's statistics (issue deliverable 8): steals tried, succeeded and Gs moved,
// global-queue traffic, spinning, goroutine and M parks and wake-ups, per-P counters that
// sum to the totals, the CSV metric names, and counters read while the runtime runs.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class RuntimeStatisticsTests: XCTestCase {
    /// Waits (in a goroutine) until the scavenger, which is off in these runs and parks
    /// for good at start-up, has parked: from then on every park in the test is matched
    /// by a wake-up.
    private func waitForScavengerParked() -> Bool {
        RuntimeTestSupport.waitInGoroutine(seconds: 5) {
            let s = sched!
            s.allGLock.lock()
            defer { s.allGLock.unlock() }
            return s.allGoroutines.contains { $0.id == s.scavengerID && $0.status == .waiting }
        }
    }

    // MARK: - Steals

    func testIdleProcessorStealsAreCountedAsTriedSucceededAndMoved() {
        var stats = RuntimeStatistics()
        var bursts = 0
        var quiet = false
        RuntimeTestSupport.run(procs: 2) {
            // Bursts of spawns below the overflow (no global queue involved): the idle
            // second P, woken by wakep, can only get work by stealing. Repeat until a steal
            // is seen (the OS may be slow to run the second M), at most 5 s.
            let deadline = gb_nanotime() + 5_000_000_000
            repeat {
                bursts += 1
                let wg = WaitGroup()
                for _ in 0..<100 {
                    wg.add(1)
                    go {
                        _ = RuntimeTestSupport.spin(rounds: 20_000)
                        wg.done()
                    }
                }
                wg.wait()
            } while Runtime.statistics()[.steals] == 0 && gb_nanotime() < deadline
            // Read once the other P is idle: a snapshot is not taken at one instant, so a
            // steal in flight could show as a success before its attempt.
            quiet = RuntimeTestSupport.waitInGoroutine(seconds: 5) {
                gb_load_acquire_i32(sched.words.idlePCount) == 1
            }
            stats = Runtime.statistics()
        }
        XCTAssertTrue(quiet)
        XCTAssertGreaterThan(stats[.steals], 0, "no steal in \(bursts) bursts: \(stats)")
        XCTAssertGreaterThanOrEqual(stats[.stealAttempts], stats[.steals], "every successful steal was tried")
        XCTAssertGreaterThanOrEqual(stats[.stolenGoroutines], stats[.steals],
                                    "every successful steal moved at least one G")
        XCTAssertGreaterThan(stats[.spinningStarts], 0, "the stealing M spun first")
        XCTAssertEqual(stats[.goroutinesSpawned], UInt64(100 * bursts + 1), "the bursts and the scavenger")
    }

    // MARK: - The global queue

    func testOverflowAndGoschedTrafficThroughTheGlobalQueueIsCountedBothWays() {
        var before = RuntimeStatistics(), afterOverflow = RuntimeStatistics(), after = RuntimeStatistics()
        var globalSizeAtEnd: Int64 = -1
        RuntimeTestSupport.run(procs: 1) {
            before = Runtime.statistics()
            // One P spawning 1,000 Gs without yielding: its 256-slot queue overflows, each
            // overflow moving half of it plus the new G (129) to the global queue.
            let wg = WaitGroup()
            for _ in 0..<1000 {
                wg.add(1)
                go { wg.done() }
            }
            wg.wait()
            afterOverflow = Runtime.statistics()
            // Gosched puts the caller on the global queue (a direct switch, or the full path).
            let done = WaitGroup()
            for _ in 0..<2 {
                done.add(1)
                go {
                    for _ in 0..<500 { Runtime.gosched() }
                    done.done()
                }
            }
            done.wait()
            after = Runtime.statistics()
            globalSizeAtEnd = gb_load_relaxed_i64(sched.words.globalSize)
        }
        let overflows = afterOverflow[.globalOverflows] - before[.globalOverflows]
        let putsByOverflow = afterOverflow[.globalQueuePuts] - before[.globalQueuePuts]
        // (A sysmon preemption of the spawner, on a slow machine, puts it there too.)
        let preempted = afterOverflow[.preemptions] - before[.preemptions]
        XCTAssertGreaterThan(overflows, 0, "\(afterOverflow)")
        XCTAssertEqual(putsByOverflow, 129 * overflows + preempted,
                       "each overflow puts half the queue plus one G")
        XCTAssertEqual(afterOverflow[.globalQueueGets] - before[.globalQueueGets], putsByOverflow,
                       "every G put there was taken (the burst has run)")
        // Two goroutines taking turns: each Gosched with the other one runnable puts the
        // caller there (only the last calls of the one left alone do not).
        XCTAssertGreaterThanOrEqual(after[.globalQueuePuts] - afterOverflow[.globalQueuePuts], 500)
        XCTAssertEqual(globalSizeAtEnd, 0)
        XCTAssertEqual(after[.globalQueuePuts], after[.globalQueueGets], "drained: put == taken")
        XCTAssertEqual(after.processors.map { $0[.globalQueueGets] }.reduce(0, +), after[.globalQueueGets])
    }

    // MARK: - Parks and wake-ups

    func testChannelPingPongParksAndReadiesEveryRoundTrip() {
        let rounds = 1000
        for procs in [1, 2] {
            var before = RuntimeStatistics(), after = RuntimeStatistics()
            var scavengerParked = false
            var wrong = 0
            RuntimeTestSupport.run(procs: procs) {
                scavengerParked = self.waitForScavengerParked()
                before = Runtime.statistics()
                let ping = Channel<Int>(), pong = Channel<Int>()
                let finished = Channel<Bool>()
                go {
                    while let v = ping.receive() { pong.send(v + 1) }
                    finished.send(true)
                }
                for i in 0..<rounds {
                    ping.send(i)
                    if pong.receive() != i + 1 { wrong += 1 }
                }
                ping.close()
                _ = finished.receive()
                after = Runtime.statistics()
            }
            XCTAssertTrue(scavengerParked, "procs \(procs)")
            XCTAssertEqual(wrong, 0)
            let parks = after[.goroutineParks] - before[.goroutineParks]
            let readies = after[.goroutineReadies] - before[.goroutineReadies]
            XCTAssertGreaterThanOrEqual(parks, UInt64(rounds), "procs \(procs)")
            XCTAssertGreaterThanOrEqual(readies, UInt64(rounds), "procs \(procs)")
            // Nothing is left parked (the partner exited, main runs): every park was woken.
            XCTAssertEqual(parks, readies, "procs \(procs): \(after)")
        }
    }

    func testSleepMutexAndWaitGroupParksAreCounted() {
        var before = RuntimeStatistics(), after = RuntimeStatistics()
        var scavengerParked = false
        RuntimeTestSupport.run(procs: 2) {
            scavengerParked = self.waitForScavengerParked()
            before = Runtime.statistics()
            for _ in 0..<5 { Runtime.sleep(nanoseconds: 200_000) } // 5 parks, 5 readies
            let mutex = GoMutex()
            let wg = WaitGroup()
            mutex.lock()
            wg.add(1)
            go {
                mutex.lock() // parks: main holds it
                mutex.unlock()
                wg.done()
            }
            // Let the goroutine reach the mutex and park on it.
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) {
                Runtime.statistics()[.goroutineParks] - before[.goroutineParks] >= 6
            }
            mutex.unlock()
            wg.wait()
            after = Runtime.statistics()
        }
        XCTAssertTrue(scavengerParked)
        let parks = after[.goroutineParks] - before[.goroutineParks]
        XCTAssertGreaterThanOrEqual(parks, 6, "5 sleeps and a mutex wait: \(after)")
        XCTAssertEqual(parks, after[.goroutineReadies] - before[.goroutineReadies])
    }

    func testIdleMachinesParkAndAreWokenAgain() {
        var before = RuntimeStatistics(), after = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 2) {
            before = Runtime.statistics()
            // Each round: work for the second P (its M wakes), then nothing (it parks).
            for _ in 0..<20 {
                let wg = WaitGroup()
                for _ in 0..<4 {
                    wg.add(1)
                    go { _ = RuntimeTestSupport.spin(rounds: 5000); wg.done() }
                }
                wg.wait()
                Runtime.sleep(nanoseconds: 2_000_000)
            }
            after = Runtime.statistics()
        }
        XCTAssertGreaterThan(after[.machineParks] - before[.machineParks], 0, "\(after)")
        XCTAssertGreaterThan(after[.machineWakeups] - before[.machineWakeups], 0, "\(after)")
        XCTAssertGreaterThan(after[.spinningStarts] - before[.spinningStarts], 0, "\(after)")
        XCTAssertLessThanOrEqual(after.spinningMachines, 2)
    }

    // MARK: - Per P

    func testPerProcessorCountersSumToTheTotals() {
        var stats = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 2) {
            let wg = WaitGroup()
            for _ in 0..<2000 {
                wg.add(1)
                go {
                    _ = RuntimeTestSupport.spin(rounds: 2000)
                    if Runtime.goroutineID % 3 == 0 { Runtime.gosched() }
                    if Runtime.goroutineID % 7 == 0 { Runtime.sleep(nanoseconds: 10_000) }
                    wg.done()
                }
            }
            wg.wait()
            stats = Runtime.statistics()
        }
        let ps = stats.processors
        XCTAssertEqual(ps.map(\.id), [0, 1])
        func sum(_ f: (ProcessorStatisticsSnapshot) -> UInt64) -> UInt64 { ps.map(f).reduce(0, +) }
        XCTAssertEqual(sum { $0[.goroutinesSpawned] }, stats[.goroutinesSpawned])
        XCTAssertEqual(sum { $0[.schedules] }, stats[.schedules])
        XCTAssertEqual(sum { $0[.stealAttempts] }, stats[.stealAttempts])
        XCTAssertEqual(sum { $0[.steals] }, stats[.steals])
        XCTAssertEqual(sum { $0[.stolenGoroutines] }, stats[.stolenGoroutines])
        XCTAssertEqual(sum { $0[.remoteSteals] }, stats[.remoteSteals])
        XCTAssertEqual(sum { $0[.remoteRuns] }, stats[.remoteRuns])
        XCTAssertEqual(sum { $0[.globalOverflows] }, stats[.globalOverflows])
        XCTAssertEqual(sum { $0[.globalQueueGets] }, stats[.globalQueueGets])
        XCTAssertEqual(sum { $0[.spinningStarts] }, stats[.spinningStarts])
        XCTAssertEqual(sum { $0[.goroutineParks] }, stats[.goroutineParks])
        XCTAssertLessThanOrEqual(sum { $0[.goroutineReadies] }, stats[.goroutineReadies],
                                 "the total also counts wake-ups made without a P")
        XCTAssertEqual(sum { $0[.preemptions] }, stats[.preemptions])
        XCTAssertEqual(sum { $0[.syscalls] }, stats[.syscalls])
        XCTAssertEqual(sum { $0[.syscallFastExits] }, stats[.syscallFastExits])
        XCTAssertEqual(sum { $0[.freeListReuses] }, stats[.freeListReuses])
        XCTAssertEqual(stats[.goroutinesSpawned], 2001, "2,000 spawns plus the scavenger")
        XCTAssertGreaterThanOrEqual(stats[.schedules], 2000)
        XCTAssertTrue(ps.allSatisfy { $0[.schedules] > 0 }, "both Ps ran goroutines: \(ps)")
    }

    // MARK: - Read while running

    func testCountersAreReadableFromAGoroutineWhileTheRuntimeRuns() {
        var readings: [RuntimeStatistics] = []
        var workerStillRunning = true
        RuntimeTestSupport.run(procs: 2) {
            let stop = AtomicCounter(), stopped = AtomicCounter()
            // A worker that spawns and yields until told to stop.
            go {
                while stop.value == 0 {
                    let wg = WaitGroup()
                    for _ in 0..<50 { wg.add(1); go { wg.done() } }
                    wg.wait()
                    Runtime.gosched()
                }
                stopped.add()
            }
            // A reader goroutine, mid-run.
            let done = Channel<[RuntimeStatistics]>(capacity: 1)
            go {
                var seen: [RuntimeStatistics] = []
                for _ in 0..<5 {
                    let reading = Runtime.statistics()
                    seen.append(reading)
                    Runtime.sleep(nanoseconds: 1_000_000) // a park and a switch at least
                    // The worker spawns all the time; on a loaded machine give it a while.
                    _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) {
                        Runtime.statistics()[.goroutinesSpawned] > reading[.goroutinesSpawned]
                    }
                }
                done.send(seen)
            }
            readings = done.receive() ?? []
            workerStillRunning = stopped.value == 0
            stop.add()
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { stopped.value == 1 }
        }
        XCTAssertTrue(workerStillRunning, "the readings were taken while the worker ran")
        XCTAssertEqual(readings.count, 5)
        for (a, b) in zip(readings, readings.dropFirst()) {
            XCTAssertGreaterThan(b[.goroutinesSpawned], a[.goroutinesSpawned], "spawns grow between readings")
            XCTAssertGreaterThan(b[.schedules], a[.schedules], "switches grow between readings")
            XCTAssertGreaterThan(b[.goroutineParks], a[.goroutineParks], "parks grow between readings")
            XCTAssertGreaterThanOrEqual(b[.globalQueuePuts], a[.globalQueuePuts])
            XCTAssertEqual(b.processors.count, 2)
            for (pa, pb) in zip(a.processors, b.processors) {
                XCTAssertGreaterThanOrEqual(pb[.schedules], pa[.schedules], "P \(pa.id)'s counter never goes back")
            }
        }
    }

    // MARK: - CSV metrics

    func testMetricsExportTheNewCountersUnderUniqueSnakeCaseNames() {
        var stats = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 2) {
            let wg = WaitGroup()
            for _ in 0..<10 { wg.add(1); go { wg.done() } }
            wg.wait()
            stats = Runtime.statistics()
        }
        let metrics = Dictionary(stats.metrics.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(metrics.count, stats.metrics.count, "metric names are unique")
        XCTAssertNil(metrics["threads_created"], "the workloads add threads_created themselves (m0 included)")
        for name in metrics.keys {
            XCTAssertTrue(name.allSatisfy { $0.isLowercase || $0 == "_" }, "\(name) is snake_case")
        }
        XCTAssertEqual(metrics["goroutines_spawned"], stats[.goroutinesSpawned])
        XCTAssertEqual(metrics["goroutines_spawned"], 11)
        XCTAssertEqual(metrics["schedules"], stats[.schedules])
        XCTAssertEqual(metrics["steal_attempts"], stats[.stealAttempts])
        XCTAssertEqual(metrics["stolen_goroutines"], stats[.stolenGoroutines])
        XCTAssertEqual(metrics["global_queue_puts"], stats[.globalQueuePuts])
        XCTAssertEqual(metrics["global_queue_gets"], stats[.globalQueueGets])
        XCTAssertEqual(metrics["spinning_starts"], stats[.spinningStarts])
        XCTAssertEqual(metrics["goroutine_parks"], stats[.goroutineParks])
        XCTAssertEqual(metrics["goroutine_readies"], stats[.goroutineReadies])
        XCTAssertEqual(metrics["machine_parks"], stats[.machineParks])
        XCTAssertEqual(metrics["machine_wakeups"], stats[.machineWakeups])
        // The names that existed before are kept.
        for old in ["steals", "global_overflows", "threads_parked", "remote_wakeups", "goroutines_freed"] {
            XCTAssertNotNil(metrics[old], old)
        }
    }

    /// The counter table drives the metrics and the reset: every counter is a metric with
    /// its value, under its own name and unit, and a new Runtime.run starts it from zero.
    func testEveryCounterIsAMetricAndIsResetByTheNextRun() {
        let big: UInt64 = 1 << 40
        var bumped = RuntimeStatistics(), next = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 1) {
            // (procs 1: this goroutine's M owns the only P and is the only writer.)
            let p = inRuntime { Machine.current!.p! }
            for c in ProcessorCounter.allCases { p.stats[c] &+= big }
            for c in GlobalCounter.allCases { Statistics.shared.add(c, big) }
            bumped = Runtime.statistics()
        }
        RuntimeTestSupport.run(procs: 1) { next = Runtime.statistics() }
        let metrics = bumped.metrics
        XCTAssertEqual(metrics.count, ProcessorCounter.allCases.count + GlobalCounter.allCases.count)
        XCTAssertEqual(Set(metrics.map(\.name)).count, metrics.count, "metric names are unique")
        func check<C: RuntimeCounter>(_ c: C, _ value: (RuntimeStatistics) -> UInt64) {
            guard let m = metrics.first(where: { $0.name == c.metricName }) else {
                return XCTFail("\(c) has no metric")
            }
            XCTAssertEqual(m.value, value(bumped), "\(c)'s metric is its value")
            XCTAssertGreaterThanOrEqual(m.value, big, "\(c) was bumped")
            XCTAssertLessThan(value(next), big, "\(c) is reset by the next run")
            XCTAssertEqual(m.unit, c.metricName.hasSuffix("_bytes") ? .bytes : c.metricName.hasSuffix("_nanoseconds") ? .ns : .count)
        }
        for c in ProcessorCounter.allCases {
            check(c) { $0[c] }
            XCTAssertGreaterThanOrEqual(bumped.processors[0][c], big, "\(c) is in the P's snapshot")
        }
        for c in GlobalCounter.allCases { check(c) { $0[c] } }
    }
}
