// Welch's t-test on the logarithms of two samples (a ratio of geometric means), Student's t
// distribution, and the Benjamini-Hochberg adjustment: what the compare gate and tune use
// where the Mann-Whitney test cannot reach a small p (5 samples a side give at least 0.008).
import Foundation

/// The difference of mean logarithms between two samples, with its standard error.
public struct LogRatioEstimate: Equatable, Sendable {
    /// mean(log new) - mean(log base): the log of the ratio of geometric means.
    public var logRatio: Double
    /// Its standard error (Welch: each side's own variance).
    public var standardError: Double
    /// Welch-Satterthwaite degrees of freedom.
    public var degreesOfFreedom: Double

    public init(logRatio: Double, standardError: Double, degreesOfFreedom: Double) {
        self.logRatio = logRatio; self.standardError = standardError
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// new / base (ratio of geometric means).
    public var ratio: Double { exp(logRatio) }

    /// Two-sided p of "no difference"; 1 when the standard error is 0 and there is no
    /// difference, 0 when it is 0 and there is one.
    public var pValue: Double {
        guard standardError > 0 else { return logRatio == 0 ? 1 : 0 }
        return 2 * StudentT.survival(abs(logRatio / standardError), degreesOfFreedom: degreesOfFreedom)
    }

    /// The confidence interval of the ratio new/base.
    public func ratioInterval(confidence: Double = 0.95) -> (lower: Double, upper: Double) {
        let t = StudentT.quantile(1 - (1 - confidence) / 2, degreesOfFreedom: degreesOfFreedom)
        return (exp(logRatio - t * standardError), exp(logRatio + t * standardError))
    }

    /// The estimate of the mean of several independent log ratios (equal weights: a geometric
    /// mean over workloads), its standard error and Welch-Satterthwaite degrees of freedom.
    public static func mean(_ parts: [LogRatioEstimate]) -> LogRatioEstimate? {
        guard !parts.isEmpty else { return nil }
        let k = Double(parts.count)
        let logRatio = parts.map(\.logRatio).reduce(0, +) / k
        let variances = parts.map { $0.standardError * $0.standardError / (k * k) }
        let variance = variances.reduce(0, +)
        var denominator = 0.0
        for (v, p) in zip(variances, parts) where p.degreesOfFreedom > 0 { denominator += v * v / p.degreesOfFreedom }
        let df = denominator > 0 ? variance * variance / denominator : parts.map(\.degreesOfFreedom).reduce(0, +)
        return LogRatioEstimate(logRatio: logRatio, standardError: variance.squareRoot(), degreesOfFreedom: df)
    }
}

public enum WelchTest {
    /// The log-ratio estimate of `new` against `base`; nil when a side has fewer than 2
    /// samples or a sample is not positive (a logarithm is needed).
    public static func logRatio(base: [Double], new: [Double]) -> LogRatioEstimate? {
        guard base.count >= 2, new.count >= 2, (base + new).allSatisfy({ $0 > 0 && $0.isFinite }) else { return nil }
        func meanVariance(_ xs: [Double]) -> (Double, Double) {
            let logs = xs.map { Foundation.log($0) }
            let m = logs.reduce(0, +) / Double(logs.count)
            let v = logs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(logs.count - 1)
            return (m, v)
        }
        let (mb, vb) = meanVariance(base), (mn, vn) = meanVariance(new)
        let sb = vb / Double(base.count), sn = vn / Double(new.count)
        let se2 = sb + sn
        var df = Double(base.count + new.count - 2)
        let denominator = sb * sb / Double(base.count - 1) + sn * sn / Double(new.count - 1)
        if denominator > 0 { df = se2 * se2 / denominator }
        return LogRatioEstimate(logRatio: mn - mb, standardError: se2.squareRoot(), degreesOfFreedom: df)
    }

    /// Benjamini-Hochberg adjusted p-values (q-values), in the order of `pValues`: a cell
    /// is a discovery at false discovery rate q when its adjusted p is below q. When every
    /// null hypothesis holds (nothing changed) this also bounds the chance of any false
    /// alarm by q.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let i = order[rank - 1]
            running = min(running, pValues[i] * Double(m) / Double(rank))
            adjusted[i] = min(1, running)
        }
        return adjusted
    }

    /// Holm's step-down adjusted p-values (family-wise error rate), in the order given.
    public static func holm(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 0.0
        for (rank, i) in order.enumerated() {
            running = max(running, min(1, pValues[i] * Double(m - rank)))
            adjusted[i] = running
        }
        return adjusted
    }
}

/// Student's t distribution.
public enum StudentT {
    /// P(T > t) for t >= 0 (and the symmetric value for t < 0).
    public static func survival(_ t: Double, degreesOfFreedom df: Double) -> Double {
        guard df > 0, t.isFinite else { return t.isNaN ? 1 : (t > 0 ? 0 : 1) }
        let x = df / (df + t * t)
        let tail = 0.5 * regularizedIncompleteBeta(x, a: df / 2, b: 0.5)
        return t >= 0 ? tail : 1 - tail
    }

    /// The p-quantile (0 < p < 1), by bisection on the survival function.
    public static func quantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        guard p > 0, p < 1, df > 0 else { return p >= 1 ? .infinity : -.infinity }
        if p < 0.5 { return -quantile(1 - p, degreesOfFreedom: df) }
        var lo = 0.0, hi = 1.0
        while survival(hi, degreesOfFreedom: df) > 1 - p, hi < 1e12 { hi *= 2 }
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if survival(mid, degreesOfFreedom: df) > 1 - p { lo = mid } else { hi = mid }
            if hi - lo < 1e-12 * max(1, hi) { break }
        }
        return (lo + hi) / 2
    }

    /// I_x(a, b) by its continued fraction (Lentz's method).
    static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let front = exp(logGammas + logPowers)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedIncompleteBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var f = d
        for m in 1...300 {
            let md = Double(m)
            var numerator = md * (b - md) * x / ((a + 2 * md - 1) * (a + 2 * md))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; f *= d * c
            numerator = -(a + md) * (a + b + md) * x / ((a + 2 * md) * (a + 2 * md + 1))
            d = 1 + numerator * d; if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            f *= delta
            if abs(delta - 1) < 1e-14 { break }
        }
        return front * f / a
    }
}
