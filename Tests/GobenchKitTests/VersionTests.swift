import XCTest
@testable import GobenchKit

final class VersionTests: XCTestCase {
    func testVersionIsSemantic() {
        XCTAssertEqual(GobenchVersion.string.split(separator: ".").count, 3)
    }
}
