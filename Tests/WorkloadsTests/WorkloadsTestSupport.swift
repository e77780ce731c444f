// What the workload tests share: the repository's root, the Go peer binary, and running a
// program for its standard output.
import Foundation
import XCTest

enum WorkloadsTestSupport {
    /// The repository's root (this file is Tests/WorkloadsTests/...).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Go peer: GOBENCH_GO_PEER, else the one scripts/go-env.sh builds; a skip when it
    /// is not there.
    static func goPeer() throws -> String {
        let peer = ProcessInfo.processInfo.environment["GOBENCH_GO_PEER"]
            ?? root.appendingPathComponent("peers/go/bin/gobench-go").path
        guard FileManager.default.isExecutableFile(atPath: peer) else {
            throw XCTSkip("the Go peer is not built (scripts/go-env.sh builds it): \(peer)")
        }
        return peer
    }

    /// Runs `executable` with `arguments` (standard error discarded) and returns its standard
    /// output, its last line and its exit status.
    static func run(_ executable: String, _ arguments: [String]) throws -> (output: Data, lastLine: String, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let last = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return (data, last, process.terminationStatus)
    }
}
