// The median of a cell's samples and its confidence interval from order statistics,
// as benchstat computes them; the report's own copy until the shared Statistics lands.
import Foundation

/// The median of one cell's samples with a distribution-free confidence interval.
public struct SampleSummary: Equatable, Sendable {
    public var median: Double
    /// Lower end of the interval (the whole sample's minimum when `confident` is false).
    public var low: Double
    /// Upper end of the interval (the whole sample's maximum when `confident` is false).
    public var high: Double
    public var count: Int
    /// True when the interval reaches the requested confidence; fewer than 6 samples
    /// cannot reach 95 %, and the interval is then the sample's whole range.
    public var confident: Bool

    public init(median: Double, low: Double, high: Double, count: Int, confident: Bool) {
        self.median = median; self.low = low; self.high = high; self.count = count
        self.confident = confident
    }

    /// nil for an empty sample.
    public init?(samples: [Double], confidence: Double = 0.95) {
        let sorted = samples.sorted()
        let n = sorted.count
        guard n > 0 else { return nil }
        median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        count = n
        // The interval [x_(k), x_(n+1-k)] (1-based) covers the median with probability
        // 1 - 2 P(Binomial(n, 1/2) <= k - 1). Take the largest k that still reaches
        // `confidence`, i.e. the narrowest interval that does.
        var best: Int? = nil
        var cumulative = 0.0
        for k in 1...max(1, (n + 1) / 2) {
            cumulative += SampleSummary.binomialHalfProbability(n: n, k: k - 1)
            if 1 - 2 * cumulative >= confidence { best = k } else { break }
        }
        if let k = best {
            low = sorted[k - 1]; high = sorted[n - k]; confident = true
        } else {
            low = sorted[0]; high = sorted[n - 1]; confident = false
        }
    }

    /// P(Binomial(n, 1/2) = k), through logarithms so that large n does not overflow.
    static func binomialHalfProbability(n: Int, k: Int) -> Double {
        guard k >= 0, k <= n else { return 0 }
        let logChoose = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
        return exp(logChoose - Double(n) * log(2.0))
    }
}
