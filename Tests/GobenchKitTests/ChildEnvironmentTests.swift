// The child's environment: every variable that changes a result is recorded in the row or
// refused (docs/PROTOCOL.md, the child's environment).
import Foundation
import XCTest
@testable import GobenchKit

final class ChildEnvironmentTests: XCTestCase {
    /// Every variable the swift runtime, the workloads or the Go runtime read that can change
    /// what a run measures (grep of Sources/Runtime, Sources/Workloads and Go's runtime).
    static let resultChanging = [
        "GOMAXPROCS", "GOBENCH_SCAVENGE", "GOBENCH_PLACEMENT", "GOBENCH_STACK_SIZE", "GOBENCH_MAXSTACK",
        "GOBENCH_CONTEXT", "GOBENCH_INJECT_WORK_PERCENT", "GOBENCH_NO_IMMORTAL", "GOBENCH_SCHEDTRACE", "GOBENCH_STACKGC",
        "GOBENCH_TOPOLOGY", "GODEBUG", "GOGC", "GOMEMLIMIT", "LD_PRELOAD", "GLIBC_TUNABLES",
        "MALLOC_ARENA_MAX", "LIBDISPATCH_COOPERATIVE_POOL_STRICT", "SWIFT_DETERMINISTIC_HASHING",
    ]

    func testEveryResultChangingVariableIsRecordedReplacedOrRefused() {
        for name in Self.resultChanging {
            let parent = ["PATH": "/usr/bin", name: "7"]
            let child = ChildEnvironment(parent: parent)
            let recorded = child.recordedText.contains("\(name)=7")
            let refused = ChildEnvironment.refusal(parent)?.hasPrefix(name + " ") ?? false
            let replaced = ChildEnvironment.replacedByRunSettings[name] != nil && child.variables[name] == nil
            XCTAssertEqual([recorded, refused, replaced].filter { $0 }.count, 1,
                           "\(name): recorded \(recorded), refused \(refused), replaced by the run's setting \(replaced)")
            if child.variables[name] != nil {
                XCTAssertTrue(recorded, "\(name) reaches the child, so it must be recorded")
            }
        }
    }

    func testUnlistedVariablesDoNotReachTheChildAndTheRecordIsCanonical() {
        let child = ChildEnvironment(parent: [
            "PATH": "/bin", "HOME": "/h", "LC_ALL": "C", "SOMETHING_ELSE": "x", "GOGC": "50",
            "GOBENCH_CONTEXT": "ucontext", "GOBENCH_GO_PEER": "/p",
        ])
        XCTAssertEqual(Set(child.variables.keys), ["PATH", "HOME", "LC_ALL", "GOGC", "GOBENCH_CONTEXT"])
        XCTAssertEqual(child.recordedText, "GOBENCH_CONTEXT=ucontext;GOGC=50")
        XCTAssertEqual(ChildEnvironment(parent: ["PATH": "/bin"]).recordedText, "")
    }

