// Channels and select with Go's semantics: FIFO buffers, close, ok flags, default,
// ready cases, the random choice among ready cases, closed-channel behaviours.
import XCTest
@testable import Runtime

final class ChannelSelectTests: XCTestCase {
    func testBufferedChannelIsFIFO() {
        var received: [Int] = []
        var bufferedAfterSends = -1
        RuntimeTestSupport.run(procs: 2) {
            let c = Channel<Int>(capacity: 8)
            for i in 0..<8 { c.send(i) }
            bufferedAfterSends = c.bufferedCount
            // A sender blocked on the full buffer goes after the buffered values.
            go { for i in 8..<20 { c.send(i) }; c.close() }
            for v in c { received.append(v) }
        }
        XCTAssertEqual(bufferedAfterSends, 8)
        XCTAssertEqual(received, Array(0..<20))
    }

    func testUnbufferedChannelHandsOverEveryValueInOrderPerSender() {
        var perSender: [[Int]] = Array(repeating: [], count: 4)
        RuntimeTestSupport.run(procs: 2) {
            let c = Channel<(Int, Int)>()
            let wg = WaitGroup()
            for s in 0..<4 {
                wg.add(1)
                go { for i in 0..<500 { c.send((s, i)) }; wg.done() }
            }
            go { wg.wait(); c.close() }
            for (s, i) in c { perSender[s].append(i) }
        }
        for s in 0..<4 { XCTAssertEqual(perSender[s], Array(0..<500), "sender \(s)") }
    }

    func testCloseWakesEveryReceiverWithOKFalse() {
        var results: [(Int?, Bool)] = []
        RuntimeTestSupport.run(procs: 2) {
            let c = Channel<Int>()
            let lock = RuntimeLock()
            let wg = WaitGroup()
            let waiting = AtomicCounter()
            for _ in 0..<10 {
                wg.add(1)
                go {
                    waiting.add()
                    let r = c.receiveWithOK()
                    lock.lock(); results.append(r); lock.unlock()
                    wg.done()
                }
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 5) { waiting.value == 10 }
            Runtime.sleep(nanoseconds: 5_000_000)
            c.close()
            wg.wait()
        }
        XCTAssertEqual(results.count, 10)
        XCTAssertTrue(results.allSatisfy { $0.0 == nil && $0.1 == false })
    }

    func testClosedChannelDrainsThenReportsClosed() {
        var log: [String] = []
        RuntimeTestSupport.run(procs: 1) {
            let c = Channel<Int>(capacity: 3)
            c.send(1); c.send(2)
            c.close()
            for _ in 0..<4 {
                let (v, ok) = c.receiveWithOK()
                log.append("\(v.map(String.init) ?? "nil") \(ok)")
            }
            log.append("try \(c.tryReceive().map { "\($0.0.map(String.init) ?? "nil") \($0.1)" } ?? "not ready")")
            let index = Runtime.select([.receive(c) { v, ok in log.append("select \(v.map(String.init) ?? "nil") \(ok)") }])
            log.append("index \(index)")
        }
        XCTAssertEqual(log, ["1 true", "2 true", "nil false", "nil false", "try nil false", "select nil false", "index 0"])
    }

    func testTrySendAndTryReceiveDoNotBlock() {
        var log: [String] = []
        RuntimeTestSupport.run(procs: 1) {
            let c = Channel<Int>(capacity: 1)
            log.append("receive empty: \(c.tryReceive() == nil)")
            log.append("send: \(c.trySend(7))")
            log.append("send full: \(c.trySend(8))")
            log.append("receive: \(c.tryReceive()?.0 ?? -1)")
            let unbuffered = Channel<Int>()
            log.append("unbuffered send, no receiver: \(unbuffered.trySend(1))")
        }
        XCTAssertEqual(log, ["receive empty: true", "send: true", "send full: false", "receive: 7",
                             "unbuffered send, no receiver: false"])
    }

