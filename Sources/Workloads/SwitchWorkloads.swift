// gosched-pingpong, chan-pingpong, chan-prodcons and pingpong-hog on this runtime.
import Foundation
import Runtime

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

    /// n round trips over two unbuffered channels; every 16th round trip is timed alone
    /// for the latency percentiles.
    static func chanPingPong(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let ping = Channel<Int>(), pong = Channel<Int>()
        go {
            while let v = ping.receive() { pong.send(v) }
        }
        var h = newLatencyHistogram()
        let start = now()
        for i in 0..<n {
            if i & 15 == 0 {
                let t0 = now()
                ping.send(i)
                _ = pong.receive()
                _ = h.record(UInt64(max(1, now() - t0)))
            } else {
                ping.send(i)
                _ = pong.receive()
            }
        }
        let elapsed = now() - start
        ping.close()
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + latencyMetrics(h) + runtimeMetrics())
    }

    /// `pairs` producers and consumers (0: GOMAXPROCS of each) over one channel of
    /// `buffer` slots, n items in all, with a little local work per item (Go's
    /// BenchmarkChanProdCons).
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
    /// progresses only because the hog is preempted (here at its preemption points).
    static func pingPongHog(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let stop = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        stop.initialize(to: 0)
        defer { stop.deallocate() }
        let hogDone = Channel<Int>(capacity: 1)
        go {
            var x: UInt64 = 1
            var i = 0
            while stop.pointee == 0 {
                x = computeKernel(seed: x, rounds: 100)
                i += 1
                Runtime.preemptionPoint()
            }
            Sink.shared.add(x & 1)
            hogDone.send(i)
        }
        let ping = Channel<Int>(), pong = Channel<Int>()
        go {
            while let v = ping.receive() { pong.send(v) }
        }
        var h = newLatencyHistogram()
        let start = now()
        for i in 0..<n {
            let t0 = now()
            ping.send(i)
            _ = pong.receive()
            _ = h.record(UInt64(max(1, now() - t0)))
        }
        let elapsed = now() - start
        stop.pointee = 1
        ping.close()
        _ = hogDone.receive()
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + latencyMetrics(h) + runtimeMetrics())
    }
}

extension Sink {
    /// Folds a value into the sink without a lock (only its low bit, racy by design:
    /// the point is that the compiler must compute it).
    @inline(__always) func addLocal(_ v: UInt64) {
        if v == 0x5eed { add(v) }
    }
}
