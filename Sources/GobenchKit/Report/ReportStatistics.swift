// The report's view of a cell's samples: the shared Statistics median and its 95 %
// interval from order statistics, or the sample's range where the interval cannot be had.

/// The median of one cell's samples with the interval the charts draw.
public struct SampleSummary: Equatable, Sendable {
    public var median: Double
    /// Lower end of the interval (the whole sample's minimum when `confident` is false).
    public var low: Double
    /// Upper end of the interval (the whole sample's maximum when `confident` is false).
    public var high: Double
    public var count: Int
    /// True when the interval reaches the requested confidence; fewer than 6 samples
    /// cannot reach 95 %, and the interval is then the sample's whole range, so that a
    /// chart still shows the spread (tables mark it with †).
    public var confident: Bool

    public init(median: Double, low: Double, high: Double, count: Int, confident: Bool) {
        self.median = median; self.low = low; self.high = high; self.count = count
        self.confident = confident
    }

    /// nil for an empty sample.
    public init?(samples: [Double], confidence: Double = 0.95) {
        self.init(MedianSummary(samples: samples, confidence: confidence), samples: samples)
    }

    /// From the shared summary; `samples` gives the range when there is no interval.
    public init?(_ summary: MedianSummary, samples: [Double]? = nil) {
        guard let median = summary.median else { return nil }
        self.median = median
        count = summary.count
        if let interval = summary.interval {
            low = interval.lower; high = interval.upper; confident = true
        } else {
            low = samples?.min() ?? median; high = samples?.max() ?? median; confident = false
        }
    }
}
