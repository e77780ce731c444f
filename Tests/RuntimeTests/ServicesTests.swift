// The runtime services the syscall-heavy, pingpong-hog and scavenger workloads measure:
// hand-off of a P blocked in a system call, cooperative preemption of a CPU hog, and the
// scavenger giving free stacks back to the OS.
import XCTest
import CRuntime
@testable import Runtime

final class ServicesTests: XCTestCase {
    /// At GOMAXPROCS=1, a goroutine blocked in read(2) on an empty pipe must not stop the
    /// others: sysmon retakes its P and hands it off (seen in the statistics).
    func testBlockedReadDoesNotStopTheOthers() {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var roundTrips = 0
        var byteRead: UInt8 = 0
        var stats = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 1) {
            let readerDone = Channel<Int>(capacity: 1)
            go {
                var b: UInt8 = 0
                let n = Runtime.syscall { read(fds[0], &b, 1) }
                byteRead = n == 1 ? b : 0
                readerDone.send(1)
            }
            Runtime.sleep(nanoseconds: 2_000_000) // the reader is blocked in read(2) now
            let ping = Channel<Int>(), pong = Channel<Int>()
            go { while let v = ping.receive() { pong.send(v) } }
            for i in 0..<1000 { ping.send(i); _ = pong.receive(); roundTrips += 1 }
            ping.close()
            var b: UInt8 = 42
            _ = write(fds[1], &b, 1)
            _ = readerDone.receive()
            stats = Runtime.statistics()
        }
        XCTAssertEqual(roundTrips, 1000)
        XCTAssertEqual(byteRead, 42)
        XCTAssertGreaterThan(stats[.syscalls], 0)
        XCTAssertGreaterThan(stats[.retakes] + stats[.handoffs], 0, "the blocked P was handed off: \(stats)")
    }

    /// Go's PingPongHog: at GOMAXPROCS=1, a CPU hog that reaches preemption points lets a
    /// ping-pong pair progress, because sysmon asks it to yield after 10 ms.
    func testHogWithPreemptionPointsLetsAPingPongPairProgress() {
        var roundTrips = 0
        var stats = RuntimeStatistics()
        RuntimeTestSupport.run(procs: 1) {
            let stop = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
            stop.initialize(to: 0)
            let hogDone = Channel<Int>(capacity: 1), hogStarted = Channel<Int>(capacity: 1)
            let ping = Channel<Int>(), pong = Channel<Int>()
            go { while let v = ping.receive() { pong.send(v) } }
            go {
                hogStarted.send(1) // readies main, which waits for it; the hog keeps the P
                var x: UInt64 = 1
                while gb_load_relaxed_u32(stop) == 0 {
                    for _ in 0..<10_000 { x = x &* 6364136223846793005 &+ 1 }
                    Runtime.preemptionPoint()
                }
                hogDone.send(Int(x & 1))
            }
            // Main goes on only once the hog holds the only P: from then on only sysmon's
            // preemption request (after 10 ms) gets main running again. (A timed sleep here
            // would race: on a slow run its timer is due before the hog first runs.)
            _ = hogStarted.receive()
            for i in 0..<50 { ping.send(i); _ = pong.receive(); roundTrips += 1 }
            gb_store_relaxed_u32(stop, 1)
            ping.close()
            _ = hogDone.receive()
            stats = Runtime.statistics()
            stop.deallocate()
        }
        XCTAssertEqual(roundTrips, 50)
        if gb_context_sanitizer() == 1 {
            // Under ThreadSanitizer the hog's atomic load is a call into TSan's runtime, and
            // now and then the hog's thread is inside it (or blocked in a system call there)
            // when sysmon acts: then the signal of asynchronous preemption, or a hand-off of
            // the P as untracked blocking, gets main running instead of the preemption point
            // (PreemptionTests says the same of a spinner). One of the three must have.
            let yielded = stats[.preemptions] + stats[.asyncPreemptions] + stats[.untrackedBlockingHandoffs]
            XCTAssertGreaterThan(yielded, 0, "the hog was never made to give the P up: \(stats)")
            return
        }
        XCTAssertGreaterThan(stats[.preemptionRequests], 0, "sysmon asked the hog to yield: \(stats)")
        XCTAssertGreaterThan(stats[.preemptions], 0, "the hog yielded at a preemption point: \(stats)")
    }

    /// After a burst of goroutines that all exit, the scavenger (every 10 ms) gives their
    /// stacks back: resident memory falls; with the scavenger off it stays up.
    func testScavengerReleasesTheStacksOfABurst() throws {
        if gb_context_sanitizer() != 0 {
            throw XCTSkip("under a sanitizer, resident memory is mostly its shadow memory, which the scavenger does not manage")
        }
        func burst(scavenge: Int64?) -> (grown: Int, released: Int, stats: RuntimeStatistics) {
            var grown = 0, released = 0
            var stats = RuntimeStatistics()
            RuntimeTestSupport.run(procs: 2, configure: {
                $0.scavengeIntervalNanoseconds = scavenge
                $0.scavengeRetainBytes = 1 << 20
            }) {
                let before = residentBytes()
                let release = Channel<Int>()
                let wg = WaitGroup()
                let n = 20_000
                wg.add(n)
                for _ in 0..<n {
                    go {
                        // Touch a few pages of the stack, as real goroutines do.
                        withUnsafeTemporaryAllocation(byteCount: 12_288, alignment: 16) { buf in
                            for i in stride(from: 0, to: buf.count, by: 512) { buf[i] = UInt8(i & 0xff) }
                            useMemory(buf.baseAddress!) // (else an optimized build drops the stores)
                        }
                        _ = release.receive()
                        wg.done()
                    }
                }
                while release.waitingReceivers < n { Runtime.gosched() }
                let peak = residentBytes()
                release.close()
                wg.wait()
                // Ten scavenger intervals at least; on a busy machine up to 2 s for the
                // memory to come back (the scavenger is a goroutine like the others), and
                // for the pass that gave it back to end: a pass adds what it released to
                // the statistics when it ends, and one that unmaps 20,000 stacks yields
                // on the way (CI read the statistics mid-pass: 30 of 171 MB counted).
                Runtime.sleep(nanoseconds: 100_000_000)
                var waited = 100
                let half = Double(peak - before) / 2
                while scavenge != nil && waited < 2_000
                        && (Double(peak - residentBytes()) <= half || Double(Runtime.statistics()[.scavengedBytes]) <= half) {
                    Runtime.sleep(nanoseconds: 20_000_000)
                    waited += 20
                }
                let after = residentBytes()
                grown = peak - before
                released = peak - after
                stats = Runtime.statistics()
            }
            return (grown, released, stats)
        }
        let on = burst(scavenge: 10_000_000)
        XCTAssertGreaterThan(on.grown, 20_000 * 8192, "the burst used at least two pages per goroutine")
        XCTAssertGreaterThan(on.stats[.scavengerRuns], 0)
        XCTAssertGreaterThan(on.stats[.scavengedBytes], UInt64(on.grown / 2), "the scavenger counts what it gave back (\(on))")
        XCTAssertGreaterThan(Double(on.released), 0.5 * Double(on.grown),
                             "with the scavenger on, at least half of the burst's memory goes back (\(on))")
        let off = burst(scavenge: nil)
        XCTAssertEqual(off.stats[.scavengerRuns], 0)
        XCTAssertLessThan(Double(off.released), 0.2 * Double(off.grown),
                          "with the scavenger off the memory stays (\(off))")
    }
}
