// The parent–child contract (RunContract.swift): the child's command line and its result line
// each round-trip through their one encoder and one decoder.
import GobenchKit
import XCTest

final class RunContractTests: XCTestCase {
    static let odd = RunSettings(
        workload: "chan-prodcons", engine: .swiftConcurrency, procs: 12,
        scavenge: ScavengeSetting(intervalNanoseconds: 1_500_000), placement: .nodes([3, 0, 2]),
        params: try! WorkloadParameters(["a": "1,2,3", "b": "x=y=z", "c": #"say "hi" 'there'"#,
                                         "d": "ünï¢ødé 🚀", "e": " spaced ", "f": "--param", "g": "\\"]))

    func testTheChildArgumentsRoundTripEveryField() throws {
        for engine in [BenchmarkEngine.swift, .swiftConcurrency, .go] {
            for placement in [PlacementPolicy.none, .compact, .spread, .nodes([1, 0]), .nodes([3, 0, 2])] {
                for scavenge in [ScavengeSetting.off, ScavengeSetting(intervalNanoseconds: 1),
                                 ScavengeSetting(intervalNanoseconds: 120_000_000_000)] {
                    var settings = RunContractTests.odd
                    settings.engine = engine; settings.placement = placement; settings.scavenge = scavenge
                    let arguments = try settings.childArguments()
                    XCTAssertEqual(try RunSettings(childArguments: arguments), settings, "\(arguments)")
                }
            }
        }
        let arguments = try RunContractTests.odd.childArguments()
        XCTAssertEqual(Array(arguments.prefix(10)), ["--workload", "chan-prodcons", "--engine", "swift-concurrency",
                                                     "--procs", "12", "--scavenge", "1500us", "--placement", "nodes=3,0,2"])
        // Each parameter is one argument, whatever it holds; keys in canonical order.
        XCTAssertEqual(Array(arguments.dropFirst(10)), [
            "--param", "a=1,2,3", "--param", "b=x=y=z", "--param", #"c=say "hi" 'there'"#,
            "--param", "d=ünï¢ødé 🚀", "--param", "e= spaced ", "--param", "f=--param", "--param", "g=\\"])
        let decoded = try RunSettings(childArguments: arguments)
        XCTAssertEqual(decoded.params.pairs.map(\.value), ["1,2,3", "x=y=z", #"say "hi" 'there'"#, "ünï¢ødé 🚀", " spaced ", "--param", "\\"])
    }

    func testLineBreaksAreRefusedBothWays() {
        var settings = RunContractTests.odd
        // Parameters that the command line could not carry cannot be made at all.
        XCTAssertThrowsError(try WorkloadParameters(["n": "1\n2"])) { error in
            XCTAssertTrue("\(error)".contains("line break"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"), "\(error)")
        }
        settings.params = params("n=1")
        settings.workload = "chan\rpingpong"
        XCTAssertThrowsError(try settings.childArguments())
        XCTAssertThrowsError(try RunSettings(childArguments: ["--workload", "w", "--param", "n=1\n2"]))
    }

    func testTheDecoderHasDefaultsAndRefusesWhatItDoesNotKnow() throws {
        let minimal = try RunSettings(childArguments: ["--workload", "spawn-storm", "--param", "n=5"])
        XCTAssertEqual(minimal, RunSettings(workload: "spawn-storm", engine: .swift, procs: 1, scavenge: .off,
                                            placement: .none, params: params("n=5")))
        XCTAssertEqual(try RunSettings(childArguments: ["--workload=w", "--procs=3", "--placement=nodes=1,0"]),
                       RunSettings(workload: "w", engine: .swift, procs: 3, scavenge: .off, placement: .nodes([1, 0]), params: WorkloadParameters()))
        let bad: [([String], String)] = [
            ([], "--workload is missing"),
            (["--workload", ""], "--workload is missing"),
            (["--workload", "w", "--workload", "v"], "given twice"),
            (["--workload", "w", "--param", "n=1", "--param", "n=2"], "given twice"),
            (["--workload", "w", "--param", "=1"], "not KEY=VALUE"),
            (["--workload", "w", "--param", "n"], "not KEY=VALUE"),
            (["--workload", "w", "--procs", "0"], "--procs"),
            (["--workload", "w", "--procs", "two"], "--procs"),
            (["--workload", "w", "--engine", "rust"], "rust"),
            (["--workload", "w", "--scavenge", "sometimes"], "--scavenge"),
            (["--workload", "w", "--placement", "nodes=0,0"], "listed twice"),
            (["--workload", "w", "--colour", "red"], "unknown"),
            (["--workload", "w", "stray"], "unknown"),
            (["--workload"], "needs a value"),
        ]
        for (arguments, expected) in bad {
            XCTAssertThrowsError(try RunSettings(childArguments: arguments), "\(arguments)") { error in
                XCTAssertTrue("\(error)".contains(expected), "\(arguments): \(error)")
            }
        }
    }

    func testTheChildResultRoundTripsEveryField() throws {
        let metrics = [RunMetric("ns_per_op", 325, "ns", .lower), RunMetric("ops_per_sec", 3_076_200.5, "ops/s", .higher),
                       RunMetric("cpu_utilisation", 0.1 + 0.2, "ratio", .none), RunMetric("tiny", Double.leastNonzeroMagnitude, "", .none),
                       RunMetric("huge", 1.7976931348623157e308, "bytes", .lower)]
        let results = [
            ChildResult(status: .ok, workload: "chan-pingpong", engine: "swift", ops: 200_000, metrics: metrics),
            ChildResult(status: .ok, metrics: [RunMetric("x", -0.5, "%", .higher)]),
            ChildResult(status: .notApplicable, workload: "w", engine: "go", reason: #"no NUMA: "quoted", ünï, a\b, {"json":1}"#),
            ChildResult(status: .error, workload: "w", engine: "swift-concurrency", error: "bad parameter n=x,y"),
        ]
        for result in results {
            let line = result.line
            XCTAssertFalse(line.contains("\n"), line)
            XCTAssertEqual(try ChildResult.parse(line).get(), result, line)
        }
        // A value that is not finite is written as 0.
        let infinite = ChildResult(status: .ok, metrics: [RunMetric("x", .infinity, "", .lower)])
        XCTAssertEqual(try ChildResult.parse(infinite.line).get().metrics.first?.value, 0)
        // A reason with a line break is escaped by the encoder, and refused by the decoder.
        let broken = ChildResult(status: .error, error: "two\nlines")
        XCTAssertFalse(broken.line.contains("\n"))
        guard case .failure(let problem) = ChildResult.parse(broken.line) else { return XCTFail("a control character was accepted") }
        XCTAssertTrue(problem.description.contains("control character"), problem.description)
    }

    func testTheGoPeerLineFormatIsRead() throws {
        // As peers/go/result.go writes it with encoding/json.
        let line = #"{"gobench_result":1,"status":"ok","workload":"chan-pingpong","engine":"go","ops":200000,"metrics":[{"name":"ns_per_op","value":312.5,"unit":"ns","direction":"lower"}]}"#
        let result = try ChildResult.parse(line).get()
        XCTAssertEqual(result, ChildResult(status: .ok, workload: "chan-pingpong", engine: "go", ops: 200_000,
                                           metrics: [RunMetric("ns_per_op", 312.5, "ns", .lower)]))
        let error = try ChildResult.parse(#"{"gobench_result":1,"status":"error","workload":"w","engine":"go","error":"-placement \"x\": bad"}"#).get()
        XCTAssertEqual(error.explanation, #"-placement "x": bad"#)
    }

    func testDecodingProblemsNameTheField() {
        let cases: [(String, String)] = [
            (#"{"status":"ok","metrics":[]}"#, "gobench_result"),
            (#"{"gobench_result":1,"status":"fine"}"#, "status is not ok"),
            (#"{"gobench_result":2,"status":"ok"}"#, "gobench_result"),
            (#"{"gobench_result":1,"status":"crashed"}"#, "status is not ok"),
            (#"{"gobench_result":1,"status":"ok","metrics":[{"name":"x","value":"fast"}]}"#, "numeric value"),
            (#"{"gobench_result":1,"status":"ok","metrics":[{"name":"x","value":1,"direction":"up"}]}"#, "direction"),
            (#"{"gobench_result":1,"status":"ok","metrics":{}}"#, "not a list"),
            (#"{"gobench_result":1,"status":"ok"}"#, "no metrics"),
            (#"{"gobench_result":1,"status":"ok","metrics":[{"name":"a b","value":1}]}"#, "metric name"),
            (#"{"gobench_result":1,"status":"ok","metrics":[{"name":"a","value":1,"unit":"m s"}]}"#, "unit"),
            ("[1,2]", "not a JSON object"),
            ("{not json", "not a JSON object"),
            ("", "empty output"),
        ]
        for (line, expected) in cases {
            guard case .failure(let problem) = ChildResult.parse(line) else { XCTFail("accepted \(line)"); continue }
            XCTAssertTrue(problem.description.contains(expected), "\(line): \(problem.description)")
        }
    }
}
