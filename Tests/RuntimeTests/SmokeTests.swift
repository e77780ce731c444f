import XCTest
@testable import Runtime

final class SmokeTests: XCTestCase {
    func testSpawnAndWaitGroup() {
        var total = 0
        let lock = RuntimeLock()
        Runtime.run(RuntimeConfiguration(procs: 2)) {
            let wg = WaitGroup()
            for i in 0..<1000 {
                wg.add(1)
                go {
                    lock.lock(); total += i; lock.unlock()
                    wg.done()
                }
            }
            wg.wait()
        }
        XCTAssertEqual(total, 999 * 1000 / 2)
    }

    func testChannelPingPong() {
        var rounds = 0
        Runtime.run(RuntimeConfiguration(procs: 2)) {
            let ping = Channel<Int>(), pong = Channel<Int>()
            go {
                for v in ping { pong.send(v + 1) }
                pong.close()
            }
            var x = 0
            for _ in 0..<10000 { ping.send(x); x = pong.receive()! }
            ping.close()
            XCTAssertNil(pong.receive())
            rounds = x
        }
        XCTAssertEqual(rounds, 10000)
    }
}