    /// End to end: a fake child prints its environment; the row records what it got.
    func testTheRunnerGivesTheChildOnlyItsEnvironmentAndRecordsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gobench-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("child.sh")
        // The child reports, as a metric, whether it saw each variable.
        try """
        #!/bin/sh
        seen_gogc=0; [ -n "$GOGC" ] && seen_gogc=1
        seen_other=0; [ -n "$GATE_TEST_OTHER" ] && seen_other=1
        echo "{\\"gobench_result\\":1,\\"status\\":\\"ok\\",\\"metrics\\":[{\\"name\\":\\"gogc\\",\\"value\\":$seen_gogc,\\"unit\\":\\"count\\",\\"direction\\":\\"none\\"},{\\"name\\":\\"other\\",\\"value\\":$seen_other,\\"unit\\":\\"count\\",\\"direction\\":\\"none\\"}]}"
        """.write(to: script, atomically: true, encoding: .utf8)
        chmod(script.path, 0o755)
        let launcher = EngineLauncher { _ in [script.path] }
        let environment = ChildEnvironment(parent: ["PATH": "/usr/bin:/bin", "GOGC": "50", "GATE_TEST_OTHER": "1"])
        let runner = ChildRunner(launcher: launcher, timeoutSeconds: 60, forwardsStandardError: false,
                                 environment: environment)
        let settings = RunSettings(workload: "w", engine: .swift, procs: 1, scavenge: .off, placement: .none, params: WorkloadParameters())
        let outcome = runner.run(settings)
        XCTAssertEqual(outcome.status, .ok, outcome.error)
        XCTAssertEqual(outcome.metrics.first { $0.name == "gogc" }?.value, 1)
        XCTAssertEqual(outcome.metrics.first { $0.name == "other" }?.value, 0, "an unlisted variable reached the child")
        let rows = outcome.rows(settings: settings, rep: 0, runID: "r", timestamp: "t", machine: testMachine)
        XCTAssertTrue(rows.allSatisfy { $0.env == "GOGC=50" })
        XCTAssertEqual(rows.first?.cellKey.env, "GOGC=50")
        // The row reads back from the file with its env.
        let text = ResultsCSV.render(rows)
        XCTAssertEqual(try ResultsCSV.parse(text).map(\.env), rows.map(\.env))
    }

    func testAVersion1FileStillReadsWithAnEmptyEnv() throws {
        let rows = StatsFixtures.rows([1, 2], workload: "w")
        let v1 = ResultsCSV.render(rows).split(separator: "\n").map { line -> String in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            fields.removeLast()
            if fields[0] == "2" { fields[0] = "1" }
            return fields.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        let read = try ResultsCSV.parse(v1)
        XCTAssertEqual(read.count, rows.count)
        XCTAssertTrue(read.allSatisfy { $0.env == "" && $0.schemaVersion == ResultRow.schemaVersion })
    }

    /// A recorded value with the column's separator or a line break cannot be recorded
    /// faithfully (two environments would give one `env` text): refused, by name.
    func testARecordedValueTheColumnCannotCarryIsRefused() {
        for (name, value) in [("GOBENCH_NO_IMMORTAL", "1;GOGC=50"), ("GODEBUG", "x=1\ny=2"), ("GOMEMLIMIT", "1GiB\r"),
                              ("GOBENCH_TOPOLOGY", "a;\u{301}")] {
            let refusal = ChildEnvironment.refusal(["PATH": "/bin", name: value])
            XCTAssertNotNil(refusal, "\(name)=\(value.debugDescription)")
            XCTAssertTrue(refusal?.hasPrefix(name + "'s value contains") ?? false, refusal ?? "")
            XCTAssertFalse(refusal?.contains("\n") ?? true)
        }
        // The ambiguity the refusal prevents: these two record the same text.
        XCTAssertEqual(ChildEnvironment(parent: ["GOBENCH_NO_IMMORTAL": "1;GOGC=50"]).recordedText,
                       ChildEnvironment(parent: ["GOBENCH_NO_IMMORTAL": "1", "GOGC": "50"]).recordedText)
        XCTAssertNil(ChildEnvironment.refusal(["GODEBUG": "asyncpreemptoff=1,schedtrace=0", "GOGC": "50"]))
    }

    /// The binary: a refused variable and a malformed value are one line and exit 1 before
    /// any child starts; a recorded one ends in the env column.
    func testSweepRefusesOrRecordsUpFront() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gobench-envcli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sweep = ["sweep", "--engines", "swift", "--workloads", "spawn-storm", "--param", "n=100",
                     "--procs", "1", "--scavenge", "off", "--reps", "1", "-o", "r.csv"]
        let clean = ["GOMAXPROCS", "GOBENCH_SCAVENGE", "GOBENCH_STACK_SIZE", "GOBENCH_STACKGC", "GOBENCH_TOPOLOGY", "GOGC", "LD_PRELOAD",
                     "GOBENCH_NO_IMMORTAL"]
        for (name, value) in [("LD_PRELOAD", "libnothing.so"), ("GOMAXPROCS", "zero"), ("GOBENCH_SCAVENGE", "5"),
                              ("GOBENCH_STACK_SIZE", "12Q"), ("GOBENCH_STACKGC", "fast"), ("GOGC", "fast"),
                              ("GOBENCH_NO_IMMORTAL", "1;GOGC=50")] {
            let outcome = try GobenchBinary.run(sweep, in: folder, removing: clean, extra: [name: value])
            XCTAssertEqual(outcome.status, 1, "\(name)=\(value): \(outcome.stderr)")
            let lines = outcome.stderr.split(separator: "\n").filter { !$0.hasPrefix("ERROR: ld.so") }
            XCTAssertEqual(lines.count, 1, outcome.stderr)
            XCTAssertTrue(lines.first?.contains(name) ?? false, outcome.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("r.csv").path),
                           "\(name): nothing may run")
        }
        let outcome = try GobenchBinary.run(sweep, in: folder, removing: clean, extra: ["GOGC": "50"])
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        let rows = try ResultsCSV.read(path: folder.appendingPathComponent("r.csv").path)
        XCTAssertFalse(rows.isEmpty)
        XCTAssertTrue(rows.allSatisfy { $0.env == "GOGC=50" && $0.status == "ok" }, "\(rows.first.map { "\($0)" } ?? "")")
    }
}
