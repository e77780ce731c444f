// A `scavenge` setting ("off", "10ms", "2m") as a point on a chart's x axis, in time order.

/// A `scavenge` setting as an interval, so that settings sort by time with `off` last.
public struct ScavengeAxisValue: Comparable, Hashable {
    public var text: String
    /// nil for `off` or for text that is not a scavenge setting.
    public var intervalNanoseconds: Int64?

    /// Reads `text` with ScavengeSetting's parser, the one that wrote the CSV column.
    public init(_ text: String) {
        self.text = text
        intervalNanoseconds = (try? ScavengeSetting.parse(text))?.intervalNanoseconds
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
