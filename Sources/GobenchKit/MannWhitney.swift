// The two-sided Mann-Whitney U test (exact for small samples, with or without ties; normal
// approximation with tie and continuity corrections otherwise) and the Hodges-Lehmann shift.
import Foundation

/// The outcome of one Mann-Whitney U test.
public struct MannWhitneyResult: Equatable, Sendable {
    public enum Method: String, Equatable, Sendable {
        /// The exact distribution of U (with ties: of the midrank sum over all C(N, n1)
        /// ways to split the pooled sample).
        case exact
        /// The normal approximation with tie correction and continuity correction.
        case asymptotic
    }

    /// U of the first sample: the pairs (x, y) with x > y, plus half the pairs with x == y.
    public var u: Double
    /// Two-sided p-value.
    public var pValue: Double
    public var method: Method
    public var firstCount, secondCount: Int
    /// True when some values occur more than once in the pooled sample.
    public var hasTies: Bool
}

/// A location shift between two samples: the Hodges-Lehmann estimate (the median of all
/// pairwise differences x - y) and its distribution-free confidence interval.
public struct ShiftEstimate: Equatable, Sendable {
    public var estimate: Double
    /// nil when the samples are too small for the requested confidence.
    public var lower, upper: Double?
    public var confidence: Double
}

public enum MannWhitney {
    /// Which distribution to use for the p-value.
    public enum Method: Sendable {
        /// Exact when it is cheap: no ties and both samples of at most `exactLimitWithoutTies`,
        /// or ties and a pooled sample of at most `exactLimitWithTies`; asymptotic otherwise.
        case automatic, exact, asymptotic
    }

    /// Largest sample (each side) for the exact test without ties: the dynamic programme
    /// costs about (n1 n2)^2 / 4 steps, 1.6 million at 50 x 50.
    public static let exactLimitWithoutTies = 50
    /// Largest pooled sample for the exact test with ties: the rank-sum programme costs
    /// about N * n1 * (2 N n1) steps, 6.5 million at N = 60.
    public static let exactLimitWithTies = 60

