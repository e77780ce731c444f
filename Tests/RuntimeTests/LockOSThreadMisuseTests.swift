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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [test]
        var environment = ProcessInfo.processInfo.environment
        environment[Self.childVariable] = mode
        process.environment = environment
        let folder = FileManager.default.temporaryDirectory
        let outFile = folder.appendingPathComponent("child-test-\(UUID().uuidString).out")
        let errFile = folder.appendingPathComponent("child-test-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outFile)
            try? FileManager.default.removeItem(at: errFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outFile)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline { timedOut = true; kill(process.processIdentifier, SIGKILL); break }
            usleep(2000)
        }
        process.waitUntilExit()
        return RuntimeTestSupport.ProcessResult(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outFile, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errFile, encoding: .utf8)) ?? "",
            timedOut: timedOut)
    }
}
