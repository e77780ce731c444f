// Upper bounds on every count and size a user gives, checked before anything is allocated
// from them, so that a huge value is one error line rather than a crash or gigabytes.
import Foundation

public enum Bounds {
    /// Reps per cell (sweep, run, tune).
    public static let maximumReps = 10_000
    /// Warm-up runs of `run`.
    public static let maximumWarmup = 1_000
    /// Runs in one plan (cells x reps), and parameter combinations of one workload.
    public static let maximumRuns = 100_000
    /// The largest integer a workload parameter takes: the Go peer's cap (2^40).
    public static let maximumParameter: Int = 1 << 40
    /// The longest parameter value (a list included).
    public static let maximumParameterLength = 4096

    /// `reps` of `command` in 1...maximumReps.
    public static func checkReps(_ reps: Int) throws {
        guard reps >= 1 else { throw SettingsError("reps must be at least 1") }
        guard reps <= maximumReps else { throw SettingsError("reps \(reps) is more than \(maximumReps)") }
    }

    /// cells x reps at most maximumRuns, without overflow.
    public static func checkPlanSize(cells: Int, reps: Int) throws {
        let (runs, overflow) = cells.multipliedReportingOverflow(by: reps)
        guard !overflow, runs <= maximumRuns else {
            throw SettingsError("\(cells) cells x \(reps) reps is more than \(maximumRuns) runs; narrow the grid or use --shard")
        }
    }

    /// Each item of a `--param` value (`V` or `V1,V2`): not empty, and an integer item at
    /// most 2^40 (parsed here, so that a number too large for Int is refused too).
    public static func checkParameterValues(key: String, value: String) throws {
        guard value.utf8.count <= maximumParameterLength else {
            throw SettingsError("param '\(key)': the value is longer than \(maximumParameterLength) characters")
        }
        for item in value.split(separator: ",", omittingEmptySubsequences: false) {
            let text = item.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else {
                throw SettingsError("param '\(key)=\(value)' has an empty item")
            }
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
            guard let number = Int(text), number <= maximumParameter else {
                throw SettingsError("param '\(key)': \(text) is more than \(maximumParameter) (2^40)")
            }
        }
    }
}