    func testSelectTakesDefaultWhenNothingIsReady() {
        var index = 99, ranDefault = false, ranCase = false
        RuntimeTestSupport.run(procs: 1) {
            let a = Channel<Int>(), b = Channel<String>(capacity: 1)
            let full = Channel<Int>(capacity: 1)
            full.send(0)
            index = Runtime.select([
                .receive(a) { _, _ in ranCase = true },
                .receive(b) { _, _ in ranCase = true },
                .send(full, 1) { ranCase = true },
            ], default: { ranDefault = true })
        }
        XCTAssertEqual(index, -1)
        XCTAssertTrue(ranDefault)
        XCTAssertFalse(ranCase)
        var emptyIndex = 99
        RuntimeTestSupport.run(procs: 1) { emptyIndex = Runtime.select([], default: {}) }
        XCTAssertEqual(emptyIndex, -1)
    }

    func testSelectPicksTheReadyCase() {
        var picks: [Int] = []
        var values: [String] = []
        RuntimeTestSupport.run(procs: 1) {
            let a = Channel<Int>(), b = Channel<String>(capacity: 1), c = Channel<Int>(capacity: 1)
            b.send("b")
            picks.append(Runtime.select([
                .receive(a) { _, _ in values.append("a") },
                .receive(b) { v, ok in values.append("\(v!) \(ok)") },
                .send(a, 1) { values.append("sent a") },
            ], default: { values.append("default") }))
            picks.append(Runtime.select([
                .receive(a) { _, _ in values.append("a") },
                .send(c, 5) { values.append("sent c") },
            ]))
            XCTAssertEqual(c.receive(), 5)
        }
        XCTAssertEqual(picks, [1, 1])
        XCTAssertEqual(values, ["b true", "sent c"])
    }

    func testSelectBlocksUntilACaseIsReady() {
        var got: [String] = []
        RuntimeTestSupport.run(procs: 2) {
            let a = Channel<Int>(), b = Channel<String>(), quit = Channel<Bool>()
            go {
                Runtime.sleep(nanoseconds: 2_000_000)
                b.send("hello")
                a.send(42)
                quit.close()
            }
            var open = true
            while open {
                Runtime.select([
                    .receive(a) { v, _ in got.append("a \(v!)") },
                    .receive(b) { v, _ in got.append("b \(v!)") },
                    .receive(quit) { _, ok in got.append("quit \(ok)"); open = false },
                ])
            }
        }
        XCTAssertEqual(got, ["b hello", "a 42", "quit false"])
    }

    func testSelectChoosesRandomlyAmongReadyCases() {
        let rounds = 4000
        var counts = [0, 0, 0]
        RuntimeTestSupport.run(procs: 1) {
            let channels = (0..<3).map { _ in Channel<Int>(capacity: 1) }
            for _ in 0..<rounds {
                for c in channels where c.bufferedCount == 0 { c.send(1) }
                let i = Runtime.select(channels.map { c in .receive(c) { _, _ in } })
                counts[i] += 1
            }
        }
        XCTAssertEqual(counts.reduce(0, +), rounds)
        // Uniform: each case about 1/3. Binomial sd ≈ 30; 1/3 ± 0.06 is over 8 sd.
        for (i, n) in counts.enumerated() {
            let share = Double(n) / Double(rounds)
            XCTAssertTrue(abs(share - 1.0 / 3.0) < 0.06, "case \(i) chosen \(n) of \(rounds) times: \(counts)")
        }
    }

    func testSelectSendOnClosedChannelIsNotChosenSilently() {
        // A closed channel's receive case is always ready (ok == false); a send on it
        // panics (checked in ScenarioProcessTests); here: receive wins over a blocked case.
        var result = ""
        RuntimeTestSupport.run(procs: 1) {
            let closed = Channel<Int>(), never = Channel<Int>()
            closed.close()
            for _ in 0..<50 {
                Runtime.select([
                    .receive(never) { _, _ in result += "never" },
                    .receive(closed) { v, ok in if v == nil && !ok { result += "." } },
                ])
            }
        }
        XCTAssertEqual(result, String(repeating: ".", count: 50))
    }

