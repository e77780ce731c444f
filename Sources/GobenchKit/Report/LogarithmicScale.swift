// A base-10 logarithmic scale for values that span orders of magnitude (latencies).
import Foundation

/// A logarithmic mapping from a positive value domain to a pixel range.
public struct LogarithmicScale: ChartScale {
    public private(set) var domain: (lower: Double, upper: Double)
    public var range: (start: Double, end: Double)

    /// The domain is widened to whole decades; values of zero or less are ignored by
    /// the caller (see `accepts`), so a domain that is not positive becomes 1...10.
    public init(domain: (Double, Double), range: (Double, Double)) {
        var (lower, upper) = domain.0 <= domain.1 ? domain : (domain.1, domain.0)
        if !(lower > 0) || !upper.isFinite { (lower, upper) = (1, 10) }
        let lowerDecade = floor(log10(lower))
        var upperDecade = ceil(log10(upper))
        if upperDecade <= lowerDecade { upperDecade = lowerDecade + 1 }
        self.domain = (pow(10, lowerDecade), pow(10, upperDecade))
        self.range = range
    }

    public func position(of value: Double) -> Double {
        let t = (log10(value) - log10(domain.lower)) / (log10(domain.upper) - log10(domain.lower))
        return range.start + t * (range.end - range.start)
    }

    public func accepts(_ value: Double) -> Bool { value > 0 && value.isFinite }

    /// Every decade; with three decades or fewer also 2 and 5 times each decade.
    public func ticks() -> [Double] {
        let lowerDecade = Int(log10(domain.lower).rounded())
        let upperDecade = Int(log10(domain.upper).rounded())
        let multipliers: [Double] = upperDecade - lowerDecade <= 3 ? [1, 2, 5] : [1]
        var ticks: [Double] = []
        for decade in lowerDecade...upperDecade {
            for m in multipliers {
                let v = m * pow(10, Double(decade))
                if v <= domain.upper * (1 + 1e-9) { ticks.append(v) }
            }
        }
        return ticks
    }
}
