// The typed options of run, sweep and tune, end to end through the gobench binary: every
// refused value is one line on standard error (`gobench CMD: error: ...`) with the documented
// exit status (1 a bad value, 64 what argument-parser cannot read), nothing on standard output
// and no results file; and the options the three commands share are the same options.
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class CommandLineOptionsTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "gobench-options-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func run(_ arguments: [String]) throws -> GobenchBinary.Outcome {
        try GobenchBinary.run(arguments, in: URL(fileURLWithPath: directory),
                              removing: ["GOBENCH_TOPOLOGY", "GOBENCH_PLACEMENT", "GOMAXPROCS"])
    }

    /// One line `gobench COMMAND: error: ...` containing `text`, exit `status`, no output.
    func assertRefused(_ arguments: [String], status: Int32 = 1, contains text: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try run(arguments)
        let shown = "\(arguments): \(outcome.stderr)"
        XCTAssertEqual(outcome.status, status, shown, file: file, line: line)
        XCTAssertEqual(outcome.stderr.split(separator: "\n").count, 1, "one line: \(shown)", file: file, line: line)
        XCTAssertTrue(outcome.stderr.hasPrefix("gobench \(arguments[0]): error: "), shown, file: file, line: line)
        XCTAssertTrue(outcome.stderr.contains(text), "names \(text): \(shown)", file: file, line: line)
        XCTAssertFalse(outcome.stderr.contains("Usage:") || outcome.stderr.contains("Fatal error"), shown, file: file, line: line)
        XCTAssertEqual(outcome.stdout, "", shown, file: file, line: line)
    }

    /// A fake Go peer (a shell script) that prints an ok result line.
    func okPeer() throws -> String {
        let path = directory + "/peer.sh"
        let ok = #"{"gobench_result":1,"status":"ok","metrics":[{"name":"ns_per_op","value":12.5,"unit":"ns","direction":"lower"}]}"#
        try "#!/bin/sh\necho run >> \(directory)/peer.log\necho '\(ok)'\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    // MARK: each typed option refuses a bad value

    func testRunRefusesEachBadValueInOneLine() throws {
        let run = ["run", "spawn-storm", "--param", "n=100", "--warmup", "0", "--reps", "1"]
        try assertRefused(run + ["--engine", "rust"], contains: "unknown engine 'rust'")
        try assertRefused(run + ["--scavenge", "10parsecs"], contains: "scavenge '10parsecs'")
        try assertRefused(run + ["--placement", "diagonal"], contains: "malformed placement 'diagonal': unknown policy")
        try assertRefused(run + ["--placement", "nodes=0,x"], contains: "'x' is not a node number")
        try assertRefused(run + ["--timeout", "5"], contains: "timeout '5' has no unit")
        try assertRefused(run + ["--benchtime", "0x"], contains: "benchtime '0x'")
        try assertRefused(run + ["--cpu-quota", "lots"], contains: "lots")
        try assertRefused(run + ["--cpu-quota", "1,2"], contains: "run takes one --cpu-quota value")
        try assertRefused(run + ["--reps", "0"], contains: "reps must be at least 1")
        try assertRefused(run + ["--warmup=-1"], contains: "warmup must be from 0 to")
        try assertRefused(run + ["--procs", "0"], contains: "procs 0 is not from 1 to 4096")
        try assertRefused(["run", "--reps", "1"], contains: "name a workload")
        try assertRefused(["run", "spawn-storm", "--command", "a=true"], contains: "cannot be run together")
        // What argument-parser itself cannot read keeps its status 64, in one line too.
        try assertRefused(run + ["--format", "yaml"], status: 64, contains: "yaml")
        try assertRefused(run + ["--procs", "many"], status: 64, contains: "many")
        try assertRefused(run + ["--no-such-option"], status: 64, contains: "--no-such-option")
    }

    func testSweepRefusesEachBadValueInOneLine() throws {
        let output = directory + "/r.csv"
        let sweep = ["sweep", "--workloads", "spawn-storm", "--engines", "swift", "--procs", "1", "--scavenge", "off",
                     "--reps", "1", "-o", output]
        try assertRefused(sweep + ["--engines", "swift,rust"], contains: "unknown engine 'rust'")
        try assertRefused(sweep + ["--workloads", "spawn-storm,nope"], contains: "nope")
        try assertRefused(sweep + ["--procs", "4-1"], contains: "4-1")
        try assertRefused(sweep + ["--scavenge", "off,,2m"], contains: "has an empty item")
        try assertRefused(sweep + ["--placements", "none,diagonal"], contains: "malformed placement 'diagonal': unknown policy")
        try assertRefused(sweep + ["--shard", "3/2"], contains: "shard '3/2'")
        try assertRefused(sweep + ["--timeout", "0s"], contains: "timeout '0s' must be longer than zero")
        try assertRefused(sweep + ["--reps", "10001"], contains: "reps 10001 is more than 10000")
        try assertRefused(sweep + ["--seed", "-"], status: 64, contains: "--seed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "nothing ran")
    }

    func testTuneRefusesEachBadValueInOneLine() throws {
        let tune = ["tune", "--workloads", "chan-pingpong", "--procs", "1", "--reps", "1"]
        try assertRefused(tune + ["--engine", "rust"], contains: "unknown engine 'rust'")
        try assertRefused(tune + ["--engine", "swift-concurrency"], contains: "which swift-concurrency does not have")
        try assertRefused(tune + ["--engine", "go-test"], contains: "use --engine swift or go")
        try assertRefused(tune + ["--min-time", "1parsec"], contains: "--min-time '1parsec' has no unit")
        try assertRefused(tune + ["--procs", "0"], contains: "0")
        try assertRefused(tune + ["--placements", "nodes="], contains: "nodes=")
        try assertRefused(tune + ["--workloads", ","], contains: "empty workload list")
        try assertRefused(tune + ["--timeout", "1 fortnight"], contains: "timeout '1 fortnight'")
    }

    func testCompareAndTopologyRefuseEachBadValueInOneLine() throws {
        let compare = ["compare", directory + "/base.csv", directory + "/new.csv"]
        try assertRefused(compare + ["--format", "yaml"], contains: "--format is 'yaml', expected text, markdown or csv")
        try assertRefused(compare + ["--alpha", "1"], contains: "--alpha is '1', expected a number between 0 and 1")
        try assertRefused(compare + ["--min-effect", "nan"], contains: "--min-effect is 'nan', expected a percentage >= 0")
        try assertRefused(compare + ["--gate", "some"], contains: "--gate is 'some', expected primary or all")
        try assertRefused(compare + ["--correction", "bonferroni"], contains: "--correction is 'bonferroni', expected bh, holm or none")
        try assertRefused(compare + ["--drift-term", "maybe"], contains: "--drift-term is 'maybe', expected on or off")
        try assertRefused(compare + ["--no-such-flag"], contains: "unexpected argument '--no-such-flag'")
        try assertRefused(["compare", directory + "/base.csv"], contains: "two results files are needed")
        try assertRefused(["topology", "--format", "yaml"], contains: "unknown format 'yaml' (expected text or json)")
    }

    // MARK: the options run, sweep and tune share

    static let sharedOptions = ["--reps", "--timeout", "--go-peer", "--go-test", "--bench", "--benchtime", "--command", "--cpu-quota"]

    func testRunSweepAndTuneShareTheCommonOptions() throws {
        for command in ["run", "sweep", "tune"] {
            let help = try run([command, "--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            for option in Self.sharedOptions {
                let lines = help.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).hasPrefix(option + " <") }
                XCTAssertEqual(lines.count, 1, "\(command) --help lists \(option) once: \(help.stdout)")
            }
        }
        // The same bad shared value, the same refusal on each.
        let bases = [["run", "spawn-storm"], ["sweep", "--dry-run"], ["tune"]]
        for (bad, message) in [(["--timeout", "9"], "timeout '9' has no unit"), (["--reps", "0"], "reps must be at least 1"),
                               (["--benchtime", "1y"], "benchtime '1y'"), (["--cpu-quota", "lots"], "lots")] {
            for base in bases {
                try assertRefused(base + bad, contains: message)
            }
        }
    }

    func testTheSharedOptionsTakeEffectOnRunSweepAndTune() throws {
        let peer = try okPeer()
        let shared = ["--reps", "2", "--timeout", "30s", "--go-peer", peer]
        let run = try self.run(["run", "chan-pingpong", "--engine", "go", "--procs", "1", "--warmup", "0", "--format", "csv"] + shared)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").filter { $0.contains(",ns_per_op,") }.count, 2, "two reps: \(run.stdout)")
        let output = directory + "/sweep.csv"
        let sweep = try self.run(["sweep", "--engines", "go", "--workloads", "chan-pingpong", "--procs", "1,2",
                                  "--scavenge", "off", "-o", output] + shared)
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let rows = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").filter { $0.contains(",ns_per_op,") }
        XCTAssertEqual(rows.count, 4, "2 cells x 2 reps")
        let tune = try self.run(["tune", "--engine", "go", "--workloads", "chan-pingpong", "--procs", "1,2"] + shared)
        XCTAssertEqual(tune.status, 0, tune.stderr)
        XCTAssertTrue(tune.stderr.contains("2 candidates x workloads x 2 reps"), tune.stderr)
        XCTAssertTrue(tune.stdout.contains("export GOMAXPROCS="), tune.stdout)
    }
}
