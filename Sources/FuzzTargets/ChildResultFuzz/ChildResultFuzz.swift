// Fuzzes the child result decoder (ChildResult.parse): an ok result has finite metrics with
// unique names of the protocol's characters and survives a round trip through the child's
// encoder (ChildResult.line); a refusal quotes the line.
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
        switch ChildResult.parse(line) {
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
            let metrics = result.metrics
            require(!metrics.isEmpty, "an ok result has metrics")
            require(Set(metrics.map(\.name)).count == metrics.count, "metric names are unique")
            for metric in metrics {
                require(!metric.name.isEmpty, "a metric has a name")
                require(metric.value.isFinite, "metric \(metric.name) is finite")
                require(!metric.name.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
                        "metric \(metric.name) has no control character")
            }
            // Written back with the child's encoder (ChildResult.line), the line parses to the
            // same result.
            let json = result.line
            guard case .success(let again) = ChildResult.parse(json) else {
                require(false, "the re-written line parses: \(json)")
                return
            }
            // Values compare within 1e-12 relative: Foundation's JSON reader on Linux does not
            // round long decimals correctly (1544246.5444444441 reads back 2 ulps away).
            let same = again.status == .ok && again.metrics.count == metrics.count
                && zip(again.metrics, metrics).allSatisfy { a, b in
                    a.name == b.name && a.unit == b.unit && a.direction == b.direction
                        && abs(a.value - b.value) <= 1e-12 * max(abs(a.value), abs(b.value))
                }
            require(same, "the re-written line gives the same metrics: \(json)")
        }
    }
}
