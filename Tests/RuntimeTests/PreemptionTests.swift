// Asynchronous preemption and untracked blocking (Runtime/Preemption.swift): each case runs
// in a child process (runtime-scenarios, PreemptionScenarios.swift) with a time limit, so
// that a hang fails the test instead of blocking the run. The limits are generous (a loaded
// machine, a debug build): they catch a hang or a starvation, not a slow preemption; the
// latencies are printed on the child's standard error.
import XCTest
import CRuntime
@testable import Runtime

final class PreemptionTests: XCTestCase {
    private func run(_ name: String, _ environment: [String: String] = [:],
                     timeoutSeconds: Double = 60) throws -> RuntimeTestSupport.ProcessResult {
        let result = try RuntimeTestSupport.runScenario(name, environment: environment, timeoutSeconds: timeoutSeconds)
        XCTAssertFalse(result.timedOut, "\(name): still running after \(timeoutSeconds) s (a spinner starved the rest); stderr: \(result.standardError)")
        XCTAssertEqual(result.status, 0, "\(name): \(result.standardError)")
        return result
    }

    /// GOMAXPROCS 1: a goroutine that spins with no runtime call (the shape of
    /// pingpong-hog's hog without its preemption point) lets a sleeper wake, a ping-pong
    /// run and a timer fire; the forced preemptions are counted.
    ///
    /// Under ThreadSanitizer the spinner's atomics are calls into TSan's runtime, where the
    /// handler refuses (not the program's Swift code), and TSan defers the signal to its
    /// next interceptor: now and then the spinner gives its P up at a system call inside
    /// TSan's runtime instead (counted as an untracked-blocking hand-off), so there only the
    /// waits are checked, not which counter moved.
    func testSpinnerBesideSleeperPingPongAndTimer() throws {
        let r = try run("spinner-sleeper-pingpong-timer")
        let expected = ["sleeper woke", "pingpong 100", "timer fired", "forced preemptions counted"]
        let checked = gb_context_sanitizer() == 1 ? 3 : 4
        XCTAssertEqual(Array(r.standardOutputLines.prefix(checked)), Array(expected.prefix(checked)), r.standardError)
        let ms = r.standardOutputLines.last.flatMap { Int($0.split(separator: " ").last ?? "") } ?? Int.max
        XCTAssertLessThan(ms, 5_000, "a wait took \(ms) ms: \(r.standardError)")
    }

    /// Spinners on every P (and one more) while main changes GOMAXPROCS and runs the
    /// scavenger: every stop-the-world finishes.
    func testStopTheWorldAndScavengerFinishWhileGoroutinesSpin() throws {
        let r = try run("spinners-gomaxprocs-scavenge")
        XCTAssertEqual(r.standardOutputLines, ["gomaxprocs 1", "gomaxprocs 3", "gomaxprocs 2", "gomaxprocs 1",
                                               "gomaxprocs 2", "scavenged", "done"], r.standardError)
    }

    /// A spinner holding a Synchronization.Mutex (its owner is the thread) is preempted; a
    /// goroutine waiting for the mutex blocks its thread in the kernel, and that P is handed
    /// off too; the holder resumes on its own thread and unlocks.
    func testSpinnerHoldingSynchronizationMutex() throws {
        let r = try run("spinner-holds-mutex")
        XCTAssertEqual(r.standardOutputLines, ["value 11", "sleeper ticks 1"], r.standardError)
    }

    /// A spinner locked to its thread is preempted and resumes on the same thread, still
    /// locked.
    func testLockedSpinner() throws {
        let r = try run("spinner-locked")
        XCTAssertEqual(r.standardOutputLines, ["sleeper woke", "same thread, locked", "forced preemptions counted"], r.standardError)
    }

    /// A select's handlers and its default run as the goroutine's code, not the runtime's:
    /// one that spins is preempted (pass 1's ready case, a case fired while the select was
    /// parked, the default).
    func testSpinningSelectHandlerIsPreempted() throws {
        let r = try run("spinner-in-select-handler")
        XCTAssertEqual(r.standardOutputLines, ["ready case preempted", "fired case preempted", "default preempted",
                                               "forced preemptions counted"], r.standardError)
    }

    /// Code marked as the runtime's is never preempted: the handler refuses (counted) and
    /// main waits for the 300 ms spin to end.
    func testNoPreemptionInsideTheRuntime() throws {
        let r = try run("preempt-refused-in-runtime")
        XCTAssertEqual(r.standardOutputLines, ["not preempted", "refusals counted", "forced preemptions 0"], r.standardError)
    }

    /// GODEBUG=asyncpreemptoff=1: a 300 ms spinner starves the sleeper at GOMAXPROCS 1 (the
    /// spin is bounded, so the wait is too); without it the sleeper is back early.
    func testAsyncPreemptOff() throws {
        let off = try run("spinner-bounded", ["GODEBUG": "asyncpreemptoff=1"])
        XCTAssertEqual(off.standardOutputLines, ["not preempted", "forced preemptions 0"], off.standardError)
        let on = try run("spinner-bounded")
        XCTAssertEqual(on.standardOutputLines.first, "preempted", on.standardError)
    }

    /// A goroutine blocks in read(2) on a pipe without Runtime.syscall at GOMAXPROCS 1: its
    /// P is handed off, the others keep running, and the reader gets its byte afterwards.
    func testUntrackedBlockingRead() throws {
        let r = try run("untracked-blocking-read")
        XCTAssertEqual(r.standardOutputLines, ["others ran 5 ticks and 50 round trips", "reader got 42",
                                               "blocking hand-off counted"], r.standardError)
    }

    /// main returns (library mode) while a goroutine preempted on m0 waits for a P: the
    /// goroutine is abandoned at its next runtime call and Runtime.run returns.
    func testShutdownWithPreemptedGoroutine() throws {
        let r = try run("shutdown-with-preempted-goroutine")
        XCTAssertEqual(r.standardOutputLines, ["main returning", "Runtime.run returned"], r.standardError)
    }

    /// A bad GODEBUG value is one line on standard error and exit status 2.
    func testBadGodebugValue() throws {
        let r = try RuntimeTestSupport.runScenario("spinner-bounded", environment: ["GODEBUG": "asyncpreemptoff=yes"], timeoutSeconds: 30)
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.standardErrorLines.filter { !$0.isEmpty },
                       ["runtime: invalid GODEBUG \"asyncpreemptoff=yes\": asyncpreemptoff=yes is not a whole number"])
        XCTAssertEqual(r.standardOutput, "")
    }

    func testGodebugParsing() throws {
        func configuration(_ godebug: String) throws -> RuntimeConfiguration {
            var c = RuntimeConfiguration(procs: 1)
            try c.applyEnvironment(["GODEBUG": godebug])
            return c
        }
        XCTAssertTrue(try configuration("").asyncPreemption)
        XCTAssertFalse(try configuration("asyncpreemptoff=1").asyncPreemption)
        XCTAssertTrue(try configuration("asyncpreemptoff=1,asyncpreemptoff=0").asyncPreemption, "the last one wins")
        XCTAssertFalse(try configuration("gctrace=1,asyncpreemptoff=1,madvdontneed=x").asyncPreemption, "unknown keys are ignored")
        XCTAssertThrowsError(try configuration("asyncpreemptoff="))
        XCTAssertThrowsError(try configuration("scavtrace=on"))
    }
}
