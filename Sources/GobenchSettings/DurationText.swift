// Durations (`500us`, `10ms`, `1.5s`, `2m`, `1h`), the scavenge setting (`off` or a
// duration) and sizes (`64K`, `1G`).

/// Durations written as a number and one unit: `500us`, `10ms`, `1.5s`, `2m`, `1h`.
///
/// Grammar: DIGITS[.DIGITS] or .DIGITS, then UNIT, UNIT one of `ns`, `us`, `µs`, `ms`, `s`,
/// `m`, `h`; surrounding white space is ignored. The arithmetic is Go's time.ParseDuration
/// (the Go peer reads the same text with it): the whole part exactly, the fraction scaled
/// and truncated to whole nanoseconds. The result must be at least 1 ns and below 1e18 ns.
/// The canonical text (`format`) uses the longest unit that divides the duration exactly
/// and reads back as the same number of nanoseconds.
public enum DurationText {
    /// Nanoseconds per unit.
    static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("µs", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000),
        ("m", 60_000_000_000), ("h", 3_600_000_000_000),
    ]

    /// The largest duration plus one: 1e18 ns, about 31 years.
    static let limit: Int64 = 1_000_000_000_000_000_000

    /// The nanoseconds of a positive duration; `what` names the setting in the error.
    public static func nanoseconds(_ text: String, what: String = "duration") throws -> Int64 {
        let trimmed = text.trimmingSettingWhitespace()
        // Longest suffix first, so that `ms` is not read as `m` + `s`.
        let candidates = units.filter { trimmed.hasSuffix($0.suffix) }
            .sorted { $0.suffix.count > $1.suffix.count }
        guard let unit = candidates.first else {
            throw SettingsError("\(what) '\(text)' has no unit (expected a number and one of ns, us, ms, s, m, h, e.g. 10ms)")
        }
        let number = String(trimmed.dropLast(unit.suffix.count))
        if number.contains(where: \.isLetter) {
            throw SettingsError("\(what) '\(text)' has an unknown unit (expected ns, us, ms, s, m or h)")
        }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.contains(where: \.isASCIIDigits),
              parts.allSatisfy({ $0.isEmpty || $0.isASCIIDigits }) else {
            throw SettingsError("\(what) '\(text)': '\(number)' is not a number")
        }
        let tooLong = SettingsError("\(what) '\(text)' is too long")
        // The whole part, exactly.
        var whole: Int64 = 0
        for digit in parts[0].utf8 {
            let (times10, o1) = whole.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw tooLong }
            whole = sum
        }
        var (total, overflow) = whole.multipliedReportingOverflow(by: unit.nanoseconds)
        guard !overflow, total < limit else { throw tooLong }
        // The fraction as Go's leadingFraction: digits while they fit, then scaled.
        if parts.count == 2 {
            var fraction: UInt64 = 0
            var scale = 1.0
            for digit in parts[1].utf8 {
                guard fraction <= (UInt64(Int64.max) - 9) / 10 else { break }
                fraction = fraction * 10 + UInt64(digit - UInt8(ascii: "0"))
                scale *= 10
            }
            (total, overflow) = total.addingReportingOverflow(Int64(Double(fraction) * (Double(unit.nanoseconds) / scale)))
            guard !overflow, total < limit else { throw tooLong }
        }
        guard total >= 1 else { throw SettingsError("\(what) '\(text)' must be longer than zero") }
        return total
    }

    /// Seconds of a positive duration.
    public static func seconds(_ text: String, what: String = "duration") throws -> Double {
        Double(try nanoseconds(text, what: what)) / 1e9
    }

    /// The canonical text: the longest unit that divides the duration (1500ms, 2m, 90s).
    public static func format(nanoseconds: Int64) -> String {
        for (suffix, size) in [("h", Int64(3_600_000_000_000)), ("m", 60_000_000_000),
                               ("s", 1_000_000_000), ("ms", 1_000_000), ("us", 1_000)]
        where nanoseconds % size == 0 {
            return "\(nanoseconds / size)\(suffix)"
        }
        return "\(nanoseconds)ns"
    }

    /// A human duration for progress lines: `45s`, `3m05s`, `1h02m`.
    public static func humanSeconds(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        func twoDigits(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m\(twoDigits(s % 60))s" }
        return "\(s / 3600)h\(twoDigits((s % 3600) / 60))m"
    }
}

/// The scavenge setting: `off`, or the interval at which the scavenger runs.
public struct ScavengeSetting: Hashable, Sendable, CustomStringConvertible {
    /// nil: off.
    public var intervalNanoseconds: Int64?

    public static let off = ScavengeSetting(intervalNanoseconds: nil)

    public init(intervalNanoseconds: Int64?) { self.intervalNanoseconds = intervalNanoseconds }

    /// Canonical text, as written in the CSV: `off`, `10ms`, `2m`.
    public var description: String {
        intervalNanoseconds.map { DurationText.format(nanoseconds: $0) } ?? "off"
    }

    /// `off` or a duration (DurationText); `what` names the setting in the error.
    public static func parse(_ text: String, what: String = "scavenge") throws -> ScavengeSetting {
        let trimmed = text.trimmingSettingWhitespace()
        if trimmed == "off" { return .off }
        return ScavengeSetting(intervalNanoseconds: try DurationText.nanoseconds(trimmed, what: what))
    }

    /// `off,10ms,2m`: order kept, duplicates dropped.
    public static func parseList(_ text: String) throws -> [ScavengeSetting] {
        var result: [ScavengeSetting] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.trimmingSettingWhitespace().isEmpty else {
                throw SettingsError("scavenge list '\(text)' has an empty item")
            }
            let setting = try parse(String(item))
            if !result.contains(setting) { result.append(setting) }
        }
        return result
    }

    public static let sweepDefault: [ScavengeSetting] = [
        .off, ScavengeSetting(intervalNanoseconds: 10_000_000), ScavengeSetting(intervalNanoseconds: 120_000_000_000),
    ]
}

/// Sizes in bytes: a positive whole number with an optional `K`, `M`, `G` or `T` suffix
/// (also `KB` ...; any case; powers of 1024), at most `maximumBytes`: `65536`, `64K`, `1G`.
public enum ByteSize {
    /// The largest size a setting may name: 1 TiB (far beyond any stack, and safe to round
    /// up to pages without overflow).
    public static let maximumBytes = 1 << 40

    /// The bytes of `text`; `what` names the setting in the error.
    public static func bytes(_ text: String, what: String = "size") throws -> Int {
        let trimmed = text.trimmingSettingWhitespace()
        var digits = Substring(trimmed)
        var scale = 1
        for (suffix, s) in [("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("TB", 1 << 40),
                            ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("T", 1 << 40)]
            where trimmed.uppercased().hasSuffix(suffix) {
            digits = digits.dropLast(suffix.count)
            scale = s
            break
        }
        guard digits.isASCIIDigits, let value = Int(digits), value > 0, value <= maximumBytes / scale else {
            throw SettingsError("\(what) '\(text)': expected a positive size up to 1T such as 65536, 64K, 1G")
        }
        return value * scale
    }

    /// The canonical text: the largest suffix that divides the size (64K, 1G, 1000).
    public static func format(bytes: Int) -> String {
        for (suffix, size) in [("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
        where bytes % size == 0 {
            return "\(bytes / size)\(suffix)"
        }
        return "\(bytes)"
    }
}
