// Behaviours that end the process, checked from outside through runtime-scenarios: the
// exact lines Go prints on standard error, and exit status 2.
import XCTest

final class ScenarioProcessTests: XCTestCase {
    private func run(_ name: String, _ environment: [String: String] = [:],
                     timeoutSeconds: Double = 30) throws -> RuntimeTestSupport.ProcessResult {
        // No retry: a false start-up deadlock (fixed, see /tmp/runtime-bugs.md) is a failure.
        let result = try RuntimeTestSupport.runScenario(name, environment: environment, timeoutSeconds: timeoutSeconds)
        XCTAssertFalse(RuntimeTestSupport.isFalseStartupDeadlock(result),
                       "\(name): false start-up deadlock (main [runnable]): \(result.standardError)")
        XCTAssertFalse(result.timedOut, "\(name): still running after \(timeoutSeconds) s; stderr: \(result.standardError)")
        return result
    }

    /// Asserts that `lines` appear in standard error in this order, each line exactly.
    private func assertStandardError(_ result: RuntimeTestSupport.ProcessResult, containsInOrder lines: [String],
                                     file: StaticString = #filePath, line: UInt = #line) {
        let actual = result.standardErrorLines
        var from = 0
        for expected in lines {
            guard let at = actual[from...].firstIndex(of: expected) else {
                XCTFail("missing line \"\(expected)\" (in order) in stderr:\n\(result.standardError)", file: file, line: line)
                return
            }
            from = at + 1
        }
    }

    /// No Swift crash report, no signal: a clean fatal exit.
    private func assertNoCrashTrace(_ result: RuntimeTestSupport.ProcessResult,
                                    file: StaticString = #filePath, line: UInt = #line) {
        for marker in ["Fatal error:", "Stack dump", "Current stack trace", "Segmentation fault", "Illegal instruction", "💣"] {
            XCTAssertFalse(result.standardError.contains(marker), "crash trace (\(marker)) in stderr:\n\(result.standardError)", file: file, line: line)
        }
    }

    func testDeadlockIsReported() throws {
        // With the scavenger off, and on (its pending 2-minute timer belongs to the runtime
        // and must not keep a deadlocked program alive).
        let off = try run("deadlock", ["GOBENCH_SCAVENGE": "off"], timeoutSeconds: 20)
        XCTAssertEqual(off.status, 2)
        assertStandardError(off, containsInOrder: ["fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [chan receive]:"])
        let withScavenger = try run("deadlock", timeoutSeconds: 20)
        XCTAssertEqual(withScavenger.status, 2, withScavenger.standardError)
        assertStandardError(withScavenger, containsInOrder: ["fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [chan receive]:"])
    }

