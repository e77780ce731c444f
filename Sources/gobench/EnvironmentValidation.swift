// The parent's environment checked before run, sweep or tune starts a child: a refused
// variable (ChildEnvironment.refused) and a malformed value of a variable the children or
// gobench read are one line and exit 1, not a `crashed` row per rep.
import Foundation
import GobenchKit
import Runtime

enum EnvironmentValidation {
    /// Throws a SettingsError naming the first bad variable of `environment`.
    static func check(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let refusal = ChildEnvironment.refusal(environment) { throw SettingsError(refusal) }
        // GOMAXPROCS: not passed to the children (each run's procs is its own), but a value
        // the Go runtime or ours would reject is a mistake worth naming.
        if let v = environment["GOMAXPROCS"] {
            guard let n = Int(v.trimmingCharacters(in: .whitespaces)), n >= 1, n <= ProcsList.maximum else {
                throw SettingsError("GOMAXPROCS is '\(v.prefix(60))': expected a whole number from 1 to \(ProcsList.maximum) (each run sets its own from --procs)")
            }
        }
        if let v = environment["GOBENCH_SCAVENGE"] {
            do { _ = try ScavengeSetting.parse(v) } catch {
                throw SettingsError("GOBENCH_SCAVENGE is '\(v.prefix(60))': expected off or a duration such as 10ms, 2m (each run sets its own from --scavenge)")
            }
        }
        if let v = environment["GOBENCH_PLACEMENT"] {
            do { _ = try PlacementPolicy(parsing: v) } catch {
                throw SettingsError("GOBENCH_PLACEMENT: \(error) (each run sets its own from --placement)")
            }
        }
        // The swift runtime's own variables, read by its own parser, as the children read them.
        let runtimeNames = ["GOBENCH_MAXSTACK", "GOBENCH_STACK_SIZE", "GOBENCH_STACKGC", "GOBENCH_CONTEXT", "GOBENCH_SCHEDTRACE", "GODEBUG"]
        var runtimeVariables: [String: String] = [:]
        for name in runtimeNames { runtimeVariables[name] = environment[name] }
        var configuration = RuntimeConfiguration(procs: 1)
        do { try configuration.applyEnvironment(runtimeVariables) } catch {
            throw SettingsError("\(error)".replacingOccurrences(of: "runtime: invalid ", with: ""))
        }
        if let v = environment["GOBENCH_INJECT_WORK_PERCENT"], !v.isEmpty {
            guard let n = Int(v), (0...10_000).contains(n) else {
                throw SettingsError("GOBENCH_INJECT_WORK_PERCENT is '\(v.prefix(60))': expected a whole number of percent from 0 to 10000")
            }
        }
        if let v = environment["GOGC"], !v.isEmpty {
            guard v == "off" || Int(v) != nil else {
                throw SettingsError("GOGC is '\(v.prefix(60))': expected off or a whole number (percent)")
            }
        }
        if let v = environment["GOMEMLIMIT"], !v.isEmpty, !isGoByteCount(v) {
            throw SettingsError("GOMEMLIMIT is '\(v.prefix(60))': expected off or a size such as 512MiB, 2GiB (Go's syntax)")
        }
    }

    /// Go's GOMEMLIMIT syntax: `off`, or digits with an optional B, KiB, MiB, GiB or TiB.
    static func isGoByteCount(_ text: String) -> Bool {
        if text == "off" { return true }
        var digits = Substring(text)
        for suffix in ["KiB", "MiB", "GiB", "TiB", "B"] where digits.hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            break
        }
        return !digits.isEmpty && digits.allSatisfy { $0.isASCII && $0.isNumber } && Int64(digits) != nil
    }
}
