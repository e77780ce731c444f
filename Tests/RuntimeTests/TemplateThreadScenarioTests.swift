// New Ms' threads do not inherit the OS state of a locked thread (Runtime/TemplateThread.swift),
// checked in a child process (the scenario changes its threads' working directories).
import XCTest

final class TemplateThreadScenarioTests: XCTestCase {
    func testThreadsMadeAfterALockedAlteredThreadExitsStartClean() throws {
        let result = try RuntimeTestSupport.runScenario("template-thread", timeoutSeconds: 30)
        XCTAssertFalse(result.timedOut, result.standardError)
        XCTAssertEqual(result.status, 0, result.standardError)
        // The locked goroutine's thread had its own, changed directory; the goroutines it
        // left behind ran on a new thread (its own ended) made by the template thread,
        // which has the process's directory. Made from the dying thread, they would see
        // "altered".
        XCTAssertEqual(result.standardOutputLines, [
            "child: original directory, other thread",
            "child: original directory, other thread",
            "child: original directory, other thread",
            "child: original directory, other thread",
            "locked: altered directory",
        ], result.standardError)
    }
}
