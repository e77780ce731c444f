// A run past its timeout gets SIGQUIT first when its child runs a Go runtime (ChildRunner,
// header step 6): the goroutine dump is shown on gobench's standard error and summed up
// in the row's error; then SIGTERM to the group.
import Foundation
import XCTest
@testable import GobenchKit

final class TimeoutDumpTests: XCTestCase {
    /// Go 1.27's dump, as a Go program prints it on SIGQUIT: level-2 headers with the G's and
    /// M's addresses, the signalled M's g0 first, a goroutine waiting 2 minutes with the
    /// duration in its header.
    let goDump = """
        SIGQUIT: quit
        PC=0x47d1a1 m=0 sigcode=0

        goroutine 0 gp=0x6fae60 m=0 mp=0x6fbfe0 [idle]:
        runtime.futex(...)
        \t/usr/lib/go/src/runtime/sys_linux_amd64.s:557 +0x21

        goroutine 1 gp=0x2eef8dbe01e0 m=nil [chan receive, 2 minutes]:
        main.main()
        \t/src/main.go:12 +0x3d

        goroutine 6 gp=0x2eef8dbe0780 m=2 mp=0x2eef8dc00008 [running]:
        \tgoroutine running on other thread; stack unavailable

        rax    0x0
        """

    func testTheSummaryNamesTheFirstGoroutineAndCountsThem() {
        XCTAssertEqual(ChildRunner.sigquitSummary(Data(("some output\n" + goDump).utf8)),
                       "at SIGQUIT: goroutine 1 [chan receive, 2 minutes] (3 goroutines listed)")
        XCTAssertNil(ChildRunner.sigquitSummary(Data("fatal error: all goroutines are asleep\n".utf8)))
        XCTAssertEqual(ChildRunner.sigquitSummary(Data("SIGQUIT: quit\nPC=0x1 m=0 sigcode=0\n".utf8)),
                       "SIGQUIT listed no goroutine")
        // The detailed schedtrace printed just before the dump belongs to it.
        let traced = "noise\nSCHED 0ms: gomaxprocs=2 idleprocs=0\n  P0: status=1\n" + goDump
        XCTAssertEqual(ChildRunner.sigquitDump(in: Data(traced.utf8))?.hasPrefix("SCHED 0ms: gomaxprocs=2"), true)
        // A timed-out execution that printed the dump: the summary joins the timeout's error.
        let execution = ProcessExecution(standardOutput: Data(), standardError: Data(goDump.utf8),
                                         termination: .exited(2), usage: ResourceUsage(rusage()),
                                         timedOut: true, interrupted: false, wallSeconds: 5, quitSent: true)
        let outcome = ChildRunner.classify(execution, timeoutSeconds: 5)
        XCTAssertEqual(outcome.status, .timeout)
        XCTAssertEqual(outcome.error, "no result within the 5s timeout; at SIGQUIT: goroutine 1 [chan receive, 2 minutes] (3 goroutines listed)")
    }

    func testSigquitComesFirstThenTheGroupIsStopped() throws {
        // A child that answers SIGQUIT by exiting, as a Go runtime does after its dump.
        let answering = try ProcessExecution.run(
            ["/bin/sh", "-c", "trap 'echo quit-seen >&2; exit 2' QUIT; while :; do sleep 0.05; done"],
            timeoutSeconds: 0.5, killGraceSeconds: 1, quitGraceSeconds: 5)
        XCTAssertTrue(answering.timedOut)
        XCTAssertTrue(answering.quitSent)
        XCTAssertEqual(answering.termination, .exited(2))
        XCTAssertTrue(String(decoding: answering.standardError, as: UTF8.self).contains("quit-seen"))
        XCTAssertLessThan(answering.wallSeconds, 4, "it exited on SIGQUIT, before the grace ran out")
        // One that ignores SIGQUIT gets SIGTERM when the grace is over.
        let ignoring = try ProcessExecution.run(
            ["/bin/sh", "-c", "trap '' QUIT; while :; do sleep 0.05; done"],
            timeoutSeconds: 0.3, killGraceSeconds: 1, quitGraceSeconds: 0.5)
        XCTAssertTrue(ignoring.quitSent)
        XCTAssertEqual(ignoring.termination, .signaled(SIGTERM))
        XCTAssertGreaterThanOrEqual(ignoring.wallSeconds, 0.8)
        // Without a quit grace (a user's --command): SIGTERM at once, no SIGQUIT.
        let plain = try ProcessExecution.run(
            ["/bin/sh", "-c", "trap 'echo quit-seen >&2' QUIT; while :; do sleep 0.05; done"],
            timeoutSeconds: 0.3, killGraceSeconds: 1)
        XCTAssertFalse(plain.quitSent)
        XCTAssertEqual(plain.termination, .signaled(SIGTERM))
        XCTAssertFalse(String(decoding: plain.standardError, as: UTF8.self).contains("quit-seen"))
    }

    /// Both engines, end to end: a run far longer than its timeout is stopped with SIGQUIT,
    /// each runtime prints its goroutines, gobench shows them and records where main waited.
    func testATimedOutRunShowsEachEnginesGoroutines() throws {
        let root = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let peer = ProcessInfo.processInfo.environment["GOBENCH_GO_PEER"]
            ?? root.appendingPathComponent("peers/go/bin/gobench-go").path
        guard FileManager.default.isExecutableFile(atPath: peer) else {
            throw XCTSkip("the Go peer is not built (scripts/go-env.sh builds it): \(peer)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("timeout-dump-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for engine in ["swift", "go"] {
            let r = try GobenchBinary.run(
                ["run", "chan-prodcons", "--engine", engine, "--procs", "2", "--param", "n=2000000000",
                 "--timeout", "1s", "--warmup", "0", "--reps", "1", "--format", "json", "--go-peer", peer],
                in: folder, removing: ["GOBENCH_SCHEDTRACE", "GODEBUG", "GOTRACEBACK"])
            XCTAssertTrue(r.stderr.contains("gobench: \(engine) chan-prodcons at GOMAXPROCS 2 timed out; its goroutines at SIGQUIT:\n  SIGQUIT: quit\n  PC=0x"),
                          "\(engine): no dump shown; stderr: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\n  goroutine 1 gp=0x"), "\(engine): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("no result within the 1s timeout; at SIGQUIT: goroutine 1 ["),
                          "\(engine): the row names where main waited; stdout: \(r.stdout)")
        }
    }
}
