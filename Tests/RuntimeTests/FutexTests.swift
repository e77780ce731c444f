import XCTest
import CRuntime

final class FutexTests: XCTestCase {
    func testWaitReturnsAtOnceWhenValueDiffers() {
        var word: UInt32 = 1
        XCTAssertEqual(gb_futex_wait(&word, 0, 1_000_000_000), 0)
    }
    func testWaitTimesOut() {
        var word: UInt32 = 0
        XCTAssertEqual(gb_futex_wait(&word, 0, 1_000_000), 1)
    }
}
