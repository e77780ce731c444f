// The environment a measured child gets (docs/PROTOCOL.md, "The child's environment"): an
// allow-list of variables that cannot change a result, plus the result-changing variables
// that gobench records in the `env` column of every row. Every other variable of the parent
// is left out, and a few that would change a result without being recordable are refused
// before any child starts.
import Foundation

public struct ChildEnvironment: Equatable, Sendable {
    /// Passed unchanged and not recorded: where things are, the locale, the terminal, what
    /// a crash prints. None of them changes what a run measures.
    public static let allowed: Set<String> = [
        "PATH", "HOME", "TMPDIR", "USER", "LOGNAME", "SHELL", "TERM", "TZ", "LANG", "LANGUAGE",
        "LD_LIBRARY_PATH", "GOTRACEBACK", "SWIFT_BACKTRACE",
    ]
    /// Passed unchanged when their name starts with one of these (the locale's categories).
    public static let allowedPrefixes = ["LC_"]

    /// Not taken from the parent: gobench sets it on every child it starts while it holds a
    /// results file's lock (SweepOwnerTag), and it is not recorded (it names the file and the
    /// sweep, and changes nothing a run measures).
    public static let ownerTag = SweepOwnerTag.variable

    /// Passed and recorded: each changes what the swift runtime (GOBENCH_*, GODEBUG) or the
    /// Go peer's runtime (GOGC, GOMEMLIMIT, GODEBUG) does, so it is a dimension of the run.
    public static let recorded: [String] = [
        "GOBENCH_CONTEXT", "GOBENCH_INJECT_WORK_PERCENT", "GOBENCH_MAXSTACK", "GOBENCH_NO_IMMORTAL",
        "GOBENCH_SCHEDTRACE", "GOBENCH_STACKGC", "GOBENCH_STACK_SIZE", "GOBENCH_TOPOLOGY", "GODEBUG", "GOGC", "GOMEMLIMIT",
    ]

    /// Not passed: each run sets these itself from its own settings (the `procs`, `scavenge`
    /// and `placement` columns). A value in the parent's environment is still checked, so
    /// that a typo is an error rather than silently ignored.
    public static let replacedByRunSettings: [String: String] = [
        "GOMAXPROCS": "--procs", "GOBENCH_SCAVENGE": "--scavenge", "GOBENCH_PLACEMENT": "--placement",
    ]

    /// Refused: they change what a child measures (another allocator, the C library's or
    /// Dispatch's tuning, Swift's hashing) and gobench does not record them.
    public static let refused: Set<String> = [
        "LD_PRELOAD", "LD_AUDIT", "GLIBC_TUNABLES", "SWIFT_DETERMINISTIC_HASHING", "GORACE",
    ]
    public static let refusedPrefixes = ["MALLOC_", "LIBDISPATCH_"]

    /// The variables the child gets.
    public var variables: [String: String]
    /// The recorded ones, canonical: `K=V;K=V` sorted by name; "" for none.
    public var recordedText: String

    public init(variables: [String: String], recordedText: String) {
        self.variables = variables; self.recordedText = recordedText
    }

    /// The environment of the children of a process whose environment is `parent`. The
    /// refused variables are left out (the commands refuse them first: `refusal`).
    public init(parent: [String: String]) {
        var variables: [String: String] = [:]
        var recordedPairs: [(String, String)] = []
        for (name, value) in parent {
            if ChildEnvironment.recorded.contains(name) {
                variables[name] = value
                recordedPairs.append((name, value))
            } else if ChildEnvironment.allowed.contains(name)
                        || ChildEnvironment.allowedPrefixes.contains(where: { name.hasPrefix($0) }) {
                variables[name] = value
            }
        }
        recordedPairs.sort { $0.0 < $1.0 }
        self.init(variables: variables,
                  recordedText: recordedPairs.map { "\($0.0)=\($0.1)" }.joined(separator: ";"))
    }

    /// The environment of this process's children.
    public static var current: ChildEnvironment {
        ChildEnvironment(parent: ProcessInfo.processInfo.environment)
    }

    /// One line naming the first refused variable set in `parent`, or nil: a refused
    /// variable, or a recorded one whose value the `env` column cannot carry.
    public static func refusal(_ parent: [String: String]) -> String? {
        let names = parent.keys.filter { name in
            refused.contains(name) || refusedPrefixes.contains(where: { name.hasPrefix($0) })
        }.sorted()
        if let first = names.first {
            return "\(first) is set: it changes what the children measure and gobench does not record it; unset it (docs/PROTOCOL.md, the child's environment)"
        }
        // The column is `K=V;K=V` on one line: a value with `;` would read as two settings
        // (GODEBUG="x;GOGC=50" and GODEBUG=x with GOGC=50 would record the same text), and
        // a line break would split the row: what the params column may not hold either
        // (WorkloadParameters.forbidden; NUL cannot be in an environment). Unicode scalars,
        // not Characters: a `;` followed by a combining mark is still a separator.
        for name in recorded {
            guard let value = parent[name],
                  let bad = value.unicodeScalars.first(where: WorkloadParameters.forbidden.contains) else { continue }
            let what = bad == ";" ? "';'" : "a line break"
            return "\(name)'s value contains \(what), which the env column (NAME=VALUE;NAME=VALUE, one line) cannot record; set it without one (docs/PROTOCOL.md, the child's environment)"
        }
        return nil
    }
}
