// Summary statistics for benchmark samples: the median, its distribution-free confidence
// interval from order statistics (benchstat's method), and the geometric mean.
import Foundation

/// A confidence interval for the median: two order statistics of the sample.
public struct MedianConfidenceInterval: Equatable, Sendable {
    /// The lower and upper bounds (values of the sample).
    public var lower, upper: Double
    /// The 1-based ranks of the bounds in the sorted sample.
    public var lowerRank, upperRank: Int
    /// The confidence that was asked for, e.g. 0.95.
    public var requestedConfidence: Double
    /// The coverage these ranks actually give (at least `requestedConfidence`).
    public var achievedConfidence: Double
}

/// The median of one cell's samples with its confidence interval.
public struct MedianSummary: Equatable, Sendable {
    public var count: Int
    /// nil when there are no samples.
    public var median: Double?
    /// nil when there are too few samples for the requested confidence (see
    /// `Statistics.minimumSampleCountForMedianInterval`).
    public var interval: MedianConfidenceInterval?
    public var requestedConfidence: Double

    public init(samples: [Double], confidence: Double = 0.95) {
        count = samples.count
        median = Statistics.median(samples)
        interval = Statistics.medianConfidenceInterval(samples, confidence: confidence)
        requestedConfidence = confidence
    }

    /// The larger distance from the median to a bound, in percent of the median, as benchstat
    /// prints it (`± 3%`). nil without an interval or with a zero median.
    public var intervalHalfWidthPercent: Double? {
        guard let m = median, m != 0, let ci = interval else { return nil }
        return max(abs(ci.upper - m), abs(m - ci.lower)) / abs(m) * 100
    }
}

public enum Statistics {
    /// The median: the middle value of the sorted sample, or the mean of the two middle
    /// values when the count is even. nil for an empty sample.
    public static func median(_ samples: [Double]) -> Double? {
        guard !samples.isEmpty else { return nil }
        let s = samples.sorted()
        let mid = s.count / 2
        return s.count % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
    }

    /// A distribution-free confidence interval for the median from order statistics.
    ///
    /// For a continuous distribution with median m and a sorted sample x(1) <= ... <= x(n),
    /// the number of samples below m is Binomial(n, 1/2), so
    /// P(x(k) <= m <= x(n+1-k)) = P(k <= B <= n-k) = 1 - 2 P(B <= k-1).
    /// The interval is the narrowest symmetric pair of ranks whose coverage is at least
    /// `confidence` (benchstat's method). Returns nil when even the full range (k = 1,
    /// coverage 1 - 2^(1-n)) is not enough: fewer than 6 samples for 95%.
    public static func medianConfidenceInterval(_ samples: [Double],
                                                confidence: Double = 0.95) -> MedianConfidenceInterval? {
        let n = samples.count
        guard n > 0, confidence > 0, confidence < 1 else { return nil }
        let sorted = samples.sorted()
        var best: (k: Int, coverage: Double)? = nil
        var k = 1
        var below = 0.0  // P(B <= k - 1), accumulated term by term
        let logHalfN = Double(n) * log(0.5)
        while k <= (n + 1) / 2 {
            below += exp(logChoose(n, k - 1) + logHalfN)
            let coverage = 1 - 2 * below
            if coverage >= confidence - 1e-12 { best = (k, coverage) } else { break }
            k += 1
        }
        guard let b = best else { return nil }
        return MedianConfidenceInterval(lower: sorted[b.k - 1], upper: sorted[n - b.k],
                                        lowerRank: b.k, upperRank: n + 1 - b.k,
                                        requestedConfidence: confidence,
                                        achievedConfidence: min(1, b.coverage))
    }

    /// The smallest sample count for which `medianConfidenceInterval` gives an interval at
    /// `confidence` (6 for 0.95, 8 for 0.99).
    public static func minimumSampleCountForMedianInterval(confidence: Double = 0.95) -> Int {
        var n = 1
        while 1 - pow(0.5, Double(n - 1)) < confidence - 1e-12 { n += 1 }
        return n
    }

    /// The geometric mean, exp(mean(log x)). nil when empty or when a value is not positive.
    public static func geometricMean(_ values: [Double]) -> Double? {
        guard !values.isEmpty, values.allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        return exp(values.reduce(0) { $0 + log($1) } / Double(values.count))
    }

    /// P(B <= k) for B ~ Binomial(n, 1/2), summed in log space so that large n is exact
    /// enough (the terms are C(n, i) / 2^n).
    public static func binomialHalfCDF(_ k: Int, n: Int) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        let logHalfN = Double(n) * log(0.5)
        var total = 0.0
        for i in 0...k {
            total += exp(logChoose(n, i) + logHalfN)
        }
        return min(1, total)
    }

    /// log C(n, k) through lgamma.
    public static func logChoose(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n) + 1) - lgamma(Double(k) + 1) - lgamma(Double(n - k) + 1)
    }

    /// The upper tail of the standard normal distribution, P(Z > z).
    public static func normalSurvival(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// The standard normal quantile: the z with P(Z <= z) = p (Acklam's rational
    /// approximation refined by one Halley step; relative error below 1e-12).
    public static func normalQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "normalQuantile needs 0 < p < 1")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        let low = 0.02425
        var x: Double
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p <= 1 - low {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        }
        // One Halley step against erfc.
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
