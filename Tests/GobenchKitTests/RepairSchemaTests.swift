// gobench repair rewrites a file in the schema it had: a version 1 file stays version 1
// (without `env`), so that a later --resume still refuses to add version 2 rows to it.
import XCTest
@testable import GobenchKit

final class RepairSchemaTests: XCTestCase {
    func testRepairKeepsAVersion1FileInVersion1() throws {
        let path = NSTemporaryDirectory() + "gobench-repair-v1-\(getpid())-\(UUID().uuidString.prefix(8)).csv"
        defer { unlink(path) }
        // The fixture is version 1; its ok runs lack the parent's metrics, so repair removes them.
        let fixture = try String(contentsOfFile: ReportDocumentTests.fixture("report-sweep.csv"), encoding: .utf8)
        try fixture.write(toFile: path, atomically: true, encoding: .utf8)
        let before = try ResultsCSV.read(path: path)
        let summary = try ResultsRepair.repair(path: path)
        XCTAssertGreaterThan(summary.removedRuns, 0)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertEqual(text.prefix { $0 != "\n" }, Substring(ResultRow.columnsVersion1.joined(separator: ",")))
        XCTAssertTrue(ResultsRepair.isSchemaVersion1(path: path))
        XCTAssertFalse(text.split(separator: "\n").dropFirst().contains { !$0.hasPrefix("1,") }, "a row not of version 1")
        let after = try ResultsCSV.read(path: path)
        XCTAssertEqual(after.count, summary.keptRows)
        XCTAssertEqual(after, before.filter { $0.status != "ok" })
        XCTAssertGreaterThan(after.count, 0)
    }
}
