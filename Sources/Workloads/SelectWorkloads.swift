// The select workload on this runtime (docs/PROTOCOL.md, "select"): three shapes from Go's
// own select benchmarks, the same structure as the Go peer's peers/go/selects.go.
//
// - prodcons (BenchmarkSelectProdCons): GOMAXPROCS producers and consumers over one
//   channel of 128 slots; each send and each receive is a select with two more cases that
//   never fire (Go's benchmark has a timer an hour away and a close channel); a producer
//   ends with a plain send of 0, which stops one consumer. One op: one item.
// - contended (BenchmarkSelectContended): GOMAXPROCS goroutines and two channels of
//   GOMAXPROCS slots; each goroutine puts one token in the first, then selects over
//   receiving from either and passes what it got to the other. One op: one select.
// - stress4 (TestSelectStress): four channels (unbuffered, unbuffered, 2 and 3 slots); a
//   plain sender and a plain receiver per channel, one goroutine sending on all four in
//   one select and one receiving from all four in one select, N = n/8 items per channel
//   from each sending side; a channel whose N items went leaves its select (Go sets it to
//   nil). One op: one item sent and received (8N in all).
//
// The cases are built once (and again when a stress4 channel leaves), as a Go select names
// its channels and constant values in place: the measured section is the selects and the
// channel operations. Every item is counted where it is received; a lost or duplicated
// item makes the run an error.
import GobenchKit
import Foundation
import Runtime

enum SelectWorkloads {
    static func select(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        switch p.string("mode") {
        case "prodcons": return prodCons(n: n, procs: procs)
        case "contended": return contended(n: n, procs: procs)
        default: return stress4(n: n)
        }
    }

    /// Per-goroutine state a receive case's handler writes (one class reference: the
    /// closure needs no context of its own).
    final class Counter: @unchecked Sendable {
        var items = 0
        var stopped = false
    }

    static func prodCons(n: Int, procs: Int) -> WorkloadOutcome {
        let items = Channel<Int>(capacity: 128)
        let never = Channel<Int>(), quit = Channel<Bool>()
        let done = WaitGroup()
        let counters = (0..<procs).map { _ in Counter() }
        done.add(2 * procs)
        let clock = SectionClock()
        for k in 0..<procs {
            let count = n / procs + (k < n % procs ? 1 : 0)
            go {
                let cases: [SelectCase] = [.send(items, 1), .receive(never), .receive(quit)]
                for _ in 0..<count { Runtime.select(cases) }
                items.send(0)
                done.done()
            }
            let counter = counters[k]
            go {
                let cases: [SelectCase] = [
                    .receive(items) { v, _ in if v == 0 { counter.stopped = true } else { counter.items += 1 } },
                    .receive(never), .receive(quit),
                ]
                while !counter.stopped { Runtime.select(cases) }
                done.done()
            }
        }
        done.wait()
        let section = clock.stop()
        let total = counters.reduce(0) { $0 + $1.items }
        if total != n { return .error("select prodcons: consumers received \(total) items, want \(n)") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }

    static func contended(n: Int, procs: Int) -> WorkloadOutcome {
        let c1 = Channel<Int>(capacity: procs), c2 = Channel<Int>(capacity: procs)
        let done = WaitGroup()
        done.add(procs)
        let clock = SectionClock()
        for k in 0..<procs {
            let count = n / procs + (k < n % procs ? 1 : 0)
            go {
                c1.send(k + 1)
                let cases: [SelectCase] = [
                    .receive(c1) { v, _ in c2.send(v!) },
                    .receive(c2) { v, _ in c1.send(v!) },
                ]
                for _ in 0..<count { Runtime.select(cases) }
                done.done()
            }
        }
        done.wait()
        let section = clock.stop()
        // The tokens: each of 1...procs once, in one channel or the other.
        var tokens: [Int] = []
        while let (v, _) = c1.tryReceive() { tokens.append(v!) }
        while let (v, _) = c2.tryReceive() { tokens.append(v!) }
        if tokens.sorted() != Array(1...procs) {
            return .error("select contended: tokens at the end \(tokens.sorted()), want 1...\(procs)")
        }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }

    static func stress4(n: Int) -> WorkloadOutcome {
        let perChannel = max(1, n / 8)
        let channels = [Channel<Int>(), Channel<Int>(), Channel<Int>(capacity: 2), Channel<Int>(capacity: 3)]
        let done = WaitGroup()
        done.add(10)
        // Items received from channel k by its plain receiver and by the select receiver
        // (each slot written by one goroutine, read after done.wait()).
        let plainReceived = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        let selectReceived = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        plainReceived.initialize(repeating: 0, count: 4)
        selectReceived.initialize(repeating: 0, count: 4)
        defer { plainReceived.deallocate(); selectReceived.deallocate() }
        let clock = SectionClock()
        for k in 0..<4 {
            let c = channels[k]
            go {
                for _ in 0..<perChannel { c.send(0) }
                done.done()
            }
            go {
                var got = 0
                for _ in 0..<perChannel { if c.receiveWithOK().1 { got += 1 } }
                plainReceived[k] = got
                done.done()
            }
        }
        go {
            // Go's order: channel 3's case first.
            var sent = [0, 0, 0, 0]
            var open = [3, 2, 1, 0]
            var cases = open.map { SelectCase.send(channels[$0], 0) }
            for _ in 0..<(4 * perChannel) {
                let i = Runtime.select(cases)
                let k = open[i]
                sent[k] += 1
                if sent[k] == perChannel {
                    open.remove(at: i)
                    cases = open.map { SelectCase.send(channels[$0], 0) }
                }
            }
            done.done()
        }
        go {
            var open = [0, 1, 2, 3]
            var cases = open.map { SelectCase.receive(channels[$0]) }
            for _ in 0..<(4 * perChannel) {
                let i = Runtime.select(cases)
                let k = open[i]
                selectReceived[k] += 1
                if selectReceived[k] == perChannel {
                    open.remove(at: i)
                    cases = open.map { SelectCase.receive(channels[$0]) }
                }
            }
            done.done()
        }
        done.wait()
        let section = clock.stop()
        for k in 0..<4 where plainReceived[k] + selectReceived[k] != 2 * perChannel {
            return .error("select stress4: channel \(k) delivered \(plainReceived[k]) + \(selectReceived[k]) items, want \(2 * perChannel)")
        }
        let ops = 8 * perChannel
        return .ok(ops: ops, metrics: standardMetrics(ops: ops, section: section) + runtimeMetrics())
    }
}
