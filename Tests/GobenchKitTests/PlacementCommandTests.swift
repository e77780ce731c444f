// `gobench run` and `gobench sweep` with a placement naming a node the machine (or the
// simulated GOBENCH_TOPOLOGY machine) lacks: one error line and exit status 1 before any
// child runs, as `gobench topology` rejects the same value.
import XCTest

final class PlacementCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gobench-placement-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    typealias Outcome = GobenchBinary.Outcome

    func gobench(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Outcome {
        try GobenchBinary.run(arguments, in: folder, removing: ["GOBENCH_TOPOLOGY", "GOBENCH_PLACEMENT", "GOMAXPROCS"],
                              extra: extra)
    }

    private func assertRejected(_ outcome: Outcome, command: String, value: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(outcome.status, 1, "bad input is exit status 1: \(outcome.stderr)", file: file, line: line)
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one error line, nothing run: \(outcome.stderr)", file: file, line: line)
        XCTAssertTrue(outcome.stderr.hasPrefix("gobench \(command): error: "), outcome.stderr, file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(value) && outcome.stderr.contains("does not exist"), outcome.stderr, file: file, line: line)
        XCTAssertEqual(outcome.stdout, "", "no rows", file: file, line: line)
        XCTAssertFalse(outcome.stderr.contains("Fatal error"), outcome.stderr, file: file, line: line)
    }

    func testRunRejectsAMissingNodeUpFront() throws {
        let base = ["run", "spawn-storm", "--param", "n=100", "--reps", "1", "--warmup", "0", "--format", "csv"]
        // Node 1000 exists on no machine this runs on; node 7 not on the simulated two-node one.
        assertRejected(try gobench(base + ["--placement", "nodes=1000"]), command: "run", value: "1000")
        assertRejected(try gobench(base + ["--placement", "nodes=7"], environment: ["GOBENCH_TOPOLOGY": "0:1"]),
                       command: "run", value: "7")
        assertRejected(try gobench(base + ["--placement", "nodes=0,7"], environment: ["GOBENCH_TOPOLOGY": "0:1"]),
                       command: "run", value: "7")
        // The same check as `gobench topology`.
        let topology = try gobench(["topology", "--topology", "0:1", "--placement", "nodes=7"])
        XCTAssertEqual(topology.status, 1, topology.stderr)
    }

    func testRunAcceptsAnExistingNode() throws {
        let outcome = try gobench(["run", "spawn-storm", "--param", "n=100", "--reps", "1", "--warmup", "0",
                                   "--format", "csv", "--placement", "nodes=1", "--procs", "2"],
                                  environment: ["GOBENCH_TOPOLOGY": "0:1"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertTrue(outcome.stdout.contains(",nodes=1,"), outcome.stdout)
        XCTAssertTrue(outcome.stdout.contains(",ok,"), outcome.stdout)
    }

    func testSweepRejectsAMissingNodeBeforeRunningAnything() throws {
        let output = folder.appendingPathComponent("sweep.csv").path
        let outcome = try gobench(["sweep", "--workloads", "spawn-storm", "--engines", "swift", "--procs", "1",
                                   "--scavenge", "off", "--placements", "none,nodes=7", "--reps", "1", "-o", output],
                                  environment: ["GOBENCH_TOPOLOGY": "0:1"])
        assertRejected(outcome, command: "sweep", value: "nodes=7")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "no results file: nothing ran")
        let dryRun = try gobench(["sweep", "--workloads", "spawn-storm", "--engines", "swift", "--placements", "nodes=1000",
                                  "--dry-run"])
        assertRejected(dryRun, command: "sweep", value: "1000")
    }

    func testMalformedTopologyOverrideIsRejectedWhateverThePlacement() throws {
        // The runtime reads GOBENCH_TOPOLOGY at start-up even under placement none: a
        // malformed one is bad input before any child runs, not a column of `crashed` rows.
        let output = folder.appendingPathComponent("sweep.csv").path
        for arguments in [["run", "spawn-storm", "--param", "n=100", "--reps", "1", "--warmup", "0", "--format", "csv"],
                          ["sweep", "--workloads", "spawn-storm", "--engines", "swift", "--procs", "1",
                           "--scavenge", "off", "--reps", "1", "-o", output]] {
            let outcome = try gobench(arguments, environment: ["GOBENCH_TOPOLOGY": "0:zz"])
            XCTAssertEqual(outcome.status, 1, "bad input is exit status 1: \(outcome.stderr)")
            XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, outcome.stderr)
            XCTAssertTrue(outcome.stderr.hasPrefix("gobench \(arguments[0]): error: GOBENCH_TOPOLOGY: "), outcome.stderr)
            XCTAssertTrue(outcome.stderr.contains("zz"), "names the bad part: \(outcome.stderr)")
            XCTAssertEqual(outcome.stdout, "", "no rows")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "no results file: nothing ran")
    }
}
