// The colours and dash patterns that identify engines and metrics in every chart.

/// One colour per engine, the same in every chart of a report, and a fallback cycle
/// for anything else (placements, metrics). Colours are from the Okabe-Ito palette,
/// which stays distinguishable for the common forms of colour blindness.
public enum ChartPalette {
    public static let engineColors: [String: String] = [
        "swift": "#D55E00",             // vermillion
        "go": "#0072B2",                // blue
        "swift-concurrency": "#009E73", // bluish green
    ]
    public static let cycle = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00",
                               "#56B4E9", "#000000", "#F0E442"]

    public static func color(forEngine engine: String) -> String {
        engineColors[engine] ?? color(at: 3 + abs(engine.hashValueStable) % 5)
    }

    public static func color(at index: Int) -> String { cycle[index % cycle.count] }

    /// Placements get colours no engine uses, so that a bar is never read as an engine:
    /// grey for the first (the baseline, `none`), then sky blue, reddish purple, orange.
    public static let placementCycle = ["#8C8C8C", "#56B4E9", "#CC79A7", "#E69F00", "#000000", "#F0E442"]

    public static func placementColor(at index: Int) -> String {
        placementCycle[index % placementCycle.count]
    }

    /// Dash patterns for lines that share a colour (one per metric).
    public static let dashPatterns: [String?] = [nil, "6 4", "2 3", "8 3 2 3"]

    public static func dashPattern(at index: Int) -> String? {
        dashPatterns[index % dashPatterns.count]
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is seeded per run),
    /// so an unknown engine keeps its colour from one report to the next.
    var hashValueStable: Int {
        var h: UInt32 = 2166136261 // FNV-1a offset basis
        for byte in utf8 { h = (h ^ UInt32(byte)) &* 16777619 }
        return Int(h & 0x7FFF_FFFF)
    }
}
