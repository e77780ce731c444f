import XCTest
import GobenchKit
@testable import Workloads

final class EngineTests: XCTestCase {
    func testEveryCatalogWorkloadHasASwiftImplementation() {
        XCTAssertEqual(WorkloadRunner.implementedNames, Catalog.names.sorted())
    }

    func testResultLineIsValidJSON() throws {
        let line = WorkloadOutcome.ok(ops: 3, metrics: [RunMetric("ns_per_op", 1.5, "ns", .lower)])
            .result(workload: "a\"b", engine: "swift").line
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        XCTAssertEqual(obj["workload"] as? String, "a\"b")
        XCTAssertEqual(obj["ops"] as? Int, 3)
    }
}
