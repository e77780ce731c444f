// A `scavenge` setting ("off", "10ms", "2m", "1m30s") as a point on a chart's x axis, in time order.
import Foundation

/// A `scavenge` setting as an interval, so that settings sort by time with `off` last.
public struct ScavengeAxisValue: Comparable, Hashable {
    public var text: String
    /// nil for `off` or for text that is not a duration.
    public var intervalNanoseconds: Double?

    public init(_ text: String) {
        self.text = text
        intervalNanoseconds = ScavengeAxisValue.parseDurationNanoseconds(text)
    }

    /// Go's duration syntax: one or more number-unit pairs (`ns`, `us`, `µs`, `ms`, `s`,
    /// `m`, `h`). Returns nil for `off` and anything else.
    public static func parseDurationNanoseconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6),
                                         ("s", 1e9), ("m", 60e9), ("h", 3600e9)]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        if text == "0" { return 0 }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !($0.isNumber || $0 == ".") }
            // The longest unit that matches ("ms" before "m").
            guard let unit = units.filter({ unitText == $0.0 }).first else { return nil }
            total += value * unit.1
            rest = rest.dropFirst(unitText.count)
        }
        return total
    }

    /// Durations by length, then `off`, then anything unparsed by its text.
    public static func < (a: ScavengeAxisValue, b: ScavengeAxisValue) -> Bool {
        switch (a.intervalNanoseconds, b.intervalNanoseconds) {
        case let (x?, y?): return x != y ? x < y : a.text < b.text
        case (_?, nil): return true
        case (nil, _?): return false
        case (nil, nil):
            let aOff = a.text == "off", bOff = b.text == "off"
            if aOff != bOff { return aOff }
            return a.text < b.text
        }
    }
}
