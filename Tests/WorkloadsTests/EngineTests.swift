import XCTest
import GobenchKit
@testable import Workloads

final class EngineTests: XCTestCase {
    func testEveryCatalogWorkloadHasASwiftImplementation() {
        XCTAssertEqual(WorkloadRunner.implementedNames, Catalog.names.sorted())
    }

    func testTheSwiftConcurrencyTableHoldsTheCatalogsWorkloadsOnThatEngine() throws {
        let onTheEngine = try Catalog.names.filter { try Catalog.workload(named: $0).applies(to: .swiftConcurrency) }
        XCTAssertEqual(ConcurrencyWorkloads.implementedNames, onTheEngine.sorted(),
                       "the swift-concurrency table holds exactly the catalog's workloads on that engine")
        for name in Catalog.names where !ConcurrencyWorkloads.implementedNames.contains(name) {
            guard case .notApplicable(let reason) = ConcurrencyWorkloads.run(name, WorkloadParameters(), procs: ConcurrencyWorkloads.poolWidth) else {
                return XCTFail("\(name) has no swift-concurrency body but did not report not_applicable")
            }
            XCTAssertTrue(reason.contains("no equal on Swift's Task pool"), reason)
        }
    }

    func testResultLineIsValidJSON() throws {
        let line = WorkloadOutcome.ok(ops: 3, metrics: [RunMetric("ns_per_op", 1.5, "ns", .lower)])
            .result(workload: "a\"b", engine: "swift").line
        let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        XCTAssertEqual(obj["workload"] as? String, "a\"b")
        XCTAssertEqual(obj["ops"] as? Int, 3)
    }
}