    func testSelectCancelsItsOtherWaitersAfterFiring() {
        // After a select fired on one channel, its waiters on the others are gone: a later
        // send on those channels goes to a plain receiver, not to the finished select.
        var got: [Int] = []
        RuntimeTestSupport.run(procs: 2) {
            let a = Channel<Int>(), b = Channel<Int>()
            for round in 0..<200 {
                let fired = Channel<Int>(capacity: 1)
                go {
                    Runtime.select([
                        .receive(a) { v, _ in fired.send(v!) },
                        .receive(b) { v, _ in fired.send(v!) },
                    ])
                }
                a.send(round)
                XCTAssertEqual(fired.receive(), round)
                go { b.send(-round) }
                got.append(b.receive()!)
            }
        }
        XCTAssertEqual(got, (0..<200).map { -$0 })
    }

    func testPingPongManyPairs() {
        var total: Int64 = 0
        RuntimeTestSupport.run(procs: 2) {
            let sum = AtomicCounter()
            let wg = WaitGroup()
            for _ in 0..<20 {
                let ping = Channel<Int>(), pong = Channel<Int>()
                wg.add(2)
                go { for v in ping { pong.send(v + 1) }; pong.close(); wg.done() }
                go {
                    var x = 0
                    for _ in 0..<500 { ping.send(x); x = pong.receive()! }
                    ping.close()
                    sum.add(Int64(x))
                    wg.done()
                }
            }
            wg.wait()
            total = sum.value
        }
        XCTAssertEqual(total, 20 * 500)
    }
    func testBlockingSelectChoosesEvenlyBetweenTwoReadyPartners() {
        // Two senders wait, one on each channel, before every select (Go's pollorder):
        // each case about half of the time. Binomial sd over 2000 trials is about 22;
        // 1000 ± 200 is 9 sd, so a fair select never fails this, and one that always
        // (or mostly) takes its first case always does.
        let trials = 2000
        var counts = [0, 0]
        RuntimeTestSupport.run(procs: 1) {
            let a = Channel<Int>(), b = Channel<Int>()
            go { for _ in 0..<trials { a.send(0) } }
            go { for _ in 0..<trials { b.send(1) } }
            for _ in 0..<trials {
                while a.waitingSenderCount == 0 || b.waitingSenderCount == 0 { Runtime.gosched() }
                let i = Runtime.select(.receive(a), .receive(b))
                counts[i] += 1
            }
            // Drain what the senders still have, so that they end.
            for _ in 0..<(trials - counts[0]) { _ = a.receive() }
            for _ in 0..<(trials - counts[1]) { _ = b.receive() }
        }
        XCTAssertEqual(counts[0] + counts[1], trials)
        XCTAssertTrue(abs(counts[0] - trials / 2) < 200, "first case chosen \(counts[0]) of \(trials) times")
    }

    func testNilChannelCaseNeverFires() {
        var picks: [Int] = []
        RuntimeTestSupport.run(procs: 2) {
            let none: Channel<Int>? = nil
            let c = Channel<Int>(capacity: 1)
            for _ in 0..<50 {
                c.send(7)
                picks.append(Runtime.select(.receive(none), .send(none, 1), .receive(c)))
            }
            // Only nil channels, with a default: the default.
            picks.append(Runtime.select(.receive(none), default: {}))
            // A nil case beside a blocking one: the select waits for the real channel.
            let d = Channel<String>()
            go { Runtime.sleep(nanoseconds: 1_000_000); d.send("late") }
            var got = ""
            picks.append(Runtime.select(.send(none, 2), .receive(d) { v, _ in got = v! }))
            XCTAssertEqual(got, "late")
        }
        XCTAssertEqual(picks, Array(repeating: 2, count: 50) + [-1, 1])
    }

