// A spawn storm with random GOMAXPROCS changes: every goroutine runs exactly once
// (one counter per goroutine index). 1,000,000 goroutines in release builds
// (scripts/stress.sh), fewer in debug so `swift test` stays quick.
import XCTest
import CRuntime
@testable import Runtime

final class SpawnStormTests: XCTestCase {
    static var goroutineCount: Int {
        if let text = ProcessInfo.processInfo.environment["GOBENCH_STORM_GOROUTINES"], let n = Int(text), n > 0 { return n }
        return RuntimeTestSupport.isDebugBuild ? 100_000 : 1_000_000
    }

    func testSpawnStormRunsEveryGoroutineOnce() {
        runStorm(resizing: false)
    }

    func testSpawnStormWithRandomGomaxprocsChanges() throws {
        runStorm(resizing: true)
    }

    private func runStorm(resizing: Bool) {
        let count = SpawnStormTests.goroutineCount
        let ran = RunOnceBitmap(count: count)
        let progress = AtomicCounter()
        var resizes = 0
        var live = -1
        let watchdog = StallWatchdog(name: "spawn storm of \(count)", stallSeconds: 30) { progress.value }
        watchdog.start()
        var configuration = RuntimeConfiguration(procs: 2)
        configuration.scavengeIntervalNanoseconds = nil
        Runtime.run(configuration) {
            let wg = WaitGroup()
            let stopResizing = AtomicCounter()
            if resizing {
                wg.add(1)
                go {
                    var random: UInt64 = 0x853C_49E6_748F_EA9B
                    while stopResizing.value == 0 {
                        random ^= random << 13; random ^= random >> 7; random ^= random << 17
                        Runtime.gomaxprocs(Int(random % 4) + 1)
                        resizes += 1
                        Runtime.sleep(nanoseconds: 500_000)
                    }
                    wg.done()
                }
            }
            // Spawners on several goroutines, so spawns come from several Ps.
            let spawners = 4
            let done = WaitGroup()
            done.add(count)
            for s in 0..<spawners {
                wg.add(1)
                go {
                    var i = s
                    while i < count {
                        let index = i
                        go {
                            ran.mark(index)
                            progress.add()
                            done.done()
                        }
                        i += spawners
                    }
                    wg.done()
                }
            }
            done.wait()
            stopResizing.store(1)
            wg.wait()
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 10) { Runtime.numGoroutine() == 1 }
            live = Runtime.numGoroutine()
        }
        watchdog.stop()
        let violations = ran.violations()
        XCTAssertEqual(violations.count, 0, "goroutines that ran other than once (index, runs): \(violations)")
        XCTAssertEqual(progress.value, Int64(count))
        XCTAssertEqual(live, 1, "NumGoroutine back to main alone")
        if resizing { XCTAssertGreaterThan(resizes, 0) }
    }
}
