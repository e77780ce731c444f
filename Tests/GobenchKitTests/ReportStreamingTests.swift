// The report's dataset read row by row gives what the rows in memory give: the cost table
// of FigureTable.rows, and each file's counts.
import XCTest
@testable import GobenchKit

final class ReportStreamingTests: XCTestCase {
    func testTheCostTableFromTheSamplesIsFigureTableRowsOfTheRows() throws {
        for name in ["report-sweep.csv", "report-base.csv", "report-hostile.csv"] {
            let path = ReportDocumentTests.fixture(name)
            let rows = try ResultsCSV.read(path: path)
            let dataset = try ReportDataset.read(paths: [path])
            for workload in dataset.workloads {
                for metric in ["ns_per_op", "cpu_utilisation", "ops_per_sec"] {
                    let expected = FigureTable.rows(rows.filter { $0.workload == workload }, metric: metric)
                    let got = dataset.figureRows(workload: workload, metric: metric)
                    XCTAssertEqual(got, expected, "\(name) \(workload) \(metric)")
                    XCTAssertEqual(got.map { $0.medians.mapValues { $0.1 } }, expected.map { $0.medians.mapValues { $0.1 } })
                    XCTAssertEqual(got.map { $0.cpuMedians.mapValues { $0.1 } }, expected.map { $0.cpuMedians.mapValues { $0.1 } })
                }
            }
            XCTAssertTrue(dataset.workloads.contains { !dataset.figureRows(workload: $0, metric: "ns_per_op").isEmpty }, name)
        }
    }

    func testEachFilesCountsAreThoseOfItsRows() throws {
        let paths = ["report-sweep.csv", "report-hostile.csv"].map(ReportDocumentTests.fixture)
        let dataset = try ReportDataset.read(paths: paths)
        XCTAssertEqual(dataset.inputs.map(\.path), paths)
        var total = 0
        for (input, path) in zip(dataset.inputs, paths) {
            let rows = try ResultsCSV.read(path: path)
            total += rows.count
            let runs = Dictionary(grouping: rows, by: \.runID)
            let times = rows.map(\.timestamp).filter { !$0.isEmpty }.sorted()
            XCTAssertEqual(input.rowCount, rows.count)
            XCTAssertEqual(input.runCount, runs.count)
            XCTAssertEqual(input.notOKRunCount, runs.values.filter { $0.first?.status != "ok" }.count)
            XCTAssertGreaterThan(input.notOKRunCount, 0, path)
            XCTAssertEqual(input.firstTimestamp, times.first ?? "")
            XCTAssertEqual(input.lastTimestamp, times.last ?? "")
        }
        XCTAssertEqual(dataset.rowCount, total)
        // The same dataset as from the rows in memory.
        let inMemory = ReportDataset(files: try paths.map { (path: $0, rows: try ResultsCSV.read(path: $0)) })
        XCTAssertEqual(inMemory.inputs, dataset.inputs)
        XCTAssertEqual(inMemory.samples, dataset.samples)
        XCTAssertEqual(inMemory.failedRuns, dataset.failedRuns)
        XCTAssertEqual(inMemory.machines, dataset.machines)
    }
}