    func testBlockingSelectCarriesValuesOfEveryLayout() {
        // Values that need releasing (strings, arrays), a large struct (boxed in the case)
        // and an empty one, through parked selects on both sides, many times over (the
        // G's waiter chain and slots are reused and grow).
        struct Big: Equatable { var a = 1, b = 2, c = 3, d = 4, e = "five" }
        var log: [String] = []
        RuntimeTestSupport.run(procs: 2) {
            let strings = Channel<String>(), arrays = Channel<[Int]>(), bigs = Channel<Big>(), empties = Channel<Void>()
            let wg = WaitGroup()
            wg.add(1)
            go {
                for i in 0..<300 {
                    switch i % 4 {
                    case 0: Runtime.select(.send(strings, "s\(i)"), .send(bigs, Big(a: i)))
                    case 1: Runtime.select(.send(arrays, [i, i]), .send(empties, ()))
                    case 2: Runtime.select([.send(bigs, Big(a: i)), .send(strings, "t\(i)"), .send(arrays, [i])])
                    default: Runtime.select(.send(empties, ()), .send(strings, "u\(i)"))
                    }
                }
                wg.done()
            }
            var received = 0
            while received < 300 {
                Runtime.select(
                    .receive(strings) { v, _ in if v!.isEmpty { log.append("empty string") } },
                    .receive(arrays) { v, _ in if v!.isEmpty { log.append("empty array") } },
                    .receive(bigs) { v, _ in if v!.e != "five" || v!.b != 2 { log.append("bad big") } },
                    .receive(empties))
                received += 1
            }
            wg.wait()
        }
        XCTAssertEqual(log, [])
    }

    func testHandlerMaySelectAgain() {
        // A handler runs after the select let go of its waiters: a select inside it (which
        // reuses them) sees its own values.
        var got: [Int] = []
        RuntimeTestSupport.run(procs: 2) {
            let a = Channel<Int>(), b = Channel<Int>(), c = Channel<Int>()
            go { for i in 0..<100 { a.send(i); b.send(1000 + i) } }
            for _ in 0..<100 {
                Runtime.select(.receive(a) { v, _ in
                    got.append(v!)
                    Runtime.select(.receive(b) { w, _ in got.append(w!) }, .receive(c))
                }, .receive(c))
            }
        }
        XCTAssertEqual(got, (0..<100).flatMap { [$0, 1000 + $0] })
    }

    func testCaseOperationIsOpenedInPlaceOnlyWhenInline() {
        // A send of up to 8 bytes, and every receive, fit the existential's inline buffer;
        // a larger send value is boxed, and select must not open that box as inout.
        struct Big { var a = 1, b = 2, c = 3 }
        XCTAssertTrue(SelectCase.send(Channel<Int>(), 1).inline)
        XCTAssertTrue(SelectCase.send(Channel<AnyObject>(), NSObject()) { }.inline)
        XCTAssertTrue(SelectCase.receive(Channel<Big>()) { _, _ in }.inline)
        XCTAssertFalse(SelectCase.send(Channel<String>(), "a string").inline)
        XCTAssertFalse(SelectCase.send(Channel<Big>(), Big()).inline)
    }

    func testOneArrayOfBoxedCasesSharedByManyGoroutines() {
        // The same array (one buffer, the boxes shared) selected by four goroutines at
        // once: every value arrives intact, and the array is unchanged.
        struct Big: Equatable { var a = 1, b = 2, c = 3, e = "four" }
        var bad = 0, total = 0
        RuntimeTestSupport.run(procs: 2) {
            let bigs = Channel<Big>(), strings = Channel<String>()
            let shared: [SelectCase] = [.send(bigs, Big()), .send(strings, "a string")]
            let wg = WaitGroup()
            wg.add(4)
            for _ in 0..<4 { go { for _ in 0..<250 { Runtime.select(shared) }; wg.done() } }
            for _ in 0..<1000 {
                Runtime.select(.receive(bigs) { v, _ in if v != Big() { bad += 1 } },
                               .receive(strings) { v, _ in if v != "a string" { bad += 1 } })
                total += 1
            }
            wg.wait()
        }
        XCTAssertEqual(bad, 0)
        XCTAssertEqual(total, 1000)
    }
}
