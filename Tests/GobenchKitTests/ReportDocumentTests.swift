// Tests of the HTML report built from the fixture CSVs: sections, escaping, comparison,
// bad input, and the all-or-nothing file write.
import XCTest
@testable import GobenchKit

final class ReportDocumentTests: XCTestCase {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures").appendingPathComponent(name).path
    }

    static func document(_ names: [String], base: String? = nil) throws -> String {
        let dataset = try ReportDataset.read(paths: names.map(fixture))
        let baseDataset = try base.map { try ReportDataset.read(paths: [fixture($0)]) }
        let options = ReportOptions(title: "fixture <report>", generatedAt: Date(timeIntervalSince1970: 0))
        return ReportDocument(dataset: dataset, base: baseDataset, options: options).html()
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    func testSweepReportHasEveryChartAndSection() throws {
        let html = try Self.document(["report-sweep.csv"])
        // chan-pingpong: throughput, ratio, scavenger memory, scavenger latency;
        // parallel-compute: throughput and ratio (placement none), placement bars (compact
        // and spread are in the table of other settings); steal-imbalance: throughput, ratio.
        XCTAssertEqual(Self.count("<svg class=\"chart ", in: html), 9)
        XCTAssertTrue(html.contains("Throughput at other settings"))
        XCTAssertEqual(Self.count("<svg class=\"chart bar-chart\"", in: html), 1)
        XCTAssertTrue(html.contains("AMD EPYC 7B13 64-Core Processor"))
        XCTAssertTrue(html.contains("go1.27.0"))
        XCTAssertTrue(html.contains("report-sweep.csv"))
        XCTAssertTrue(html.contains("<title>fixture &lt;report&gt;</title>"))
        // Every engine and the ratio appear in the chan-pingpong legend.
        for name in ["swift", "go", "swift-concurrency", "swift / go"] {
            XCTAssertTrue(html.contains("data-series=\"\(name)\""), name)
        }
        // Failed runs: the crash and the timeout, with their reasons; not_applicable apart.
        XCTAssertTrue(html.contains("killed by signal 11 (SIGSEGV)"))
        XCTAssertTrue(html.contains("no result after 120 s; killed"))
        XCTAssertTrue(html.contains("1 run not applicable"))
        XCTAssertFalse(html.contains("different machines"))
        // pingpong-hog ran at one GOMAXPROCS only: a table, no chart.
        XCTAssertTrue(html.contains("chan-pingpong: throughput vs GOMAXPROCS"))
        XCTAssertFalse(html.contains("pingpong-hog: throughput vs GOMAXPROCS"))
        XCTAssertTrue(html.contains("hog_ms=0;n=5000"))
        // No script and nothing fetched from elsewhere.
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("@import"))
        XCTAssertFalse(html.contains("url("))
    }

    func testSwiftGoRatioIsTheRatioOfMedians() throws {
        let dataset = try ReportDataset.read(paths: [Self.fixture("report-sweep.csv")])
        func median(_ engine: String) throws -> Double {
            try XCTUnwrap(dataset.summary(CellKey(workload: "chan-pingpong", engine: engine, procs: 4, scavenge: "off",
                                                  placement: "none", params: "n=200000", metric: "ops_per_sec"))).median
        }
        let ratio = try median("swift") / median("go")
        let html = ReportDocument(dataset: dataset).html()
        XCTAssertTrue(html.contains(">\(ChartNumberFormat.significant(ratio, digits: 3))×</td>"))
    }

    func testHostileTextIsEscapedEverywhere() throws {
        let html = try Self.document(["report-hostile.csv"])
        XCTAssertEqual(Self.count("<svg class=\"chart ", in: html), 2)
        XCTAssertFalse(html.contains("<script"))
        XCTAssertFalse(html.contains("<img"))
        XCTAssertFalse(html.contains("<b>host"))
        XCTAssertFalse(html.contains("<svg onload"))
        XCTAssertFalse(html.contains("</svg><script"))
        XCTAssertTrue(html.contains("&lt;/svg&gt;&lt;script&gt;alert(&#39;w&#39;)&lt;/script&gt;"))
        XCTAssertTrue(html.contains("x=&lt;img src=x onerror=alert(3)&gt;;y=a&amp;b"))
        XCTAssertTrue(html.contains("weird&quot;name"))
        // Ids stay valid whatever the workload is called.
        XCTAssertTrue(html.contains("id=\"w-_3c__2f_svg_3e__3c_script_3e_alert_28__27_w_27__29__3c__2f_script_3e_\""))
    }

    func testFilesFromTwoMachinesAreFlagged() throws {
        let html = try Self.document(["report-sweep.csv", "report-hostile.csv"])
        XCTAssertTrue(html.contains("These files come from 2 different machines"))
    }

    func testAnotherGobenchCommitIsNotAnotherMachine() throws {
        var rows = try ResultsCSV.read(path: Self.fixture("report-sweep.csv"))
        for i in rows.indices where i % 2 == 0 { rows[i].machine.gobenchCommit = "0000000" }
        let html = ReportDocument(dataset: ReportDataset(files: [("mixed.csv", rows)])).html()
        XCTAssertFalse(html.contains("different machines"))
        XCTAssertTrue(html.contains("0.1.0 (0000000)"))
        XCTAssertTrue(html.contains("0.1.0 (5c85c5d)"))
    }

    func testComparisonHighlightsTheSignificantChanges() throws {
        let html = try Self.document(["report-sweep.csv"], base: "report-base.csv")
        XCTAssertTrue(html.contains("id=\"comparison\""))
        // The base fixture has the same samples except: swift chan-pingpong 25 % faster at
        // GOMAXPROCS 4 (ns_per_op, the primary metric, regressed; ops_per_sec worse, not
        // gating) and go parallel-compute 10 % slower at GOMAXPROCS 8 (ops_per_sec improved;
        // ns_per_op's -9 % is within compare's 10 % minimum effect).
        XCTAssertEqual(Self.count("<tr class=\"regressed\">", in: html), 1)
        XCTAssertEqual(Self.count("<tr class=\"improved\">", in: html), 1)
        XCTAssertTrue(html.contains(">1 regression</span>"))
        XCTAssertTrue(html.contains(">1 improvement</span>"))
        // The same verdicts as gobench compare on the same files.
        let report = compare(base: try ResultsCSV.read(path: Self.fixture("report-base.csv")),
                             new: try ResultsCSV.read(path: Self.fixture("report-sweep.csv")))
        XCTAssertEqual(Set(report.regressions.map(\.key.metric)), ["ns_per_op"])
        XCTAssertTrue(report.regressions.allSatisfy { $0.key.engine == "swift" && $0.key.procs == 4 && $0.key.scavenge == "off" })
        XCTAssertEqual(Set(report.improvements.map(\.key.metric)), ["ops_per_sec"])
        XCTAssertTrue(report.improvements.allSatisfy { $0.key.workload == "parallel-compute" && $0.key.engine == "go" && $0.key.procs == 8 })
        for c in report.regressions + report.improvements {
            XCTAssertTrue(html.contains(String(format: "%+.1f %%", c.changePercent!)), "\(c.key)")
        }
    }

    func testEmptyAndMalformedFilesAreErrors() {
        XCTAssertThrowsError(try ReportDataset.read(paths: [Self.fixture("report-empty.csv")])) { error in
            XCTAssertTrue(error is ReportError)
            XCTAssertTrue("\(error)".contains("no result rows"))
        }
        XCTAssertThrowsError(try ReportDataset.read(paths: [Self.fixture("report-malformed.csv")])) { error in
            XCTAssertTrue("\(error)".contains("report-malformed.csv:3"))
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertThrowsError(try ReportDataset.read(paths: [Self.fixture("no-such-file.csv")]))
    }

    func testFileWriterReplacesAtomicallyAndLeavesNothingOnFailure() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-writer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("report.html").path
        try ReportFileWriter.write("first", to: path)
        try ReportFileWriter.write("second", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "second")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["report.html"])
        // A target that is a folder cannot be replaced by a file: error, folder untouched,
        // no temporary file left.
        let blocked = folder.appendingPathComponent("blocked").path
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ReportFileWriter.write("x", to: blocked)) { XCTAssertTrue($0 is ReportError) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["blocked", "report.html"])
        XCTAssertThrowsError(try ReportFileWriter.write("x", to: folder.path + "/missing/report.html")) {
            XCTAssertTrue("\($0)".contains("does not exist"))
        }
    }
}
