// A goroutine's body and the reuse of a dead G: the body's captures are released however
// the goroutine ends (return, Goexit from the body or from a defer), which also checks the
// closure layout that GoroutineEntry.context(of:) reads; and what a spawn no longer writes
// (Goroutine, "Layout": exit resets it) is reset for the next spawn on the same G.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class GoroutineEntryTests: XCTestCase {
    /// What a body captures; counts its deinits.
    final class Capture: @unchecked Sendable {
        static let freed = AtomicCounter()
        let value: Int
        init(_ value: Int) { self.value = value }
        deinit { Capture.freed.add() }
    }

    /// How a test goroutine ends.
    enum Ending { case returns, goexitInBody, goexitInDefer, goexitDeep }

    /// Spawns `n` goroutines whose bodies each capture a fresh Capture, ending as `ending`
    /// says; returns once all have run (the WaitGroup is signalled by a defer, so before
    /// the G is dead: the caller waits for the runtime to end before looking).
    private func spawnCapturing(_ n: Int, _ ending: Ending, sum: AtomicCounter) {
        let wg = WaitGroup()
        wg.add(n)
        for i in 0..<n {
            let c = Capture(i)
            go {
                Runtime.defer { wg.done() }
                sum.add(Int64(c.value))
                switch ending {
                case .returns: return
                case .goexitInBody: Runtime.goexit()
                case .goexitInDefer:
                    Runtime.defer { Runtime.goexit() }
                case .goexitDeep:
                    func deeper(_ d: Int) { if d == 0 { Runtime.goexit() } else { deeper(d - 1) } }
                    deeper(20)
                }
            }
        }
        wg.wait()
    }

    private func checkCapturesReleased(_ ending: Ending, procs: Int, file: StaticString = #filePath, line: UInt = #line) {
        let n = 500
        Capture.freed.store(0)
        let sum = AtomicCounter()
        RuntimeTestSupport.run(procs: procs) {
            self.spawnCapturing(n, ending, sum: sum)
            // Let the last goroutines finish exiting (their defers signalled before exit).
            for _ in 0..<100 { Runtime.gosched() }
            usleep(20_000)
        }
        XCTAssertEqual(Int(sum.value), n * (n - 1) / 2, "every body ran once", file: file, line: line)
        let freed = Int(Capture.freed.value)
        #if DEBUG
        // Unoptimized, the first frame copies the body for the call, and Goexit abandons
        // that copy with the frame (Runtime.goexit's documented limit); never more
        // releases than bodies, and a body that returns is released.
        if ending == .returns {
            XCTAssertEqual(freed, n, "returns at \(procs) Ps: every body's captures released", file: file, line: line)
        } else {
            XCTAssertLessThanOrEqual(freed, n, "\(ending): a capture released twice", file: file, line: line)
        }
        #else
        XCTAssertEqual(freed, n, "\(ending) at \(procs) Ps: every body's captures released exactly once", file: file, line: line)
        #endif
    }

    func testCapturesReleasedAfterReturn() { checkCapturesReleased(.returns, procs: 1) }
    func testCapturesReleasedAfterGoexitInBody() { checkCapturesReleased(.goexitInBody, procs: 1) }
    func testCapturesReleasedAfterGoexitInDefer() { checkCapturesReleased(.goexitInDefer, procs: 1) }
    func testCapturesReleasedAfterDeepGoexitAtTwoProcs() { checkCapturesReleased(.goexitDeep, procs: 2) }

    /// A deferred function's captures are released however it ends: a defer that calls
    /// Goexit abandons the frame that ran it (runDefers), once when the body returned and
    /// once more when the body itself had called Goexit (a second Goexit inside Goexit's
    /// defers); the defers not yet run still run, and nothing is released twice.
    private func checkDeferCapturesReleased(bodyGoexits: Bool, procs: Int, file: StaticString = #filePath, line: UInt = #line) {
        let n = 300
        Capture.freed.store(0)
        let ran = AtomicCounter()
        RuntimeTestSupport.run(procs: procs) {
            let wg = WaitGroup()
            wg.add(n)
            for i in 0..<n {
                let first = Capture(i), second = Capture(i)
                go {
                    Runtime.defer { ran.add(Int64(first.value)); wg.done() }
                    Runtime.defer { ran.add(Int64(second.value)); Runtime.goexit() }
                    if bodyGoexits { Runtime.goexit() }
                }
            }
            wg.wait()
            for _ in 0..<100 { Runtime.gosched() }
            usleep(20_000)
        }
        XCTAssertEqual(Int(ran.value), n * (n - 1), "both defers of every goroutine ran once", file: file, line: line)
        let freed = Int(Capture.freed.value)
        #if DEBUG
        // Unoptimized, runDefers' frame copies the defer for the call, and the Goexit
        // abandons that copy (Runtime.goexit's documented limit): never a double release.
        XCTAssertLessThanOrEqual(freed, 2 * n, "a defer's capture released twice", file: file, line: line)
        #else
        XCTAssertEqual(freed, 2 * n, "every defer's captures released exactly once (body Goexit: \(bodyGoexits))", file: file, line: line)
        #endif
    }

    func testDeferCapturesReleasedWhenADeferGoexits() { checkDeferCapturesReleased(bodyGoexits: false, procs: 1) }
    func testDeferCapturesReleasedWhenADeferGoexitsInsideGoexitAtTwoProcs() { checkDeferCapturesReleased(bodyGoexits: true, procs: 2) }

    /// The context word read in place is the closure's context object: the same object a
    /// capture-holding closure keeps, and nil for a closure that captures nothing.
    func testContextOfReadsTheClosureContext() {
        let c = Capture(7)
        var withCapture: GoroutineEntry? = GoroutineEntry(run: { _ = c.value })
        var withoutCapture: GoroutineEntry? = GoroutineEntry(run: goroutineEntryTestsNothing)
        var empty: GoroutineEntry? = nil
        let context = GoroutineEntry.context(of: &withCapture)
        XCTAssertNotNil(context)
        // Releasing through the word and retaining it back leaves the count unchanged;
        // a wrong word (the function pointer) would crash or free the capture.
        if let context {
            _ = Unmanaged<AnyObject>.fromOpaque(context).retain()
            Unmanaged<AnyObject>.fromOpaque(context).release()
        }
        XCTAssertNil(GoroutineEntry.context(of: &withoutCapture))
        XCTAssertNil(GoroutineEntry.context(of: &empty))
        withCapture?.run()
        withCapture = nil
        withoutCapture = nil
    }

    /// A dead G that is reused starts clean: a spawn with a larger stack, then ordinary
    /// spawns on the same G get the standard stack again; a G that ended by Goexit runs
    /// the next body from its start with no defers left over.
    func testReusedGoroutineStartsClean() {
        var bigStackBytes = 0, nextStackBytes = -1, sameG = false, leftoverDefers = -1
        RuntimeTestSupport.run(procs: 1) {
            let done = Channel<Int>(capacity: 1)
            var first: ObjectIdentifier? = nil
            Runtime.spawn(stackBytes: 1 << 20) {
                let gp = currentGoroutine()!
                first = ObjectIdentifier(gp)
                bigStackBytes = gp.stack?.usableBytes ?? 0
                Runtime.defer { done.send(1) }
                Runtime.defer { /* left pending by Goexit? no: Goexit runs it */ }
                Runtime.goexit()
            }
            _ = done.receive()
            Runtime.gosched() // (let it finish exiting: one P, so it has once this returns)
            go {
                let gp = currentGoroutine()!
                sameG = ObjectIdentifier(gp) == first
                nextStackBytes = gp.stack?.usableBytes ?? 0
                leftoverDefers = gp.defers.count
                done.send(2)
            }
            _ = done.receive()
        }
        XCTAssertTrue(sameG, "the dead G is reused by the next spawn on its P")
        XCTAssertGreaterThanOrEqual(bigStackBytes, 1 << 20)
        XCTAssertLessThan(nextStackBytes, 1 << 20, "requestedStackBytes reset by exit")
        XCTAssertGreaterThan(nextStackBytes, 0)
        XCTAssertEqual(leftoverDefers, 0)
    }

    /// Go's gfput and gfget: a P's free list spills to the global list when it reaches
    /// 64, down to 31; a spawn on a P with an empty list takes a batch back, up to 32.
    func testFreeListSpillsAt64DownTo31AndRefillsTo32() {
        var afterExits = (local: -1, global: -1), afterRefill = (local: -1, global: -1)
        RuntimeTestSupport.run(procs: 1) {
            let p = sched.allP[0] // (one P: main runs on it, and reads its own list)
            let gate = Channel<Int>()
            let wg = WaitGroup()
            let startLocal = p.freeCount, startGlobal = sched.globalFreeCount
            wg.add(64)
            for _ in 0..<64 { go { _ = gate.receive(); wg.done() } }
            gate.close()
            wg.wait()
            Runtime.gosched() // (the last one finishes exiting)
            afterExits = (p.freeCount - startLocal, sched.globalFreeCount - startGlobal)
            // Empty the P's list by spawning parked goroutines, then one more spawn refills.
            let hold = Channel<Int>()
            let held = WaitGroup()
            let n = p.freeCount + 1
            held.add(n)
            for _ in 0..<n { go { _ = hold.receive(); held.done() } }
            afterRefill = (p.freeCount, sched.globalFreeCount)
            hold.close()
            held.wait()
        }
        XCTAssertEqual(afterExits.local, 31, "the 64th dead G spills the list down to 31")
        XCTAssertEqual(afterExits.global, 33)
        XCTAssertEqual(afterRefill.local, 31, "a refill takes 32 from the global list (one is used at once)")
    }
}

private func goroutineEntryTestsNothing() {}
