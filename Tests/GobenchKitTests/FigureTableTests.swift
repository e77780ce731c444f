// The README's figure table and the report's cost table: CPU time per op beside wall time,
// what each row compares, and no plain ratio for a workload the catalog marks not
// comparable.
import XCTest
@testable import GobenchKit

final class FigureTableTests: XCTestCase {
    private func cell(_ workload: String, params: String, procs: Int, ns: (Double, Double), cpu: (Double, Double)) -> [ResultRow] {
        StatsFixtures.rows([ns.0, ns.0, ns.0], workload: workload, engine: "swift", procs: procs, params: params)
            + StatsFixtures.rows([ns.1, ns.1, ns.1], workload: workload, engine: "go", procs: procs, params: params, runPrefix: "g")
            + StatsFixtures.rows([cpu.0, cpu.0, cpu.0], workload: workload, engine: "swift", procs: procs, params: params,
                                 metric: "cpu_ns_per_op", runPrefix: "c")
            + StatsFixtures.rows([cpu.1, cpu.1, cpu.1], workload: workload, engine: "go", procs: procs, params: params,
                                 metric: "cpu_ns_per_op", runPrefix: "d")
    }

    func testCPUTimeSitsBesideWallTimeWithItsRatio() throws {
        let rows = cell("chan-pingpong", params: "n=100000", procs: 2, ns: (100, 200), cpu: (300, 150))
        let table = FigureTable.rows(rows)
        XCTAssertEqual(table.count, 1)
        XCTAssertEqual(table[0].ratio ?? 0, 0.5, accuracy: 1e-9)
        XCTAssertEqual(table[0].cpuRatio ?? 0, 2.0, accuracy: 1e-9)
        XCTAssertEqual(table[0].compared, "same work")
        let markdown = FigureTable.markdown(table)
        XCTAssertTrue(markdown.contains("cpu_ns_per_op"), markdown)
        XCTAssertTrue(markdown.contains("| chan-pingpong | 2 | 100 | 200 | n/a | 0.50 | 300 | 150 | 2.00 | same work |"), markdown)
    }

    /// Runs `body` with pingpong-hog marked not comparable (no catalog workload is now).
    private func withPingPongHogNotComparable(_ body: () throws -> Void) rethrows {
        var spec = try! Catalog.workload(named: "pingpong-hog")
        spec.notComparable = "a reason given by the test"
        Catalog.testSpecs["pingpong-hog"] = spec
        defer { Catalog.testSpecs = [:] }
        try body()
    }

    func testNotComparableRatiosAreBracketedAndSayWhy() throws {
        try withPingPongHogNotComparable { try notComparableRatiosAreBracketedAndSayWhy() }
    }

    private func notComparableRatiosAreBracketedAndSayWhy() throws {
        let rows = cell("pingpong-hog", params: "hog_ms=0;n=1000000", procs: 1, ns: (100, 400), cpu: (100, 400))
        let markdown = FigureTable.markdown(FigureTable.rows(rows))
        XCTAssertTrue(markdown.contains("(0.25)"), markdown)
        XCTAssertTrue(markdown.contains("not comparable: a reason given by the test"), markdown)
    }

    func testCaveatsAndNonDefaultParametersAreShown() throws {
        let rows = cell("gosched-pingpong", params: "mode=lone;n=200000", procs: 2, ns: (10, 80), cpu: (20, 80))
            + cell("deep-recursion", params: "depth=100000;frame=150;maxstack_mb=0;mode=depth", procs: 1, ns: (70, 200), cpu: (70, 200))
            + cell("live-goroutines", params: "n=50000;scavenge=0", procs: 1, ns: (70, 200), cpu: (70, 200))
        let markdown = FigureTable.markdown(FigureTable.rows(rows))
        XCTAssertTrue(markdown.contains("| gosched-pingpong (mode=lone) | 2 |"), markdown)
        XCTAssertTrue(markdown.contains("grows by copying"), markdown)
        XCTAssertTrue(markdown.contains("scavenge=off: no periodic scavenger, the stack pacer still on (swift)"), markdown)
    }

    func testReportShowsTheCostTableAndTheCatalogNotes() throws {
        try withPingPongHogNotComparable { try reportShowsTheCostTableAndTheCatalogNotes() }
    }

    private func reportShowsTheCostTableAndTheCatalogNotes() throws {
        let rows = cell("pingpong-hog", params: "hog_ms=0;n=1000000", procs: 1, ns: (100, 400), cpu: (100, 400))
            + cell("live-goroutines", params: "n=50000;scavenge=0", procs: 1, ns: (70, 200), cpu: (70, 200))
        let dataset = ReportDataset(files: [("synthetic.csv", rows)])
        let html = ReportDocument(dataset: dataset, options: ReportOptions(generatedAt: Date(timeIntervalSince1970: 0))).html()
        XCTAssertTrue(html.contains("swift cpu_ns_per_op"), "the cost table is there")
        XCTAssertTrue(html.contains("Not comparable across engines"), "pingpong-hog is marked")
        XCTAssertTrue(html.contains("off ‡"), "scavenge=off cells of live-goroutines are marked")
    }
}
