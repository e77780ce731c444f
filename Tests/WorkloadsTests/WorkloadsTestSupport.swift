// What the workload tests share: the repository's root, the Go peer binary, and running a
// program for its standard output.
import Foundation
import GobenchKit
import Workloads
import XCTest

enum WorkloadsTestSupport {
    /// Runs a workload in this process as `gobench child` does: the settings go through the
    /// child's command-line codec (RunSettings(childArguments:)), the result through the
    /// child's encoder (ChildResult.line). Returns the line and the child's exit status.
    static func runChild(workload: String, engine: String, procs: Int, scavenge: String, placement: String,
                         overrides: [String: String]) -> (line: String, status: Int32) {
        var arguments = ["--workload", workload, "--engine", engine, "--procs", String(procs),
                         "--scavenge", scavenge, "--placement", placement]
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) { arguments += ["--param", "\(key)=\(value)"] }
        do {
            let (result, status) = WorkloadRunner.run(try RunSettings(childArguments: arguments))
            return (result.line, status)
        } catch {
            return (ChildResult(status: .error, error: "\(error)").line, 1)
        }
    }

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
