// The results file: round trips, strict parsing, and one-line errors that name the line.
import XCTest
@testable import GobenchKit

final class ResultsCSVTests: XCTestCase {
    func hostileRows() -> [ResultRow] {
        var machine = StatsFixtures.machine
        machine.cpuModel = "Intel(R) Xeon(R), \"Gold\" 6248\nstepping 7"
        var failed = StatsFixtures.failedRun(status: "crashed", id: "run,2")
        failed.error = "panic: \"boom\", at line 3\r\nsecond line\nthird, with comma"
        failed.machine = machine
        var ok = StatsFixtures.rows([301.25], params: "buffer=10;pairs=0", machine: machine)[0]
        ok.error = ""
        var small = StatsFixtures.rows([1.5e-7], metric: "wall_seconds", unit: "s")[0]
        small.params = "mode=a,b"
        var big = StatsFixtures.rows([123456789012345680], metric: "ops", unit: "count", direction: "none")[0]
        big.machine.host = "host with \"quotes\""
        return [ok, failed, small, big]
    }

    func testRenderThenParseGivesEqualRows() throws {
        let rows = hostileRows()
        let text = ResultsCSV.render(rows)
        XCTAssertEqual(try ResultsCSV.parse(text), rows)
        // Without the header, appended to a header, the same.
        let appended = ResultsCSV.render([], header: true) + ResultsCSV.render(rows, header: false)
        XCTAssertEqual(try ResultsCSV.parse(appended), rows)
    }

    func testCRLFLineEndsAndByteOrderMarkAreAccepted() throws {
        let rows = StatsFixtures.rows([1, 2, 3])
        let text = "\u{FEFF}" + ResultsCSV.render(rows).replacingOccurrences(of: "\n", with: "\r\n")
        XCTAssertEqual(try ResultsCSV.parse(text), rows)
    }

    func testBlankLinesAndMissingFinalNewlineAreAccepted() throws {
        let rows = StatsFixtures.rows([1, 2])
        var text = ResultsCSV.render(rows)
        text.removeLast()
        text = text.replacingOccurrences(of: "\nschema", with: "\n\nschema")
        XCTAssertEqual(try ResultsCSV.parse(text + "\n\n"), rows)
        XCTAssertEqual(try ResultsCSV.parse(text), rows)
    }

    func assertError(_ text: String, contains expected: String, kind: ResultsCSVError.Kind = .malformed,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ResultsCSV.parse(text, source: "x.csv"), file: file, line: line) { error in
            guard let e = error as? ResultsCSVError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertTrue(e.description.contains(expected), "\(e.description)", file: file, line: line)
            XCTAssertFalse(e.description.contains("\n"), "one line: \(e.description)", file: file, line: line)
            XCTAssertTrue(e.description.hasPrefix("x.csv"), e.description, file: file, line: line)
            XCTAssertEqual(e.kind, kind, file: file, line: line)
        }
    }

    func testMalformedFilesGiveOneLineErrorsNamingTheLine() {
        let good = ResultsCSV.render(StatsFixtures.rows([1, 2, 3]))
        var lines = good.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Line 3 has a bad value.
        lines[2] = lines[2].replacingOccurrences(of: ",2,ns,", with: ",fast,ns,")
        assertError(lines.joined(separator: "\n"), contains: "x.csv:3: column value is 'fast'")
        // A truncated last row.
        assertError(good + "1,r9,2025", contains: "x.csv:5: 3 fields, expected 26")
        // An unterminated quote, with the line where it starts, even after a multi-line field.
        let multi = ResultsCSV.render([hostileRows()[1]])
        assertError(multi + "1,\"unterminated,\n", contains: "never closed")
        assertError(multi + "1,\"unterminated,\n", contains: "x.csv:6:")
        // A stray quote.
        assertError(good + "1,ab\"c\n", contains: "x.csv:5: malformed CSV: a quote inside an unquoted field")
        assertError(good + "1,\"ab\"c\n", contains: "x.csv:5: malformed CSV: unexpected character 'c'")
        // Bad integers, status, direction, schema.
        assertError(good.replacingOccurrences(of: ",swift,4,", with: ",swift,four,"), contains: "x.csv:2: column procs is 'four'")
        assertError(good.replacingOccurrences(of: ",ok,", with: ",fine,"), contains: "column status is 'fine'")
        assertError(good.replacingOccurrences(of: ",lower,", with: ",down,"), contains: "column direction is 'down'")
        assertError(good.replacingOccurrences(of: "\n2,", with: "\n3,"), contains: "x.csv:2: schema_version '3' is not supported", kind: .unsupportedSchema)
        assertError(good.replacingOccurrences(of: ",gobench_commit", with: ",gobench_commit,extra"), contains: "x.csv:1: header does not match", kind: .unsupportedSchema)
        assertError("", contains: "empty file")
        assertError("name,value\na,1\n", contains: "not a gobench results file")
        // ok rows need a value.
        assertError(good.replacingOccurrences(of: ",1,ns,", with: ",,ns,"), contains: "status is ok but column value is empty")
        assertError(good.replacingOccurrences(of: ",1,ns,", with: ",nan,ns,"), contains: "expected a finite number")
    }

    func testReadNamesAMissingFile() {
        XCTAssertThrowsError(try ResultsCSV.read(path: "/nonexistent/dir/results.csv")) { error in
            let e = error as? ResultsCSVError
            XCTAssertEqual(e?.kind, .unreadable)
            XCTAssertEqual(e?.description, "/nonexistent/dir/results.csv: no such file")
        }
    }

    func testAtomicWriteReplacesTheFileWhole() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gobench-csv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("out.csv").path
        try ResultsCSV.write(StatsFixtures.rows([1, 2]), toPath: path)
        try ResultsCSV.write(StatsFixtures.rows([3]), toPath: path)
        XCTAssertEqual(try ResultsCSV.read(path: path).map(\.value), [3])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["out.csv"])
        // A folder that does not exist: an error, nothing written.
        XCTAssertThrowsError(try ResultsCSV.write([], toPath: folder.appendingPathComponent("no/such.csv").path))
    }

    func testFormatReadsBackExactly() {
        for v in [0.0, 1, -3, 301.2, 1e-9, 123456.789, 1e20, 0.1 + 0.2] {
            XCTAssertEqual(Double(ResultRow.format(v)), v)
        }
    }
}
