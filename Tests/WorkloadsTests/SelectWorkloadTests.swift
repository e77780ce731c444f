// The select workload on the swift engine: every mode at several GOMAXPROCS delivers every
// item once (the workload counts what arrives and fails the run on a lost or duplicated
// item), with the op count its definition gives (docs/PROTOCOL.md, "select").
import Foundation
import GobenchKit
import XCTest
@testable import Workloads

final class SelectWorkloadTests: XCTestCase {
    func testEveryModeDeliversEveryItemOnce() {
        // stress4: ops = 8 * (n / 8); the others: n.
        let cases: [(mode: String, n: Int, ops: Int)] = [
            ("stress4", 4003, 4000), ("stress4", 5, 8), ("prodcons", 3001, 3001), ("contended", 3001, 3001),
        ]
        for c in cases {
            for procs in [1, 2, 3] {
                let what = "select mode=\(c.mode) n=\(c.n) procs=\(procs)"
                let (line, status) = WorkloadsTestSupport.runChild(workload: "select", engine: "swift", procs: procs,
                                                        scavenge: "off", placement: "none",
                                                        overrides: ["mode": c.mode, "n": String(c.n)])
                guard case .success(let result) = ChildResult.parse(line) else {
                    XCTFail("\(what): result line does not parse: \(line)"); continue
                }
                XCTAssertEqual(result.status, .ok, "\(what): \(line)")
                XCTAssertEqual(status, 0, what)
                let ops = result.metrics.first { $0.name == "ops" }?.value
                XCTAssertEqual(ops, Double(c.ops), "\(what): ops")
            }
        }
    }

    func testSwiftConcurrencyEngineIsNotApplicable() {
        let (line, status) = WorkloadsTestSupport.runChild(workload: "select", engine: "swift-concurrency", procs: 2,
                                                scavenge: "off", placement: "none", overrides: [:])
        guard case .success(let result) = ChildResult.parse(line) else { return XCTFail(line) }
        XCTAssertEqual(result.status, .notApplicable, line)
        XCTAssertEqual(status, 0)
    }
}
