// The thresholds file: most specific rule wins, defaults, and errors naming the line.
import XCTest
@testable import GobenchKit

final class ThresholdsTests: XCTestCase {
    let text = """
    workload,metric,relative_percent,absolute
    # comment lines and blank lines are skipped

    *,*,7,
    *,ns_per_op,5,
    timer-storm,*,10,
    timer-storm,latency_p99_ns,20,1000
    """

    func testMostSpecificRuleWins() throws {
        let table = try ThresholdTable.parse(text)
        XCTAssertEqual(table.rules.count, 4)
        XCTAssertEqual(table.threshold(workload: "timer-storm", metric: "latency_p99_ns", unit: "ns").relativePercent, 20)
        XCTAssertEqual(table.threshold(workload: "timer-storm", metric: "latency_p99_ns", unit: "ns").absolute, 1000)
        XCTAssertEqual(table.threshold(workload: "timer-storm", metric: "ns_per_op", unit: "ns").relativePercent, 10)
        XCTAssertEqual(table.threshold(workload: "chan-pingpong", metric: "ns_per_op", unit: "ns").relativePercent, 5)
        XCTAssertEqual(table.threshold(workload: "chan-pingpong", metric: "final_rss_bytes", unit: "bytes").relativePercent, 7)
        XCTAssertEqual(table.threshold(workload: "chan-pingpong", metric: "final_rss_bytes", unit: "bytes").line, 4)
    }

    func testDefaultsWhenNoRuleMatches() {
        let table = ThresholdTable()
        XCTAssertEqual(table.threshold(workload: "a", metric: "ns_per_op", unit: "ns").relativePercent, 5)
        XCTAssertEqual(table.threshold(workload: "a", metric: "final_rss_bytes", unit: "bytes").relativePercent, 10)
        XCTAssertNil(table.threshold(workload: "a", metric: "ns_per_op", unit: "ns").line)
    }

    func testExceededNeedsBothRelativeAndAbsolute() {
        let t = Threshold(workload: "*", metric: "*", relativePercent: 5, absolute: 10)
        XCTAssertFalse(t.isExceeded(base: 100, new: 104))   // 4%, 4
        XCTAssertFalse(t.isExceeded(base: 100, new: 108))   // 8% but only 8
        XCTAssertTrue(t.isExceeded(base: 100, new: 111))    // 11%, 11
        XCTAssertTrue(t.isExceeded(base: 100, new: 89))     // both directions
        XCTAssertFalse(Threshold(workload: "*", metric: "*", relativePercent: 5).isExceeded(base: 100, new: 105))
        XCTAssertTrue(Threshold(workload: "*", metric: "*", relativePercent: 5).isExceeded(base: 0, new: 1))
    }

    func assertError(_ text: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ThresholdTable.parse(text, source: "t.csv"), file: file, line: line) { error in
            let d = (error as? ThresholdsError)?.description ?? "\(error)"
            XCTAssertTrue(d.contains(expected), d, file: file, line: line)
            XCTAssertFalse(d.contains("\n"), file: file, line: line)
        }
    }

    func testParseErrorsNameTheLine() {
        assertError("", "t.csv: empty file")
        assertError("workload,metric,percent\n", "t.csv:1: header is 'workload,metric,percent'")
        assertError("workload,metric,relative_percent,absolute\n*,*,5\n", "t.csv:2: 3 fields, expected 4")
        assertError("workload,metric,relative_percent,absolute\n*,*,5,\n\n*,x,five,\n", "t.csv:4: column relative_percent is 'five'")
        assertError("workload,metric,relative_percent,absolute\n*,*,5,-1\n", "t.csv:2: column absolute is '-1'")
        assertError("workload,metric,relative_percent,absolute\n*,*,5,\n*,*,6,\n", "t.csv:3: a second rule for workload * and metric * (the first is on line 2)")
        assertError("workload,metric,relative_percent,absolute\n,ns_per_op,5,\n", "t.csv:2: workload and metric must not be empty")
        assertError("workload,metric,relative_percent,absolute\n\"*,*,5,\n", "t.csv:2: malformed CSV")
        assertError("workload,metric,relative_percent,absolute\ntimer-strom,*,5,\n", "t.csv:2: unknown workload 'timer-strom'")
    }

    func testTheRepositoryThresholdsFileParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("results/thresholds.csv").path
        let table = try ThresholdTable.read(path: path)
        XCTAssertFalse(table.rules.isEmpty)
        XCTAssertEqual(table.threshold(workload: "chan-pingpong", metric: "ns_per_op", unit: "ns").relativePercent, 5)
    }

    func testIndentedCommentIsAComment() throws {
        let table = try ThresholdTable.parse("workload,metric,relative_percent,absolute\n  # a note\n*,ns_per_op,7,\n", source: "t.csv")
        XCTAssertEqual(table.threshold(workload: "w", metric: "ns_per_op", unit: "ns").relativePercent, 7)
    }
}
