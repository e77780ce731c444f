// Fuzzes the thresholds file reader: rules are well formed and unique, a rendered table reads
// back to the same rules, errors are one line that names the source.
import Foundation
import FuzzSupport
import GobenchKit

@main
enum ThresholdsFuzz {
    static let source = "fuzz-thresholds.csv"

    static func main() {
        FuzzDriver.run(name: "thresholds", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        let input = decodedText(bytes)
        let table: ThresholdTable
        do {
            table = try ThresholdTable.parse(input, source: source)
        } catch let error as ThresholdsError {
            require(isOneLine(error.description), "the error is one line: \(error.description)")
            require(error.description.hasPrefix(source + ":"), "the error names the source first: \(error.description)")
            return
        } catch {
            require(false, "parse throws only ThresholdsError, threw \(error)")
            return
        }
        var seen = Set<[String]>()
        for rule in table.rules {
            require(!rule.workload.isEmpty && !rule.metric.isEmpty, "workload and metric are not empty")
            require(rule.workload == rule.workload.trimmingCharacters(in: .whitespaces)
                    && rule.metric == rule.metric.trimmingCharacters(in: .whitespaces), "names are trimmed")
            require(rule.relativePercent.isFinite && rule.relativePercent >= 0, "relative_percent is finite and >= 0")
            require(rule.absolute.isFinite && rule.absolute >= 0, "absolute is finite and >= 0")
            require((rule.line ?? 0) >= 1, "a rule knows its line")
            require(seen.insert([rule.workload, rule.metric]).inserted, "one rule per workload and metric")
            // The most specific rule for its own cell is itself (or an equally specific one).
            let found = table.threshold(workload: rule.workload, metric: rule.metric, unit: "ns")
            require(found.specificity >= rule.specificity, "lookup returns a rule at least as specific")
        }
        // A table written back as CSV (names starting with '#' would read as comments: skip).
        if table.rules.contains(where: { $0.workload.hasPrefix("#") }) { return }
        var rendered = ThresholdTable.columns.joined(separator: ",") + "\n"
        for rule in table.rules {
            rendered += [rule.workload, rule.metric, "\(rule.relativePercent)", "\(rule.absolute)"]
                .map(csvField).joined(separator: ",") + "\n"
        }
        do {
            let again = try ThresholdTable.parse(rendered, source: source)
            let strip: (Threshold) -> [String] = { [$0.workload, $0.metric, "\($0.relativePercent)", "\($0.absolute)"] }
            require(again.rules.map(strip) == table.rules.map(strip), "rendered rules read back the same")
        } catch {
            require(false, "rendered rules parse; failed with \(error); rendered: \(rendered.debugDescription)")
        }
    }

    /// RFC 4180 quoting, decided on bytes.
    static func csvField(_ s: String) -> String {
        let special = s.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
        guard special else { return s }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in s.utf8 {
            bytes.append(byte)
            if byte == UInt8(ascii: "\"") { bytes.append(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }
}
