// `gobench compare` end to end: the built binary's exit codes, output and error lines.
import XCTest
@testable import GobenchKit

final class CompareCommandTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("gobench-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: folder)
    }

    typealias Outcome = GobenchBinary.Outcome

    func run(_ arguments: [String]) throws -> Outcome {
        let outcome = try GobenchBinary.run(["compare"] + arguments, in: folder)
        XCTAssertFalse(outcome.stderr.contains("Fatal error"), outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("Stack dump"), outcome.stderr)
        return outcome
    }

    func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func write(_ name: String, rows: [ResultRow]) throws -> String {
        try write(name, ResultsCSV.render(rows))
    }

    func testExitCodes() throws {
        let base = try write("base.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300, seed: 1)))
        let same = try write("same.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300, seed: 2), runPrefix: "n"))
        let slow = try write("slow.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(360, seed: 3), runPrefix: "n"))
        let other = try write("other.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300), workload: "spawn-storm"))

        let aa = try run([base, same])
        XCTAssertEqual(aa.status, 0, aa.stderr)
        XCTAssertTrue(aa.stdout.contains("0 regressions"), aa.stdout)

        let regression = try run([base, slow, "--format", "markdown"])
        XCTAssertEqual(regression.status, 2, regression.stderr)
        XCTAssertTrue(regression.stdout.contains("REGRESSION"), regression.stdout)

        let incomparable = try run([base, other])
        XCTAssertEqual(incomparable.status, 3)
        XCTAssertTrue(incomparable.stderr.contains("no cell in common"), incomparable.stderr)

        let v3 = try write("v3.csv", ResultsCSV.render(StatsFixtures.rows([1, 2, 3, 4])).replacingOccurrences(of: "\n2,", with: "\n3,"))
        XCTAssertEqual(try run([base, v3]).status, 3)

        XCTAssertEqual(try run([base]).status, 1)
        XCTAssertEqual(try run([base, same, "--format", "yaml"]).status, 1)
        XCTAssertEqual(try run([base, same, "--alpha", "zero"]).status, 1)
        XCTAssertEqual(try run([base, same, "--no-such-flag"]).status, 1)
        XCTAssertEqual(try run([base, same, "third.csv"]).status, 1)
    }

    func testMalformedInputGivesOneLineNamingFileAndLine() throws {
        let base = try write("base.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300)))
        var text = ResultsCSV.render(StatsFixtures.rows(StatsFixtures.noisy(300, seed: 9)))
        text += "1,r,2025,chan-pingpong,swift,4,off,none,,0,ok,,ns_per_op,\"12\n"
        let broken = try write("broken.csv", text)
        let outcome = try run([base, broken])
        XCTAssertEqual(outcome.status, 1)
        let lines = outcome.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("broken.csv:12: malformed CSV"), outcome.stderr)

        let missing = try run([base, folder.appendingPathComponent("nope.csv").path])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("nope.csv: no such file"), missing.stderr)

        let thresholds = try write("t.csv", "workload,metric,relative_percent,absolute\n*,*,lots,\n")
        let badThresholds = try run([base, base, "--thresholds", thresholds])
        XCTAssertEqual(badThresholds.status, 1)
        XCTAssertTrue(badThresholds.stderr.contains("t.csv:2: column relative_percent is 'lots'"), badThresholds.stderr)
    }

    func testOutputFileIsWrittenWholeAndKeptOnError() throws {
        let base = try write("base.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300)))
        let new = try write("new.csv", rows: StatsFixtures.rows(StatsFixtures.noisy(300, seed: 4), runPrefix: "n"))
        let output = folder.appendingPathComponent("out.csv").path
        let ok = try run([base, new, "--format", "csv", "--output", output])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let written = try String(contentsOfFile: output, encoding: .utf8)
        XCTAssertTrue(written.hasPrefix(CompareRender.csvColumns.joined(separator: ",")), written)
        XCTAssertEqual(ok.stdout, "")
        // A failed comparison leaves the earlier output as it was.
        let failed = try run([base, folder.appendingPathComponent("nope.csv").path, "--output", output])
        XCTAssertEqual(failed.status, 1)
        XCTAssertEqual(try String(contentsOfFile: output, encoding: .utf8), written)
    }
}