    /// The two-sided test of `x` against `y`. nil when a sample is empty.
    public static func test(_ x: [Double], _ y: [Double], method: Method = .automatic) -> MannWhitneyResult? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        let ranking = PooledRanking(x, y)
        let u = Double(ranking.doubledRankSumOfFirst) / 2 - Double(n1 * (n1 + 1)) / 2
        let hasTies = ranking.groups.contains { $0.total > 1 }
        let useExact: Bool
        switch method {
        case .exact: useExact = true
        case .asymptotic: useExact = false
        case .automatic:
            useExact = hasTies ? (n1 + n2 <= exactLimitWithTies)
                               : (max(n1, n2) <= exactLimitWithoutTies)
        }
        let p: Double
        if useExact {
            p = hasTies ? exactPValueWithTies(ranking, n1: n1, n2: n2)
                        : exactPValueWithoutTies(u: Int(u.rounded()), n1: n1, n2: n2)
        } else {
            p = asymptoticPValue(u: u, n1: n1, n2: n2, ranking: ranking)
        }
        return MannWhitneyResult(u: u, pValue: min(1, max(0, p)),
                                 method: useExact ? .exact : .asymptotic,
                                 firstCount: n1, secondCount: n2, hasTies: hasTies)
    }

    /// The smallest two-sided p-value samples of these sizes can give: 2 / C(n1 + n2, n1),
    /// reached when the samples do not overlap. Above alpha, no difference can be significant
    /// (3 against 3: 0.1; 4 against 4: 0.029).
    public static func smallestPossiblePValue(firstCount n1: Int, secondCount n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        return min(1, 2 * exp(-Statistics.logChoose(n1 + n2, n1)))
    }

    /// The Hodges-Lehmann shift of `x` relative to `y` and its confidence interval from the
    /// order statistics of the n1 n2 pairwise differences: [d(k), d(n1 n2 + 1 - k)] with k
    /// the largest rank such that P(U < k) <= (1 - confidence) / 2. nil when a sample is empty.
    public static func shift(_ x: [Double], _ y: [Double], confidence: Double = 0.95) -> ShiftEstimate? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        var differences: [Double] = []
        differences.reserveCapacity(n1 * n2)
        for a in x { for b in y { differences.append(a - b) } }
        differences.sort()
        let m = differences.count
        let estimate = m % 2 == 1 ? differences[m / 2]
                                  : (differences[m / 2 - 1] + differences[m / 2]) / 2
        let tail = (1 - confidence) / 2
        var k = 0  // number of differences cut from each end
        if max(n1, n2) <= exactLimitWithoutTies {
            let distribution = exactUDistribution(n1: n1, n2: n2)
            var cumulative = 0.0
            // P(U <= k-1) <= tail: cut k from each end.
            while k < distribution.count, cumulative + distribution[k] <= tail + 1e-12 {
                cumulative += distribution[k]
                k += 1
            }
        } else {
            let mean = Double(n1 * n2) / 2
            let sd = (Double(n1 * n2) * Double(n1 + n2 + 1) / 12).squareRoot()
            k = max(0, Int((mean - Statistics.normalQuantile(1 - tail) * sd).rounded(.down)))
        }
        guard k >= 1, k <= m - k + 1 else {
            return ShiftEstimate(estimate: estimate, lower: nil, upper: nil, confidence: confidence)
        }
        return ShiftEstimate(estimate: estimate, lower: differences[k - 1],
                             upper: differences[m - k], confidence: confidence)
    }

    // MARK: - Ranks

    /// The pooled sample sorted into groups of equal values, with doubled midranks so that
    /// every rank sum is an integer.
    struct PooledRanking {
        struct Group {
            /// first rank + last rank of the group (twice the midrank).
            var doubledMidrank: Int
            var total: Int
            var fromFirst: Int
        }
        var groups: [Group] = []
        var doubledRankSumOfFirst = 0

        init(_ x: [Double], _ y: [Double]) {
            let pooled = (x.map { ($0, true) } + y.map { ($0, false) }).sorted { $0.0 < $1.0 }
            var i = 0
            while i < pooled.count {
                var j = i
                var fromFirst = 0
                while j < pooled.count && pooled[j].0 == pooled[i].0 {
                    if pooled[j].1 { fromFirst += 1 }
                    j += 1
                }
                let doubled = (i + 1) + j  // ranks i+1 ... j
                groups.append(Group(doubledMidrank: doubled, total: j - i, fromFirst: fromFirst))
                doubledRankSumOfFirst += fromFirst * doubled
                i = j
            }
        }
    }

    // MARK: - Exact distributions

    /// P(U = u) for u in 0...n1 n2 without ties, by the recurrence on the largest value:
    /// it belongs to x with probability n1/(n1+n2) and then beats all n2 values of y, so
    /// p(n1, n2, u) = n1/(n1+n2) p(n1-1, n2, u-n2) + n2/(n1+n2) p(n1, n2-1, u).
    static func exactUDistribution(n1: Int, n2: Int) -> [Double] {
        // previous[j] is p(i-1, j, .), current[j] is p(i, j, .).
        var previous: [[Double]] = Array(repeating: [1], count: n2 + 1)
        if n1 == 0 { return previous[n2] }
        for i in 1...n1 {
            var current: [[Double]] = Array(repeating: [], count: n2 + 1)
            current[0] = [1]
            if n2 > 0 {
                for j in 1...n2 {
                    var p = [Double](repeating: 0, count: i * j + 1)
                    let takeX = Double(i) / Double(i + j), takeY = Double(j) / Double(i + j)
                    let fromX = previous[j]      // p(i-1, j, .), support 0...(i-1) j
                    for (u, v) in fromX.enumerated() where v != 0 { p[u + j] += takeX * v }
                    let fromY = current[j - 1]   // p(i, j-1, .), support 0...i (j-1)
                    for (u, v) in fromY.enumerated() where v != 0 { p[u] += takeY * v }
                    current[j] = p
                }
            }
            previous = current
        }
        return previous[n2]
    }

    static func exactPValueWithoutTies(u: Int, n1: Int, n2: Int) -> Double {
        let distribution = exactUDistribution(n1: n1, n2: n2)
        var below = 0.0, above = 0.0
        for (value, p) in distribution.enumerated() {
            if value <= u { below += p }
            if value >= u { above += p }
        }
        return 2 * min(below, above)
    }

    /// The exact permutation p-value with ties: the distribution of the doubled midrank sum
    /// of the first sample over all C(N, n1) equally likely splits, by a knapsack over the
    /// tie groups (taking k of a group of t values has C(t, k) ways). The distribution is
    /// symmetric, so the two-sided p-value is twice the smaller tail.
    static func exactPValueWithTies(_ ranking: PooledRanking, n1: Int, n2: Int) -> Double {
        let maxSum = 2 * (n1 + n2) * n1
        let width = maxSum + 1
        var ways = [Double](repeating: 0, count: (n1 + 1) * width)
        ways[0] = 1
        var taken = 0
        var reach = 0  // largest sum reached so far
        for group in ranking.groups {
            let t = group.total, w = group.doubledMidrank
            var choose = [Double](repeating: 1, count: t + 1)
            if t >= 1 { for k in 1...t { choose[k] = choose[k - 1] * Double(t - k + 1) / Double(k) } }
            let top = min(n1, taken + t)
            for c in stride(from: top, through: 1, by: -1) {
                for k in 1...min(t, c) where c - k <= taken {
                    let from = (c - k) * width, to = c * width, shift = k * w
                    let factor = choose[k]
                    for s in 0...reach where ways[from + s] != 0 {
                        ways[to + s + shift] += factor * ways[from + s]
                    }
                }
            }
            taken += t
            reach = min(maxSum, reach + t * w)
        }
        let row = n1 * width
        var total = 0.0, below = 0.0, above = 0.0
        let observed = ranking.doubledRankSumOfFirst
        for s in 0...maxSum {
            let v = ways[row + s]
            if v == 0 { continue }
            total += v
            if s <= observed { below += v }
            if s >= observed { above += v }
        }
        return 2 * min(below, above) / total
    }

    // MARK: - Normal approximation

    /// scipy's asymptotic method: z = (max(U1, U2) - n1 n2 / 2 - 1/2) / sigma with
    /// sigma^2 = n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))); p = 2 P(Z > z).
    static func asymptoticPValue(u: Double, n1: Int, n2: Int, ranking: PooledRanking) -> Double {
        let n = Double(n1 + n2)
        let product = Double(n1 * n2)
        let tieTerm = ranking.groups.reduce(0.0) { sum, g in
            let t = Double(g.total)
            return sum + (t * t * t - t)
        }
        let variance = product / 12 * ((n + 1) - (n > 1 ? tieTerm / (n * (n - 1)) : 0))
        guard variance > 0 else { return 1 }  // every value equal: no evidence of a difference
        let bigU = max(u, product - u)
        let z = (bigU - product / 2 - 0.5) / variance.squareRoot()
        return 2 * Statistics.normalSurvival(z)
    }
}
