// Short, unit-aware labels for values on axes, in tooltips and in tables.
import Foundation

/// Formats a measured value for people: SI prefixes for rates and counts, binary
/// prefixes for bytes, the natural time unit for nanoseconds.
public enum ChartNumberFormat {
    /// `value` with about three significant digits and its unit, e.g. `1.25M ops/s`,
    /// `512 KiB`, `3.4 µs`, `1.08×`.
    public static func format(_ value: Double, unit: String) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        switch unit {
        case "bytes":
            return binary(value) + "B"
        case "ns":
            return duration(nanoseconds: value)
        case "s":
            return duration(nanoseconds: value * 1e9)
        case "ratio", "×":
            return significant(value, digits: 3) + "×"
        case "count", "":
            return si(value)
        default:
            return si(value) + " " + unit
        }
    }

    /// The number alone for an axis tick (the unit goes in the axis label).
    public static func tick(_ value: Double, unit: String) -> String {
        switch unit {
        case "bytes": return binary(value) + "B"
        case "ns": return duration(nanoseconds: value)
        case "s": return duration(nanoseconds: value * 1e9)
        case "ratio", "×": return significant(value, digits: 3) + "×"
        default: return si(value)
        }
    }

    /// `digits` significant digits without trailing zeros; plain notation.
    public static func significant(_ value: Double, digits: Int) -> String {
        if value == 0 { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        let decimals = max(0, digits - 1 - magnitude)
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// 1500 -> "1.5k", 2_000_000 -> "2M"; below 1000 the plain number.
    public static func si(_ value: Double) -> String {
        let prefixes: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, prefix) in prefixes where abs(value) >= scale {
            return significant(value / scale, digits: 3) + prefix
        }
        return significant(value, digits: 3)
    }

    /// 1536 -> "1.5 Ki"; the caller appends "B".
    public static func binary(_ value: Double) -> String {
        let prefixes: [(Double, String)] = [(1_099_511_627_776, "Ti"), (1_073_741_824, "Gi"), (1_048_576, "Mi"),
                                            (1024, "Ki")]
        for (scale, prefix) in prefixes where abs(value) >= scale {
            return significant(value / scale, digits: 3) + " " + prefix
        }
        return significant(value, digits: 3) + " "
    }

    /// 850 -> "850 ns", 1200 -> "1.2 µs", 3.4e6 -> "3.4 ms", 2e9 -> "2 s".
    public static func duration(nanoseconds value: Double) -> String {
        let units: [(Double, String)] = [(1e9, "s"), (1e6, "ms"), (1e3, "µs")]
        for (scale, name) in units where abs(value) >= scale {
            return significant(value / scale, digits: 3) + " " + name
        }
        return significant(value, digits: 3) + " ns"
    }
}
