// gosched-pingpong, chan-pingpong, chan-prodcons and pingpong-hog on this runtime.
import Foundation
import Runtime
import Synchronization

enum SwitchWorkloads {
    /// Two goroutines that each call Gosched n times (ops = 2n).
    static func goschedPingPong(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let wg = WaitGroup()
        wg.add(2)
        let start = now()
        for _ in 0..<2 {
            go {
                for _ in 0..<n { Runtime.gosched() }
                wg.done()
            }
        }
        wg.wait()
        let elapsed = now() - start
        return .ok(ops: 2 * n, metrics: standardMetrics(ops: 2 * n, wallNanoseconds: elapsed) + runtimeMetrics())
    }

    /// n round trips over two unbuffered channels. As the Go peer: one clock reading per
    /// round trip, each latency the time since the previous reading, stored in an array
    /// (allocated, not touched, before the measurement) and put in the histogram after.
    static func chanPingPong(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let ping = Channel<Int>(), pong = Channel<Int>()
        go {
            while let v = ping.receive() { pong.send(v) }
        }
        let latencies = UnsafeMutablePointer<Int64>.allocate(capacity: n)
        defer { latencies.deallocate() }
        let start = now()
        var previous = start
        for i in 0..<n {
            ping.send(i)
            _ = pong.receive()
            let t = now()
            latencies[i] = t - previous
            previous = t
        }
        let elapsed = now() - start
        ping.close()
        let h = latencyHistogram(latencies, count: n)
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + latencyMetrics(h) + runtimeMetrics())
    }

    /// `pairs` producers and consumers (0: GOMAXPROCS of each) over one channel of
    /// `buffer` slots, n items in all (Go's BenchmarkChanProdCons).
    static func chanProdCons(_ p: Parameters, procs: Int) -> WorkloadOutcome {
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
        let start = now()
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
        let elapsed = now() - start
        let total = (0..<pairs).reduce(0) { $0 + received[$1] }
        if total != n { return .error("chan-prodcons: consumers received \(total) items, want \(n)") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + runtimeMetrics())
    }

    /// A CPU hog beside a ping-pong pair at GOMAXPROCS=1 (Go's PingPongHog): the pair
    /// progresses only because the hog is preempted (here at its preemption points: there
    /// is no asynchronous preemption). `hog_ms` > 0 stops the hog after that long, as the
    /// Go peer's time.AfterFunc. Only ns_per_op, as the Go peer: no clock reading per trip.
    static func pingPongHog(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), hogMs = p.int("hog_ms")
        final class Stop: Sendable { let flag = Atomic<Bool>(false) }
        let stop = Stop()
        let hogDone = Channel<Int>(capacity: 1)
        go {
            var x: UInt64 = 1
            var i = 0
            while !stop.flag.load(ordering: .relaxed) {
                x = computeKernel(seed: x, rounds: 100)
                i += 1
                Runtime.preemptionPoint()
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
        go {
            while let v = ping.receive() { pong.send(v) }
        }
        let start = now()
        for i in 0..<n {
            ping.send(i)
            _ = pong.receive()
        }
        let elapsed = now() - start
        stop.flag.store(true, ordering: .relaxed)
        ping.close()
        _ = hogDone.receive()
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + runtimeMetrics())
    }
}
