// The built `gobench` binary, run end to end by the CLI tests (compare, placement checks).
import Foundation
import XCTest

enum GobenchBinary {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    /// The gobench binary beside the test bundle (swift test builds it with the tests);
    /// the test is skipped when it is not there.
    static func url() throws -> URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle(for: BundleMarker.self).bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("gobench") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the gobench binary is not built beside the tests (looked in \(candidates.map(\.path)))")
        }
        return found
    }

    /// Runs gobench with `arguments` in `folder`: this process's environment without
    /// `removing`, plus `extra`.
    static func run(_ arguments: [String], in folder: URL, removing: [String] = [],
                    extra: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        for key in removing { environment[key] = nil }
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                       stderr: String(decoding: stderr, as: UTF8.self))
    }

    private final class BundleMarker {}
}
