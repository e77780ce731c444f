// The default GOMAXPROCS by Go 1.25's rule, with the rule that produced it as text.

/// The number of Ps the runtime starts with, and why.
///
/// Go 1.25+: `min(CPUs in the affinity mask, max(2, ceil(quota / period)))` when a cgroup
/// CPU quota is set, else the CPUs in the affinity mask; a `GOMAXPROCS` environment
/// value wins over both. (Go's floor of 2 keeps a program with a fractional quota from
/// losing all parallelism; it never raises the count above the affinity mask.)
/// Unlike Go, which silently ignores a malformed `GOMAXPROCS`, a value that is not an
/// integer of at least 1 is an error here, so that a benchmark never runs with settings
/// other than the ones asked for. An empty value counts as unset, as in Go.
public struct DefaultProcessorCount: Equatable, Sendable {
    /// The most Ps accepted from `GOMAXPROCS`: far above any machine, low enough that a
    /// typo cannot make the runtime allocate millions of Ps.
    public static let maximumProcessors = 1 << 16

    /// Go's floor for a quota-derived count.
    public static let minimumFromQuota = 2

    public let value: Int
    /// The rule that produced `value`, e.g. `min(affinity 8, max(2, ceil(150000/100000 us))) = 2`.
    public let rule: String

    public init(value: Int, rule: String) {
        self.value = value
        self.rule = rule
    }

    /// Applies the rule. `environmentValue` is the GOMAXPROCS variable's value (nil: unset).
    public static func compute(affinityCPUCount: Int, quota: CgroupQuota?, environmentValue: String?) throws -> DefaultProcessorCount {
        if let text = environmentValue, !text.isEmpty {
            let value = try parseProcessorCount(text, origin: "GOMAXPROCS")
            return DefaultProcessorCount(value: value, rule: "GOMAXPROCS=\(value) from the environment")
        }
        let affinity = max(1, affinityCPUCount)
        guard let quota else {
            return DefaultProcessorCount(value: affinity, rule: "CPUs in the affinity mask = \(affinity) (no cgroup CPU quota)")
        }
        let fromQuota = max(minimumFromQuota, quota.cpuLimitRoundedUp)
        let value = min(affinity, fromQuota)
        let rule = "min(CPUs in the affinity mask \(affinity), max(2, ceil(cgroup \(quota.version.rawValue) quota "
            + "\(quota.quotaMicroseconds)us / period \(quota.periodMicroseconds)us) = \(quota.cpuLimitRoundedUp))) = \(value)"
        return DefaultProcessorCount(value: value, rule: rule)
    }

    /// Parses a processor count given by a user (GOMAXPROCS, --procs): an integer in
    /// 1...maximumProcessors, else an error naming `origin` and the text.
    public static func parseProcessorCount(_ text: String, origin: String) throws -> Int {
        let trimmed = text.trimmingSettingWhitespace()
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(trimmed), value >= 1, value <= maximumProcessors else {
            throw TopologyError.malformedProcessorCount(text: text, origin: origin)
        }
        return value
    }
}
