// Node-local free-G caches (Scheduler.freePut/freeGet with Ms bound to nodes): a P caches
// only dead Gs whose memory is on its node; others go to the global list, a refill takes
// the P's own node's Gs from it, and a G of another node is still reused (not cached)
// rather than a new one allocated. The multi-node VM check (scripts/numa-vm-check.sh)
// checks the real memory; here a P is given a node on this one-node machine.
import XCTest
@testable import Runtime

final class FreeGoroutineNodeTests: XCTestCase {
    func testAPCachesOnlyItsOwnNodesFreeGoroutines() {
        var cachedAfterPuts = -1, homeNodesCached: Set<Int32> = []
        var refilled: [Int32] = []
        var reusedRemote: Int32 = -9
        var globalAfter = -1
        RuntimeTestSupport.run(procs: 1) {
            let s = sched!
            let p = inRuntime { Machine.current!.p! }
            let savedNode = p.memoryNode
            // Start from an empty cache and global list (put back at the end).
            var saved: [Goroutine] = []
            s.freeLock.lock()
            while let w = s.globalFreeList.popBack() { saved.append(Goroutine.from(word: w)) }
            s.globalFreeChanged()
            s.freeLock.unlock()
            while let w = p.freeList.popBack() { saved.append(Goroutine.from(word: w)) }

            p.memoryNode = 0
            func deadG(home: Int32) -> Goroutine {
                let g = s.newGoroutine(on: p) // asks the kernel: node 0 on this machine
                g.homeNode = home
                g.setStatus(.dead)
                return g
            }
            let local = (0..<8).map { _ in deadG(home: 0) }
            let remote = (0..<8).map { _ in deadG(home: 1) }
            for g in remote { s.freePut(p, g) } // to the global list
            for g in local { s.freePut(p, g) }  // into the cache
            cachedAfterPuts = p.freeCount
            for i in 0..<p.freeList.count { homeNodesCached.insert(Goroutine.from(word: p.freeList[i]).homeNode) }

            // Move the local ones to the global list too, mixed with the remote ones, and
            // take them back: a refill brings only node 0's.
            s.freeLock.lock()
            while let w = p.freeList.popBack() { s.globalFreePush(Goroutine.from(word: w)) }
            s.freeLock.unlock()
            for _ in 0..<8 {
                guard let gp = s.freeGet(p) else { break }
                refilled.append(gp.homeNode)
            }
            // Only node 1's are left: one is reused, not cached.
            if let gp = s.freeGet(p) { reusedRemote = gp.homeNode }
            globalAfter = s.globalFreeCount

            // Restore.
            p.memoryNode = savedNode
            s.freeLock.lock()
            for gp in saved {
                s.globalFreePush(gp)
            }
            s.freeLock.unlock()
        }
        XCTAssertEqual(cachedAfterPuts, 8, "only the 8 node-0 Gs are cached")
        XCTAssertEqual(homeNodesCached, [0])
        XCTAssertEqual(refilled, [Int32](repeating: 0, count: 8), "a refill takes the P's own node's Gs")
        XCTAssertEqual(reusedRemote, 1, "with none of its node left, a remote G is reused")
        XCTAssertEqual(globalAfter, 7, "the other remote Gs stay on the global list")
    }
}
