// Tracebacks, GOTRACEBACK and panic chains (Runtime/Traceback.swift), checked from the
// outside through runtime-scenarios: the lines on standard error and the status.
import XCTest

final class TracebackScenarioTests: XCTestCase {
    private func run(_ name: String, _ environment: [String: String] = [:],
                     timeoutSeconds: Double = 30) throws -> RuntimeTestSupport.ProcessResult {
        let result = try RuntimeTestSupport.runScenario(name, environment: environment, timeoutSeconds: timeoutSeconds)
        XCTAssertFalse(result.timedOut, "\(name): still running after \(timeoutSeconds) s; stderr: \(result.standardError)")
        return result
    }

    /// The lines from `header` to the next blank line (one goroutine's block).
    private func block(_ result: RuntimeTestSupport.ProcessResult, _ header: String) -> [String]? {
        let lines = result.standardErrorLines
        guard let at = lines.firstIndex(of: header) else { return nil }
        let end = lines[(at + 1)...].firstIndex(of: "") ?? lines.endIndex
        return Array(lines[(at + 1)..<end])
    }

    /// Frames come in pairs: a function, then a tab-indented location with an offset.
    private func assertFramePairs(_ frames: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(frames.count % 2, 0, "\(frames)", file: file, line: line)
        for i in stride(from: 1, to: frames.count, by: 2) {
            XCTAssertTrue(frames[i].hasPrefix("\t") && frames[i].contains(" +0x"), "location line: \(frames[i])", file: file, line: line)
            XCTAssertFalse(frames[i - 1].hasPrefix("\t"), "function line: \(frames[i - 1])", file: file, line: line)
        }
    }

