import XCTest
@testable import Workloads

final class EngineTests: XCTestCase {
    func testEngineNames() {
        XCTAssertEqual(InProcessEngine.allCases.map(\.rawValue), ["swift", "swift-concurrency"])
    }
}
