// The tag that names a sweep and its results file in its children's environment, and the scan
// that stops the tagged processes of a sweep that is gone (and only those).
import XCTest
@testable import GobenchKit
#if canImport(Glibc)
import Glibc
#endif

final class SweepOwnerTagTests: XCTestCase {
    func testTheTagParsesWithAnyPathAndReplacesAnInheritedOne() throws {
        let parsed = try XCTUnwrap(SweepOwnerTag.parse("12:345:/a:b/c d.csv"))
        XCTAssertEqual(parsed.pid, 12)
        XCTAssertEqual(parsed.start, 345)
        XCTAssertEqual(parsed.path, "/a:b/c d.csv")
        for bad in ["", "12:345", "x:345:/a", "12:x:/a", "12:345:relative", "-1:2:/a", "0:2:/a"] {
            XCTAssertNil(SweepOwnerTag.parse(bad), bad)
        }
        // `.` and `..` and a linked folder give the one absolute path.
        let directory = NSTemporaryDirectory() + "gobench-tag-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        symlink(directory + "/real", directory + "/link")
        let canonical = SweepOwnerTag.absolutePath(directory + "/real/r.csv")
        XCTAssertEqual(SweepOwnerTag.absolutePath(directory + "/link/../real/./r.csv"), canonical)
        XCTAssertEqual(SweepOwnerTag.absolutePath(directory + "/link/r.csv"), canonical)
        XCTAssertTrue(canonical.hasPrefix("/") && canonical.hasSuffix("/real/r.csv"), canonical)

        if SweepOwnerTag.current == nil {  // no lock held in this process: nothing added
            XCTAssertEqual(SweepOwnerTag.tagging(["A=1", "GOBENCH_SWEEP_OWNER=1:2:/x"]), ["A=1", "GOBENCH_SWEEP_OWNER=1:2:/x"])
        }
        SweepOwnerTag.claim(results: directory + "/real/r.csv")
        defer { SweepOwnerTag.release(results: directory + "/real/r.csv") }
        let mine = try XCTUnwrap(SweepOwnerTag.current)
        XCTAssertEqual(SweepOwnerTag.tagging(["A=1", "GOBENCH_SWEEP_OWNER=1:2:/x"]), ["A=1", "GOBENCH_SWEEP_OWNER=" + mine])
        XCTAssertEqual(SweepOwnerTag.parse(mine)?.pid, getpid())
        XCTAssertEqual(SweepOwnerTag.parse(mine)?.path, canonical)
        SweepOwnerTag.release(results: directory + "/other.csv")
        XCTAssertEqual(SweepOwnerTag.current, mine, "releasing another file keeps this one's tag")
    }

    /// A `sleep` with the given tag in its environment.
    func sleeper(tag: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        process.environment = ["PATH": "/usr/bin:/bin", SweepOwnerTag.variable: tag]
        try process.run()
        return process
    }

    func testOnlyTheProcessesOfAGoneSweepOnThatFileAreStopped() throws {
        let path = NSTemporaryDirectory() + "gobench-orphans-\(getpid())-\(UUID().uuidString.prefix(8)).csv"
        let canonical = SweepOwnerTag.absolutePath(path)
        let me = try XCTUnwrap(SweepOwnerTag.processState(getpid())).startTime
        // A gone owner: this process's pid with another start time (a reused pid).
        let orphan = try sleeper(tag: "\(getpid()):\(me + 1):\(canonical)")
        // A live owner (this process), and another file: both left alone.
        let owned = try sleeper(tag: "\(getpid()):\(me):\(canonical)")
        let elsewhere = try sleeper(tag: "\(getpid()):\(me + 1):\(canonical).other")
        defer { for p in [orphan, owned, elsewhere] where p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        usleep(200_000)  // exec'd: /proc/PID/environ is the sleeper's
        let stopped = SweepOwnerTag.stopOrphans(results: path)
        XCTAssertEqual(stopped, [orphan.processIdentifier])
        orphan.waitUntilExit()
        XCTAssertEqual(orphan.terminationReason, .uncaughtSignal)
        XCTAssertEqual(orphan.terminationStatus, SIGKILL)
        XCTAssertTrue(owned.isRunning)
        XCTAssertTrue(elsewhere.isRunning)
        XCTAssertEqual(SweepOwnerTag.stopOrphans(results: path), [], "nothing left to stop")
    }
}