    /// A location line `\tFILE:LINE +0xOFF` whose FILE is the scenarios' main.swift and whose
    /// LINE there contains `text`.
    private func assertLocation(_ location: String, isLineContaining text: String,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let place = String(location.dropFirst().split(separator: " ").first ?? "")
        let parts = place.split(separator: ":")
        XCTAssertTrue(parts.count == 2 && parts[0].hasSuffix("Sources/RuntimeScenarios/main.swift"), "location: \(location)", file: file, line: line)
        guard parts.count == 2, let number = Int(parts[1]) else { return }
        let source = try String(contentsOfFile: String(parts[0]), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertTrue(number >= 1 && number <= lines.count && lines[number - 1].contains(text),
                      "line \(number) of main.swift is not the one with \(text)", file: file, line: line)
    }

    func testPanicPrintsThePanickingFunction() throws {
        let result = try run("traceback-panic")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(3)), ["panic: traced", "", "goroutine 1 [running]:"], result.standardError)
        let frames = try XCTUnwrap(block(result, "goroutine 1 [running]:"), result.standardError)
        assertFramePairs(frames)
        // The newest frame is the program's, not the runtime's printing.
        XCTAssertEqual(frames.first, "runtime_scenarios.tracebackPanicker(Swift.String) -> Swift.Never", result.standardError)
        try assertLocation(frames[1], isLineContaining: "Runtime.panic(message)")
        XCTAssertFalse(frames.contains { $0.contains("Runtime.") }, "runtime frames hidden at single: \(frames)")
        // single: the waiting goroutine is not listed.
        XCTAssertFalse(result.standardError.contains("[chan receive]"), result.standardError)
    }

    func testGotracebackAllListsTheParkedGoroutineWithItsFrames() throws {
        let result = try run("traceback-panic", ["GOTRACEBACK": "all"])
        XCTAssertEqual(result.status, 2)
        let header = try XCTUnwrap(result.standardErrorLines.first { $0.hasSuffix(" [chan receive]:") }, result.standardError)
        let frames = try XCTUnwrap(block(result, header))
        assertFramePairs(frames)
        XCTAssertEqual(frames.first, "runtime_scenarios.tracebackParkedWorker(Runtime.WaitGroup) -> ()", result.standardError)
    }

    func testGotracebackSystemShowsRuntimeFrames() throws {
        let result = try run("traceback-deadlock", ["GOTRACEBACK": "system"])
        XCTAssertEqual(result.status, 2)
        // At system, Go's header carries the G's address and its M (nil: it is parked).
        let header = try XCTUnwrap(result.standardErrorLines.first {
            $0.range(of: #"^goroutine 1 gp=0x[0-9a-f]+ m=nil \[chan receive\]:$"#, options: .regularExpression) != nil
        }, result.standardError)
        let frames = try XCTUnwrap(block(result, header), result.standardError)
        XCTAssertTrue(frames.contains { $0.contains("Runtime.Channel") }, "the channel receive's runtime frames: \(frames)")
        XCTAssertTrue(frames.contains("runtime_scenarios.tracebackParkMain() -> ()"), "\(frames)")
    }

    func testGotracebackNonePrintsNoGoroutine() throws {
        let panicked = try run("traceback-panic", ["GOTRACEBACK": "none"])
        XCTAssertEqual(panicked.status, 2)
        XCTAssertEqual(panicked.standardError, "panic: traced\n")
        let deadlocked = try run("traceback-deadlock", ["GOTRACEBACK": "none"])
        XCTAssertEqual(deadlocked.status, 2)
        XCTAssertEqual(deadlocked.standardError, "fatal error: all goroutines are asleep - deadlock!\n")
        let overflowed = try run("stack-overflow-main", ["GOTRACEBACK": "0"])
        XCTAssertEqual(overflowed.status, 2)
        XCTAssertTrue(overflowed.standardError.hasSuffix("fatal error: stack overflow\n"), overflowed.standardError)
    }

    func testBadGotracebackIsOneLineAndStatus2() throws {
        for value in ["bogus", "crash", "3", "ALL"] {
            let result = try run("traceback-panic", ["GOTRACEBACK": value])
            XCTAssertEqual(result.status, 2, value)
            XCTAssertEqual(result.standardError,
                           "runtime: invalid GOTRACEBACK \"\(value)\": expected none, single, all or system (or 0, 1, 2)\n")
            XCTAssertEqual(result.standardOutput, "")
        }
    }

    func testDeadlockPrintsTheParkedMainsFramesAndTheOthers() throws {
        let result = try run("traceback-deadlock", ["GOBENCH_SCAVENGE": "off"])
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(3)),
                       ["fatal error: all goroutines are asleep - deadlock!", "", "goroutine 1 [chan receive]:"], result.standardError)
        let main = try XCTUnwrap(block(result, "goroutine 1 [chan receive]:"))
        assertFramePairs(main)
        // Walked from the context main saved when it parked.
        XCTAssertEqual(main.first, "runtime_scenarios.tracebackParkMain() -> ()", result.standardError)
        // file:line from the line table: the line of the receive main parked in.
        try assertLocation(main[1], isLineContaining: "never.receive()")
        // A fatal error lists every goroutine, as Go's does.
        let other = try XCTUnwrap(result.standardErrorLines.dropFirst(3).first { $0.hasSuffix(" [chan receive]:") }, result.standardError)
        XCTAssertEqual(block(result, other)?.first, "runtime_scenarios.tracebackParkedWorker(Runtime.WaitGroup) -> ()", result.standardError)
    }

    func testStackOverflowKeepsGoLinesAndAddsFrames() throws {
        let result = try run("stack-overflow-main")
        XCTAssertEqual(result.status, 2)
        let lines = result.standardErrorLines
        XCTAssertEqual(lines.first, "runtime: goroutine stack exceeds 262144-byte limit")
        XCTAssertTrue(lines.count > 4 && lines[1].hasPrefix("runtime: sp=0x") && lines[2] == "fatal error: stack overflow"
                      && lines[3] == "" && lines[4] == "goroutine 1 [running]:", result.standardError)
        let frames = try XCTUnwrap(block(result, "goroutine 1 [running]:"))
        // Go's limit: 100 frames, then a line saying more were left out.
        XCTAssertEqual(frames.last, "...additional frames elided...")
        assertFramePairs(Array(frames.dropLast()))
        XCTAssertEqual(frames.count, 201, "100 frames of two lines and the elision line")
        XCTAssertTrue(frames.contains("runtime_scenarios.recurse(depth: Swift.Int, until: Swift.Int) -> Swift.Int"), result.standardError)
    }

    func testLockedGoroutineHeader() throws {
        let result = try run("traceback-locked")
        XCTAssertEqual(result.status, 2)
        XCTAssertEqual(Array(result.standardErrorLines.prefix(3)), ["panic: locked", "", "goroutine 1 [running, locked to thread]:"], result.standardError)
    }

    func testPanicChainOldestFirstEachLaterOneIndented() throws {
        let result = try run("panic-chain")
        XCTAssertEqual(result.status, 2)
        // The defers left run after each panic raised by a defer, as in Go.
        XCTAssertEqual(Array(result.standardErrorLines.prefix(6)),
                       ["deferred ran", "panic: first", "\tpanic: second", "\tpanic: third", "", "goroutine 1 [running]:"],
                       result.standardError)
    }
}
