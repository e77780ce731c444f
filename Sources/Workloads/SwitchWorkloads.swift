// gosched-pingpong, chan-pingpong, chan-prodcons and pingpong-hog on this runtime.
import GobenchKit
import Foundation
import Runtime
import Synchronization

enum SwitchWorkloads {
    /// Goroutines that each call Gosched n times (ops = all the calls). `mode=pairs`: two
    /// goroutines per P (2 x GOMAXPROCS), so that a yield always finds another goroutine to
    /// switch to; `mode=lone`: two goroutines in all, so that at GOMAXPROCS >= 2 each can
    /// be alone on its P, where a Gosched finds nothing else to run (both runtimes queue the
    /// G on the global queue and take it straight back). Same structure as the Go peer: the
    /// clock starts, the goroutines are spawned, main waits on a WaitGroup, the clock stops.
    static func goschedPingPong(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let goroutines = goschedGoroutines(mode: p.string("mode"), procs: procs)
        let wg = WaitGroup()
        let clock = SectionClock()
        wg.add(goroutines)
        for _ in 0..<goroutines {
            go {
                for _ in 0..<n { Runtime.gosched() }
                wg.done()
            }
        }
        wg.wait()
        let section = clock.stop()
        let ops = goroutines * n
        return .ok(ops: ops, metrics: standardMetrics(ops: ops, section: section) + runtimeMetrics())
    }

    /// gosched-pingpong's goroutine count for a mode (PROTOCOL.md section 1).
    static func goschedGoroutines(mode: String, procs: Int) -> Int {
        mode == "lone" ? 2 : 2 * procs
    }

    /// n round trips over two unbuffered channels. As the Go peer: one clock reading per
    /// round trip, each latency the time since the previous reading, stored in an array
    /// (allocated, not touched, before the measurement) and put in the histogram after.
    static func chanPingPong(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let ping = Channel<Int>(), pong = Channel<Int>()
        go {
            while let v = ping.receive() { pong.send(v) }
        }
        let latencies = UnsafeMutablePointer<Int64>.allocate(capacity: n)
        defer { latencies.deallocate() }
        let clock = SectionClock()
        var previous = clock.wallStart
        for i in 0..<n {
            ping.send(i)
            _ = pong.receive()
            let t = now()
            latencies[i] = t - previous
            previous = t
        }
        let section = clock.stop()
        ping.close()
        let h = latencyHistogram(latencies, count: n)
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + latencyMetrics(h) + runtimeMetrics())
    }

    /// `pairs` producers and consumers (0: GOMAXPROCS of each) over one channel of
    /// `buffer` slots, n items in all (Go's BenchmarkChanProdCons).
    static func chanProdCons(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        // PROTOCOL.md: one op is one item sent and received, nothing else (as the Go
        // peer's runChanProdCons); the consumers count what they got, and a lost or
        // duplicated item makes the run an error.
        let n = p.int("n"), buffer = p.int("buffer")
        let pairs = p.int("pairs") == 0 ? procs : p.int("pairs")
        let c = Channel<Int>(capacity: buffer)
        let producers = WaitGroup(), consumers = WaitGroup()
        let received = UnsafeMutablePointer<Int>.allocate(capacity: pairs)
        received.initialize(repeating: 0, count: pairs)
        defer { received.deallocate() }
        producers.add(pairs)
        consumers.add(pairs)
        let clock = SectionClock()
        for k in 0..<pairs {
            let count = n / pairs + (k < n % pairs ? 1 : 0)
            go {
                for i in 0..<count { c.send(i) }
                producers.done()
            }
            go {
                var got = 0
                while c.receive() != nil { got += 1 }
                received[k] = got // (read after consumers.wait: the WaitGroup orders it)
                consumers.done()
            }
        }
        producers.wait()
        c.close()
        consumers.wait()
        let section = clock.stop()
        let total = (0..<pairs).reduce(0) { $0 + received[$1] }
        if total != n { return .error("chan-prodcons: consumers received \(total) items, want \(n)") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }

    /// A CPU hog beside a ping-pong pair at GOMAXPROCS=1, structured as Go's
    /// BenchmarkPingPongHog and the Go peer: the hog is spawned first, then the echo
    /// goroutine; the clock starts; the pinger is spawned; main waits for the pair to end
    /// and stops the clock. The pair progresses only because the hog is preempted.
    /// `hog_ms` > 0 stops the hog after that long (a sleeping goroutine here, the Go peer's
    /// time.AfterFunc there). Only ns_per_op, as the Go peer: no clock reading per trip.
    static func pingPongHog(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), hogMs = p.int("hog_ms")
        final class Stop: Sendable { let flag = Atomic<Bool>(false) }
        let stop = Stop()
        let hogDone = Channel<Int>(capacity: 1)
        go {
            var x: UInt64 = 1
            var i = 0
            while !stop.flag.load(ordering: .relaxed) {
                x = computeKernel(seed: x, rounds: 100)
                i += 1 // no runtime call: only asynchronous preemption stops the hog
            }
            Sink.shared.add(x)
            hogDone.send(i)
        }
        if hogMs > 0 {
            go {
                Runtime.sleep(nanoseconds: Int64(hogMs) * 1_000_000)
                stop.flag.store(true, ordering: .relaxed)
            }
        }
        let ping = Channel<Int>(), pong = Channel<Int>()
        let pairDone = Channel<Int>(capacity: 1)
        go {
            for _ in 0..<n { pong.send(ping.receive()!) }
            pairDone.send(0)
        }
        let clock = SectionClock()
        go {
            for i in 0..<n {
                ping.send(i)
                _ = pong.receive()
            }
        }
        _ = pairDone.receive()
        let section = clock.stop()
        stop.flag.store(true, ordering: .relaxed)
        _ = hogDone.receive()
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }
}
