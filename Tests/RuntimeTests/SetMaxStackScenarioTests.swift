// Runtime.setMaxStack applied to goroutines that already run (StackAllocator.swift, "The
// maximum stack of running goroutines"), in child processes: an overflow ends the process.
import XCTest

final class SetMaxStackScenarioTests: XCTestCase {
    private func run(_ name: String) throws -> RuntimeTestSupport.ProcessResult {
        let result = try RuntimeTestSupport.runScenario(name, timeoutSeconds: 60)
        XCTAssertFalse(result.timedOut, "\(name): still running; stderr: \(result.standardError)")
        return result
    }

    func testLowerLimitAppliesToTheRunningMain() throws {
        // Main's stack is reserved at 1 GB; the new limit stops it at 256 KiB.
        let result = try run("setmaxstack-main")
        XCTAssertEqual(result.status, 2, result.standardError)
        let lines = result.standardErrorLines
        XCTAssertEqual(lines.first, "runtime: goroutine stack exceeds 262144-byte limit", result.standardError)
        XCTAssertTrue(lines.contains("fatal error: stack overflow") && lines.contains("goroutine 1 [running]:"), result.standardError)
        XCTAssertEqual(result.standardOutput, "")
    }

    func testLowerLimitAppliesToAParkedGoroutineWithItsOwnStack() throws {
        let result = try run("setmaxstack-parked")
        XCTAssertEqual(result.status, 2, result.standardError)
        let lines = result.standardErrorLines
        XCTAssertEqual(lines.first, "runtime: goroutine stack exceeds 131072-byte limit", result.standardError)
        XCTAssertTrue(lines.contains("fatal error: stack overflow"), result.standardError)
        XCTAssertFalse(lines.contains("goroutine 1 [running]:"), "the overflowing goroutine is not main")
    }

    func testRaisedLimitMovesTheGuardBack() throws {
        // 20,000 frames need far more than 64 KiB: the soft guard must be gone.
        let result = try run("setmaxstack-raise")
        XCTAssertEqual(result.status, 0, result.standardError)
        XCTAssertEqual(result.standardOutputLines, ["depth 20000"])
    }
}
