// RunQueue under contention: one owner putting and getting, stealer threads stealing,
// every item taken exactly once; overflow to the caller at capacity.
import XCTest
import Foundation
@testable import Runtime

final class RunQueueTests: XCTestCase {
    func testOwnerOrderIsRunnextThenFIFO() {
        let q = RunQueue(capacity: 8)
        var overflowed: [UInt] = []
        for item in UInt(1)...3 { q.put(item, next: false) { overflowed += $0 } }
        q.put(10, next: true) { overflowed += $0 }
        q.put(11, next: true) { overflowed += $0 } // kicks 10 to the tail
        var got: [UInt] = []
        var inherits: [Bool] = []
        while let (item, inherit) = q.get() { got.append(item); inherits.append(inherit) }
        XCTAssertEqual(got, [11, 1, 2, 3, 10])
        XCTAssertEqual(inherits, [true, false, false, false, false])
        XCTAssertTrue(overflowed.isEmpty)
        XCTAssertTrue(q.isEmpty)
    }

    func testOverflowAtCapacityHandsHalfPlusTheItemToTheCaller() {
        let q = RunQueue(capacity: 4)
        var batches: [[UInt]] = []
        for item in UInt(1)...4 {
            XCTAssertFalse(q.put(item, next: false) { batches.append(Array($0)) })
        }
        XCTAssertEqual(q.count, 4)
        XCTAssertTrue(q.put(5, next: false) { batches.append(Array($0)) })
        XCTAssertEqual(batches, [[1, 2, 5]])
        XCTAssertEqual(q.drain(), [3, 4])
    }

    func testStealTakesHalfAndRunnextOnlyWhenAsked() {
        let victim = RunQueue(capacity: 8), thief = RunQueue(capacity: 8)
        for item in UInt(1)...6 { victim.put(item, next: false) { _ in XCTFail("overflow") } }
        victim.put(99, next: true) { _ in XCTFail("overflow") }
        // Half of 6 is 3: the thief runs the last of them and keeps the other two.
        XCTAssertEqual(thief.steal(from: victim, stealRunNext: false), 3)
        XCTAssertEqual(thief.drain(), [1, 2])
        XCTAssertEqual(victim.count, 3)
        XCTAssertEqual(thief.steal(from: victim, stealRunNext: false), 5)
        XCTAssertEqual(thief.drain(), [4])
        XCTAssertEqual(thief.steal(from: victim, stealRunNext: false), 6)
        XCTAssertNil(thief.steal(from: victim, stealRunNext: false), "runnext is not stolen unless asked")
        XCTAssertEqual(thief.steal(from: victim, stealRunNext: true), 99)
        XCTAssertTrue(victim.isEmpty)
    }

    /// The owner puts (some with `next`) and gets; stealer threads steal into their own
    /// queues and drain them. Each item must be taken exactly once across the owner, the
    /// stealers and the overflow batches.
    func testEveryItemTakenExactlyOnceUnderContention() {
        for capacity: UInt32 in [4, 16, 256] {
            checkContention(capacity: capacity, items: RuntimeTestSupport.isDebugBuild ? 200_000 : 2_000_000, stealers: 3)
        }
    }

    private func checkContention(capacity: UInt32, items: Int, stealers: Int) {
        let victim = RunQueue(capacity: capacity)
        let stop = AtomicCounter()
        let finished = AtomicCounter()
        let taken = RunOnceBitmap(count: items + 1)
        let stolenTotal = AtomicCounter()
        let stealSeen = AtomicCounter()
        for _ in 0..<stealers {
            let thread = Thread {
                let own = RunQueue(capacity: capacity)
                var stolen = 0
                var round = 0
                while true {
                    let stopping = stop.value != 0
                    round += 1
                    if let item = own.steal(from: victim, stealRunNext: round % 4 == 0) {
                        stealSeen.store(1)
                        taken.mark(Int(item)); stolen += 1
                        while let (more, _) = own.get() { taken.mark(Int(more)); stolen += 1 }
                    } else if stopping {
                        break
                    }
                }
                stolenTotal.add(Int64(stolen))
                finished.add()
            }
            thread.start()
        }
        var ownerTaken = 0, overflowed = 0
        var random: UInt64 = 0x2545F4914F6CDD1D
        var next = 1
        var waitedForASteal = false
        while next <= items {
            // Halfway, with items queued: wait for the stealer threads to take some (on
            // two busy cores they may not have run yet), so that the steal is tested.
            if !waitedForASteal && next > items / 2 && !victim.isEmpty {
                waitedForASteal = true
                XCTAssertTrue(RuntimeTestSupport.waitOnThread(seconds: 10) { stealSeen.value != 0 },
                              "capacity \(capacity): no stealer took anything from a non-empty queue in 10 s")
            }
            random ^= random << 13; random ^= random >> 7; random ^= random << 17
            let burst = Int(random % 8) + 1
            for _ in 0..<burst where next <= items {
                victim.put(UInt(next), next: random & 0x100 != 0) { batch in
                    for item in batch { taken.mark(Int(item)) }
                    overflowed += batch.count
                }
                next += 1
            }
            for _ in 0..<Int((random >> 20) % 6) {
                guard let (item, _) = victim.get() else { break }
                taken.mark(Int(item)); ownerTaken += 1
            }
        }
        while let (item, _) = victim.get() { taken.mark(Int(item)); ownerTaken += 1 }
        stop.store(1)
        XCTAssertTrue(RuntimeTestSupport.waitOnThread(seconds: 30) { finished.value == Int64(stealers) }, "stealers did not finish")
        let stolen = Int(stolenTotal.value)
        var violations = taken.violations()
        violations.removeAll { $0.index == 0 } // index 0 is never an item
        XCTAssertEqual(violations.map(\.index), [], "capacity \(capacity): items taken other than once: \(violations)")
        XCTAssertEqual(ownerTaken + stolen + overflowed, items, "capacity \(capacity)")
        XCTAssertTrue(victim.isEmpty)
        if capacity == 4 { XCTAssertGreaterThan(overflowed, 0, "a capacity-4 queue must overflow") }
        XCTAssertGreaterThan(stolen, 0, "capacity \(capacity): nothing was stolen")
    }
}
