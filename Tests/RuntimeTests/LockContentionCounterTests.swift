// The contention counters of sched.lock and the timer heaps (`sched_lock_contentions`,
// `timer_lock_contentions`): a take of a counted RuntimeLock that finds it held is counted
// once, a free take is not, and the scheduler's and every timer heap's lock are counted.
import XCTest
import Foundation
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class LockContentionCounterTests: XCTestCase {
    /// A waiter that finds the lock held is counted before it waits; the holder releases
    /// only once the counter moved, so the waiter has certainly taken the slow path.
    func testTakeOfAHeldLockIsCountedOnceAndFreeTakesAreNot() {
        let lock = RuntimeLock()
        lock.contentionCounter = .timerLockContentions
        let before = Statistics.shared[.timerLockContentions]
        for _ in 0..<100 { lock.lock(); lock.unlock() }
        XCTAssertEqual(Statistics.shared[.timerLockContentions], before, "an uncontended take is not counted")

        lock.lock()
        let acquired = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        acquired.initialize(to: 0)
        defer { acquired.deallocate() }
        let acquiredAddress = UInt(bitPattern: acquired) // (a pointer is not Sendable; its address is)
        let waiter = Thread {
            lock.lock()
            gb_store_release_u32(UnsafeMutablePointer(bitPattern: acquiredAddress)!, 1)
            lock.unlock()
        }
        waiter.start()
        let deadline = gb_nanotime() + 10_000_000_000
        while Statistics.shared[.timerLockContentions] == before && gb_nanotime() < deadline { usleep(1000) }
        XCTAssertEqual(Statistics.shared[.timerLockContentions], before + 1, "the waiter's take is counted once")
        XCTAssertEqual(gb_load_acquire_u32(acquired), 0, "the waiter cannot hold the lock yet")
        lock.unlock()
        while gb_load_acquire_u32(acquired) == 0 && gb_nanotime() < deadline { usleep(1000) }
        XCTAssertEqual(gb_load_acquire_u32(acquired), 1, "the waiter got the lock once it was released")
        XCTAssertEqual(Statistics.shared[.timerLockContentions], before + 1)
    }

    /// A lock without a counter counts nothing, contended or not (channels' locks).
    func testUncountedLockCountsNothing() {
        let lock = RuntimeLock()
        let sched0 = Statistics.shared[.schedLockContentions], timer0 = Statistics.shared[.timerLockContentions]
        lock.lock()
        let done = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
        done.initialize(to: 0)
        defer { done.deallocate() }
        let doneAddress = UInt(bitPattern: done) // (a pointer is not Sendable; its address is)
        let waiter = Thread {
            lock.lock()
            gb_store_release_u32(UnsafeMutablePointer(bitPattern: doneAddress)!, 1)
            lock.unlock()
        }
        waiter.start()
        usleep(50_000)
        lock.unlock()
        let deadline = gb_nanotime() + 10_000_000_000
        while gb_load_acquire_u32(done) == 0 && gb_nanotime() < deadline { usleep(1000) }
        XCTAssertEqual(gb_load_acquire_u32(done), 1)
        XCTAssertEqual(Statistics.shared[.schedLockContentions], sched0)
        XCTAssertEqual(Statistics.shared[.timerLockContentions], timer0)
    }

    /// The runtime counts its own: sched.lock and each P's timer heap carry their counter.
    func testSchedulerAndTimerHeapLocksAreCounted() {
        RuntimeTestSupport.run(procs: 2) {
            let s = sched!
            XCTAssertEqual(s.lock.contentionCounter, .schedLockContentions)
            for p in s.allP { XCTAssertEqual(p.timers.lock.contentionCounter, .timerLockContentions) }
            XCTAssertNil(s.allGLock.contentionCounter)
        }
    }
}
