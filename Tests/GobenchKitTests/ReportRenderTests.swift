// Renders a fixture report in headless Chromium through scripts/report-check.sh and
// checks that the charts are drawn; skipped where Chromium is not installed.
import XCTest
@testable import GobenchKit

final class ReportRenderTests: XCTestCase {
    func testChromiumDrawsEveryChart() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard chromium != nil else {
            throw XCTSkip("chromium is not installed; run scripts/report-check.sh (it installs it) or apt-get install -y chromium")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else {
            throw XCTSkip("python3 is not installed; scripts/report-check.sh needs it for the DOM and PNG checks")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("report-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let html = try ReportDocumentTests.document(["report-sweep.csv"], base: "report-base.csv")
        let page = folder.appendingPathComponent("report.html").path
        try ReportFileWriter.write(html, to: page)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [root.appendingPathComponent("scripts/report-check.sh").path,
                             "--html", page, "--expect-charts", "9", "--out", folder.appendingPathComponent("check").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("given: 9 charts,"), text)
    }
}
