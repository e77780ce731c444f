// Fuzzes the child result line parser: an ok result has finite, named metrics with a valid
// direction and survives a JSON round trip; a refusal is one line.
import Foundation
import FuzzSupport
import GobenchKit

@main
enum ChildResultFuzz {
    static func main() {
        FuzzDriver.run(name: "child-result", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        // What the runner hands the parser: the child's last non-blank stdout line, trimmed.
        let output = decodedText(bytes)
        let line = output.split(whereSeparator: \.isNewline).last { !$0.allSatisfy(\.isWhitespace) }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        switch ChildResultLine.parse(line) {
        case .failure(let problem):
            require(!problem.description.isEmpty, "a refusal says why")
            // The refusal quotes the line (clipped, control characters escaped); the runner
            // flattens what JSON strings decode to (a "\n" escape in a metric name), so only
            // the quote is checked here.
            let quoted = ChildRunner.escapingControlCharacters(String(line.prefix(77)))
            require(line.isEmpty || problem.description.contains(quoted), "a refusal quotes the line: \(problem.description)")
        case .success(let result):
            require([.ok, .notApplicable, .error].contains(result.status), "a child reports only ok, not_applicable or error")
            guard result.status == .ok else {
                require(result.metrics.isEmpty, "only an ok result carries metrics")
                return
            }
            require(!result.metrics.isEmpty, "an ok result has metrics")
            for metric in result.metrics {
                require(!metric.name.isEmpty, "a metric has a name")
                require(metric.value.isFinite, "metric \(metric.name) is finite")
                require(["lower", "higher", "none"].contains(metric.direction), "metric \(metric.name) has a valid direction")
            }
            // Written back as the protocol's JSON, the line parses to the same result.
            let object: [String: Any] = [
                "gobench_result": 1, "status": "ok",
                "metrics": result.metrics.map { ["name": $0.name, "value": $0.value, "unit": $0.unit, "direction": $0.direction] },
            ]
            guard let data = try? JSONSerialization.data(withJSONObject: object),
                  let json = String(data: data, encoding: .utf8) else {
                require(false, "an ok result can be written as JSON")
                return
            }
            guard case .success(let again) = ChildResultLine.parse(json) else {
                require(false, "the re-written line parses: \(json)")
                return
            }
            // Values compare within 1e-12 relative: Foundation's JSON reader on Linux does not
            // round long decimals correctly (1544246.5444444441 reads back 2 ulps away).
            let same = again.status == .ok && again.metrics.count == result.metrics.count
                && zip(again.metrics, result.metrics).allSatisfy { a, b in
                    a.name == b.name && a.unit == b.unit && a.direction == b.direction
                        && abs(a.value - b.value) <= 1e-12 * max(abs(a.value), abs(b.value))
                }
            require(same, "the re-written line gives the same metrics: \(json)")
        }
    }
}
