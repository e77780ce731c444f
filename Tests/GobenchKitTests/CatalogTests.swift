// Tests of the workload catalog: PROTOCOL.md's names and defaults, validation, canonical params.
import XCTest
@testable import GobenchKit

final class CatalogTests: XCTestCase {
    func testCatalogHasEveryProtocolWorkloadOnce() {
        let expected = ["spawn-storm", "live-goroutines", "steal-imbalance", "gosched-pingpong",
                        "chan-pingpong", "chan-prodcons", "pingpong-hog", "syscall-heavy",
                        "locked-thread", "deep-recursion", "mutex-contention", "timer-storm",
                        "parallel-compute", "scavenger-burst", "select"]
        XCTAssertEqual(Catalog.names, expected)
        XCTAssertEqual(Set(Catalog.names).count, Catalog.names.count)
    }

    func testDefaultsAreValidValues() throws {
        for spec in Catalog.workloads {
            for parameter in spec.parameters {
                XCTAssertEqual(try parameter.normalize(parameter.defaultValue, workload: spec.name),
                               parameter.defaultValue, "\(spec.name).\(parameter.name)")
            }
            _ = try spec.resolvedParameters(spec.sweepParameters)
        }
    }

    func testCanonicalParamsAreSortedAndResolved() throws {
        let spec = try Catalog.workload(named: "chan-prodcons")
        XCTAssertEqual(try spec.resolvedParameters([:]).canonical, "buffer=10;n=400000;pairs=0")
        XCTAssertEqual(try spec.resolvedParameters(["buffer": "0100", "pairs": "2"]).canonical, "buffer=100;n=400000;pairs=2")
        let pairs = params("pairs=2;buffer=100;n=4").pairs
        XCTAssertEqual(pairs.map(\.key), ["buffer", "n", "pairs"])
        XCTAssertEqual(pairs.map(\.value), ["100", "4", "2"])
    }

    func testUnknownWorkloadListsValidNames() {
        XCTAssertThrowsError(try Catalog.workload(named: "chan-pong")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("unknown workload 'chan-pong'"), text)
            XCTAssertTrue(text.contains("chan-pingpong"), text)
        }
    }

    func testBadParamsAreNamed() throws {
        let spec = try Catalog.workload(named: "spawn-storm")
        XCTAssertThrowsError(try spec.resolvedParameters(["size": "3"])) { error in
            XCTAssertEqual("\(error)", "spawn-storm: unknown parameter 'size' (valid: n, mode)")
        }
        XCTAssertThrowsError(try spec.resolvedParameters(["mode": "many"])) { error in
            XCTAssertTrue("\(error)".contains("single, all, chain"), "\(error)")
        }
        XCTAssertThrowsError(try spec.resolvedParameters(["n": "0"])) { error in
            XCTAssertTrue("\(error)".contains("n=0"), "\(error)")
        }
        XCTAssertThrowsError(try spec.resolvedParameters(["n": "ten"]))
    }

    func testEnginesAndDimensions() throws {
        XCTAssertThrowsError(try BenchmarkEngine.parse("rust")) { error in
            XCTAssertTrue("\(error)".contains("swift, go, swift-concurrency"), "\(error)")
        }
        let concurrency = Catalog.workloads.filter { $0.applies(to: .swiftConcurrency) }.map(\.name)
        XCTAssertEqual(concurrency, ["spawn-storm", "gosched-pingpong", "chan-pingpong", "chan-prodcons",
                                     "mutex-contention", "parallel-compute"])
        XCTAssertEqual(try Catalog.workload(named: "pingpong-hog").procs, .forced(1))
        XCTAssertEqual(try Catalog.workload(named: "deep-recursion").procs, .unswept(1))
        XCTAssertFalse(try Catalog.workload(named: "deep-recursion").sweepsScavenge)
        XCTAssertTrue(try Catalog.workload(named: "scavenger-burst").sweepsScavenge)
    }

    func testWorkloadLists() throws {
        XCTAssertEqual(try Catalog.workloads(fromList: "all").count, Catalog.workloads.count)
        XCTAssertEqual(try Catalog.workloads(fromList: "chan-pingpong, spawn-storm,chan-pingpong").map(\.name),
                       ["chan-pingpong", "spawn-storm"])
        XCTAssertThrowsError(try Catalog.workloads(fromList: ","))
        XCTAssertThrowsError(try Catalog.workloads(fromList: "chan-pingpong,nope"))
    }
}
