// The runtime's internal thread lock unlocked more often than locked is Go's throw
// "runtime: internal error: misuse of lockOSThread/unlockOSThread" (proc.go,
// badunlockosthread), exit status 2. The internal lock is not public, so the check runs
// this test again in a child process (the test binary, filtered to this test), where the
// child makes the mistake.
import XCTest
import Foundation
@testable import Runtime

final class LockOSThreadMisuseTests: XCTestCase {
    static let childVariable = "GOBENCH_TEST_CHILD"

    func testInternalUnlockWithoutLockIsGosThrow() throws {
        if ProcessInfo.processInfo.environment[Self.childVariable] == "internal-unlock-misuse" {
            // The child: main is unlocked after start-up, so one more unlock is the misuse.
            RuntimeTestSupport.run(procs: 1) { Runtime.unlockOSThreadInternal() }
            print("unreachable: the misuse was not fatal")
            return
        }
        let result = try runInChild(test: "RuntimeTests.LockOSThreadMisuseTests/testInternalUnlockWithoutLockIsGosThrow",
                                    mode: "internal-unlock-misuse")
        XCTAssertEqual(result.status, 2, result.standardError)
        XCTAssertTrue(result.standardErrorLines.contains("fatal error: runtime: internal error: misuse of lockOSThread/unlockOSThread"),
                      "Go's throw text: \(result.standardError)")
        XCTAssertTrue(result.standardErrorLines.contains("goroutine 1 [running]:"), result.standardError)
        XCTAssertFalse(result.standardOutput.contains("unreachable"), result.standardOutput)
    }

    /// Runs one test of this binary in a child process with `GOBENCH_TEST_CHILD=mode`.
    private func runInChild(test: String, mode: String, timeoutSeconds: Double = 60) throws -> RuntimeTestSupport.ProcessResult {
        guard let binary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
              binary.hasSuffix(".xctest") else {
            throw XCTSkip("the test binary cannot be run again as a child here (not a Linux .xctest executable)")
        }
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = mode
        return try RuntimeTestSupport.runProcess(binary, [test], environment: environment, timeoutSeconds: timeoutSeconds)
    }
}