    func testSleepersAreNoDeadlockUntilTheyEnd() throws {
        let result = try run("sleepers-then-deadlock", timeoutSeconds: 20)
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["8 sleepers woke"], result.standardError)
        assertStandardError(result, containsInOrder: ["fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [chan receive]:"])
    }

    func testEmptySelectDeadlock() throws {
        let result = try run("select-no-cases", ["GOBENCH_SCAVENGE": "off"], timeoutSeconds: 20)
        XCTAssertEqual(result.status, 2)
        assertStandardError(result, containsInOrder: ["fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [select (no cases)]:"])
    }

    func testSelectChoicesDifferBetweenRuns() throws {
        // The random source is seeded from the OS: two processes make different choices
        // (64 fair coin flips agree with probability 2^-64), and each choice is 0 or 1.
        let first = try run("select-choices"), second = try run("select-choices")
        let lines = [first, second].map { $0.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) }
        for (result, line) in zip([first, second], lines) {
            XCTAssertEqual(result.status, 0, "stderr: \(result.standardError)")
            XCTAssertEqual(line.count, 64, line)
            XCTAssertTrue(line.allSatisfy { $0 == "0" || $0 == "1" }, line)
        }
        XCTAssertNotEqual(lines[0], lines[1])
    }

    func testMainGoexitWaitsForOthersThenReportsDeadlock() throws {
        let result = try run("main-goexit")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.standardOutputLines, ["main deferred", "worker finished"])
        assertStandardError(result, containsInOrder: ["fatal error: no goroutines (main called runtime.Goexit) - deadlock!"])
        assertNoCrashTrace(result)
    }

    /// Go's TestGoexitInPanic: Goexit in a panic's defer ends the panic unprinted; with
    /// main gone by Goexit too, nothing is left: the deadlock of a Goexited main.
    func testGoexitInAPanicsDeferEndsThePanic() throws {
        let result = try run("goexit-in-panic")
        XCTAssertEqual(result.status, 2)
        assertStandardError(result, containsInOrder: ["fatal error: no goroutines (main called runtime.Goexit) - deadlock!"])
        XCTAssertFalse(result.standardError.contains("panic: hello"), result.standardError)
        assertNoCrashTrace(result)
    }

    /// The same without the deadlock: main returns once the goroutine is gone, and the
    /// process exits 0 at once (runtime.main does not wait for a panic that Goexit ended).
    func testMainReturnsAfterAGoexitEndedAPanic() throws {
        let result = try run("goexit-in-panic-main-returns")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["main returning"])
        XCTAssertFalse(result.standardError.contains("panic: hello"), result.standardError)
    }

    /// Go's TestPanicAfterGoexit: a defer that Goexit runs may panic, and that panic is
    /// reported as any other.
    func testPanicInADeferOfGoexitIsReported() throws {
        let result = try run("panic-after-goexit")
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.standardError.hasPrefix("panic: hello"), result.standardError)
        assertNoCrashTrace(result)
    }

    func testMainReturnEndsTheProcessAtOnce() throws {
        let result = try run("main-returns")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["main returning"])
    }

    func testGoroutinePanicRunsDefersThenPrintsGoLines() throws {
        let result = try run("goroutine-panic")
        XCTAssertEqual(result.status, 2)
        let lines = result.standardErrorLines
        XCTAssertEqual(Array(lines.prefix(4)), ["deferred 2 ran", "deferred 1 ran", "panic: boom in goroutine", ""], result.standardError)
        XCTAssertTrue(lines.count > 4 && lines[4].hasPrefix("goroutine ") && lines[4].hasSuffix(" [running]:") && lines[4] != "goroutine 1 [running]:",
                      "expected the panicking goroutine's line (not main's): \(result.standardError)")
        XCTAssertFalse(result.standardOutput.contains("unreachable"))
        assertNoCrashTrace(result)
    }

    func testMainPanic() throws {
        let result = try run("main-panic")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(4)),
                       ["main deferred ran", "panic: boom in main", "", "goroutine 1 [running]:"])
        // Then main's frames (Traceback.swift): the closure passed to Runtime.run.
        XCTAssertTrue(result.standardErrorLines.count > 5 && result.standardErrorLines[4].contains("in runtime_scenarios")
                      && result.standardErrorLines[5].hasPrefix("\t"), result.standardError)
    }

    func testStackOverflowOnMainAtSmallMaximum() throws {
        let result = try run("stack-overflow-main")
        XCTAssertEqual(result.status, 2)
        assertStandardError(result, containsInOrder: ["runtime: goroutine stack exceeds 262144-byte limit",
                                                      "fatal error: stack overflow", "", "goroutine 1 [running]:"])
        XCTAssertTrue(result.standardError.contains("runtime: sp=0x"), result.standardError)
        assertNoCrashTrace(result)
    }

    func testStackOverflowInGoroutineWithItsOwnStack() throws {
        let result = try run("stack-overflow-goroutine")
        XCTAssertEqual(result.status, 2)
        assertStandardError(result, containsInOrder: ["runtime: goroutine stack exceeds 65536-byte limit", "fatal error: stack overflow"])
        XCTAssertFalse(result.standardError.contains("goroutine 1 [running]:"), "the overflowing goroutine is not main")
    }

    func testStackOverflowInStandardGoroutine() throws {
        let result = try run("stack-overflow-standard")
        XCTAssertEqual(result.status, 2)
        assertStandardError(result, containsInOrder: ["runtime: goroutine stack exceeds 262144-byte limit", "fatal error: stack overflow"])
    }

    func testMillionFrameRecursionOnMainSucceeds() throws {
        let result = try run("deep-recursion", timeoutSeconds: 60)
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["depth 1000000"])
    }

    func testEnvironmentIsApplied() throws {
        let result = try run("environment", ["GOMAXPROCS": "3", "GOBENCH_MAXSTACK": "64M"])
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["procs 3 maxstack 67108864"])
    }

    func testBadEnvironmentGivesOneLineAndStatus2() throws {
        // The exact wording belongs to the settings' owners; the contract is one line that
        // names the variable and the bad value, status 2, nothing run, no crash trace.
        let cases: [(String, String, [String: String])] = [
            ("GOMAXPROCS", "abc", [:]), ("GOMAXPROCS", "0", [:]), ("GOMAXPROCS", "-3", [:]),
            ("GOBENCH_SCAVENGE", "xyz", [:]), ("GOBENCH_MAXSTACK", "1", [:]), ("GOBENCH_MAXSTACK", "lots", [:]),
            ("GOBENCH_CONTEXT", "fibers", [:]), ("GOBENCH_SCHEDTRACE", "abc", [:]), ("GOBENCH_SCHEDTRACE", "-5", [:]),
            ("GOBENCH_STACK_SIZE", "1", [:]), ("GOBENCH_STACK_SIZE", "huge", [:]), ("GOBENCH_STACK_SIZE", "-64K", [:]),
            ("GOBENCH_STACKGC", "0", [:]), ("GOBENCH_STACKGC", "fast", [:]), ("GOBENCH_STACKGC", "-100", [:]),
            ("GOBENCH_PLACEMENT", "bogus", [:]), ("GOBENCH_PLACEMENT", "nodes=", [:]),
            // A node the topology lacks: the machine's (one node here, or any count below
            // 8), and a simulated two-node machine.
            ("GOBENCH_PLACEMENT", "nodes=7", [:]), ("GOBENCH_PLACEMENT", "nodes=7", ["GOBENCH_TOPOLOGY": "0:1"]),
            ("GOBENCH_PLACEMENT", "nodes=0,7", ["GOBENCH_TOPOLOGY": "0:1"]),
            ("GOBENCH_TOPOLOGY", "zz", [:]), ("GOBENCH_TOPOLOGY", "0-1:1", [:]), ("GOBENCH_TOPOLOGY", "0:1/10", [:]),
        ]
        for (key, value, others) in cases {
            let result = try run("environment", others.merging([key: value]) { $1 })
            XCTAssertEqual(result.status, 2, "\(key)=\(value) \(others): \(result.standardError)")
            let lines = result.standardError.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(key)=\(value): expected one line, got:\n\(result.standardError)")
            XCTAssertTrue(result.standardError.contains(key) && result.standardError.contains(value),
                          "\(key)=\(value): the line must name the variable and the value: \(result.standardError)")
            XCTAssertEqual(result.standardOutput, "", "\(key)=\(value): nothing may run")
            assertNoCrashTrace(result)
        }
        // The wording for the maximum stack, which the runtime's tests pin down.
        let maxStack = try run("environment", ["GOBENCH_MAXSTACK": "1"])
        XCTAssertEqual(maxStack.standardError, "runtime: invalid GOBENCH_MAXSTACK \"1\": below the minimum stack of 16384 bytes\n")
        // A node list the topology lacks, worded as `gobench topology` words it.
        let placement = try run("environment", ["GOBENCH_PLACEMENT": "nodes=7", "GOBENCH_TOPOLOGY": "0:1"])
        XCTAssertEqual(placement.standardError,
                       "runtime: invalid GOBENCH_PLACEMENT \"nodes=7\": node 7 does not exist (nodes with usable CPUs: 0,1)\n")
        // A valid placement on the simulated machine still runs.
        let placed = try run("environment", ["GOBENCH_PLACEMENT": "nodes=1", "GOBENCH_TOPOLOGY": "0:1", "GOMAXPROCS": "2"])
        XCTAssertEqual(placed.status, 0, placed.standardError)
        XCTAssertEqual(placed.standardOutputLines, ["procs 2 maxstack 1000000000"])
    }

    func testGoexitOutsideAGoroutine() throws {
        let result = try run("goexit-outside")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(result.standardError, "fatal error: runtime.Goexit called outside a goroutine\n")
    }

    func testStackBelowMinimum() throws {
        let spawned = try run("stack-below-minimum")
        XCTAssertEqual(spawned.status, 2)
        XCTAssertEqual(spawned.standardError, "runtime: stack size 4096 is below the minimum of 16384 bytes\n")
        XCTAssertFalse(spawned.standardOutput.contains("unreachable"))
        let maximum = try run("max-stack-below-minimum")
        XCTAssertEqual(maximum.status, 2)
        XCTAssertEqual(maximum.standardError, "runtime: invalid maximum stack size 1024: below the minimum stack of 16384 bytes\n")
    }

    func testCloseOfClosedChannelPanics() throws {
        let result = try run("close-closed-channel")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(3)), ["panic: close of closed channel", "", "goroutine 1 [running]:"])
        XCTAssertFalse(result.standardOutput.contains("unreachable"))
    }

    func testSendOnClosedChannelPanics() throws {
        for name in ["send-closed-channel", "send-closed-while-blocked"] {
            let result = try run(name)
            XCTAssertEqual(result.status, 2, name)
            XCTAssertEqual(Array(result.standardErrorLines.prefix(3)), ["panic: send on closed channel", "", "goroutine 1 [running]:"], name)
            XCTAssertFalse(result.standardOutput.contains("unreachable"), name)
        }
    }

    func testUnlockOfUnlockedMutexIsFatal() throws {
        let result = try run("unlock-unlocked-mutex")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(3)), ["fatal error: sync: unlock of unlocked mutex", "", "goroutine 1 [running]:"])
    }

    func testStartupOrderInAFreshProcess() throws {
        let result = try run("startup-trace")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, [
            "init A", "init B", "main",
            "trace: m0", "trace: maxstack 1000000000", "trace: sysmon", "trace: lock m0", "trace: m0 check",
            "trace: scavenger g2", "trace: init 0", "trace: init 1", "trace: unlock m0", "trace: main",
            "trace: main returned", "trace: exit",
        ])
    }

    func testUnknownScenarioIsAUsageError() throws {
        let result = try run("no-such-scenario")
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.standardError.hasPrefix("runtime-scenarios: unknown scenario \"no-such-scenario\""))
        XCTAssertEqual(result.standardErrorLines.filter { !$0.isEmpty }.count, 1)
    }
}
