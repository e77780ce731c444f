// The Mann-Whitney U test against reference p-values computed once with scipy 1.17.1.
import XCTest
@testable import GobenchKit

final class MannWhitneyTests: XCTestCase {
    /// Each case was computed once with scipy 1.17.1:
    ///   import numpy as np
    ///   from scipy.stats import mannwhitneyu, PermutationMethod
    ///   mannwhitneyu(x, y, method='asymptotic', alternative='two-sided')  -> u, asymptotic
    /// and for `exact`, without ties:
    ///   mannwhitneyu(x, y, method='exact', alternative='two-sided')
    /// and with ties (cases named "ties" and "identical"), because scipy's 'exact' ignores
    /// ties while the exact permutation distribution is what this test computes:
    ///   mannwhitneyu(x, y, method=PermutationMethod(n_resamples=np.inf), alternative='two-sided')
    static let cases: [(name: String, x: [Double], y: [Double], u: Double, exact: Double, asymptotic: Double)] = [
        ("n3 vs n3 separated", [1, 2, 3], [4, 5, 6], 0.0, 0.1, 0.08085559837005224),
        ("n3 vs n4 interleaved", [1.5, 3.2, 4.8], [2.1, 2.9, 5.5, 6.0], 4.0, 0.6285714285714286, 0.5958830905651777),
        ("n4 vs n4 separated", [10, 11, 12, 13], [14, 15, 16, 17], 0.0, 0.02857142857142857, 0.03038282197657749),
        ("n5 vs n5 no ties", [101.2, 99.8, 100.5, 102.3, 98.7], [103.1, 104.6, 99.9, 105.2, 106.0], 3.0, 0.05555555555555555, 0.06010280593886631),
        ("n6 vs n7 no ties", [5.1, 4.9, 5.3, 5.0, 5.2, 4.8], [5.25, 5.4, 5.6, 5.05, 5.7, 5.8, 5.35], 4.0, 0.013986013986013986, 0.01841616057630396),
        ("n8 vs n8 overlap", [12, 15, 11, 18, 14, 13, 16, 17], [19, 21, 14.5, 20, 22, 15.5, 23, 18.5], 7.0, 0.006993006993006993, 0.010081693883859663),
        ("n10 vs n10 shift 20pct", [100, 101, 99, 102, 98, 100.5, 99.5, 101.5, 98.5, 100.2], [120, 121.2, 119, 122.4, 117.6, 120.6, 119.4, 121.8, 118.2, 120.24], 0.0, 1.082508822446903e-05, 0.00018267179110955002),
        ("n12 vs n9", [3.1, 2.7, 3.3, 2.9, 3.0, 3.5, 2.8, 3.2, 3.4, 2.6, 3.6, 2.95], [3.05, 3.7, 3.8, 3.25, 3.9, 4.0, 3.45, 4.1, 3.15], 17.0, 0.00725342768686422, 0.009488247828076448),
        ("n20 vs n20 no ties", (1...20).map { Double($0) }, (1...20).map { Double($0) + 5.5 }, 105.0, 0.009483607191205003, 0.010581211443165648),
        ("n4 vs n4 ties", [1, 2, 2, 3], [2, 3, 4, 5], 2.5, 0.2, 0.1366582477381475),
        ("n5 vs n6 ties", [10, 10, 11, 12, 12], [11, 12, 12, 13, 13, 14], 4.5, 0.07792207792207792, 0.05980900023086612),
        ("n7 vs n7 many ties", [1, 1, 2, 2, 3, 3, 3], [2, 3, 3, 4, 4, 4, 5], 7.0, 0.03205128205128205, 0.024774628065885797),
        ("n3 vs n3 identical", [5, 5, 5], [5, 5, 5], 4.5, 1.0, 1.0),
        ("n10 vs n10 identical samples", (1...10).map { Double($0) }, (1...10).map { Double($0) }, 50.0, 1.0, 1.0),
        ("n8 vs n8 ties", [3, 4, 4, 5, 5, 5, 6, 7], [5, 6, 6, 7, 7, 8, 8, 9], 7.5, 0.009634809634809635, 0.010515245935858907),
        ("n10 vs n10 rounded ties", [100, 101, 100, 102, 101, 103, 100, 101, 102, 104], [101, 102, 103, 103, 104, 102, 105, 103, 104, 102], 20.0, 0.023522916711771202, 0.023125565112180838),
    ]

    func testExactPValuesMatchScipy() throws {
        for c in Self.cases {
            let r = try XCTUnwrap(MannWhitney.test(c.x, c.y, method: .exact), c.name)
            XCTAssertEqual(r.u, c.u, c.name)
            XCTAssertEqual(r.method, .exact, c.name)
            XCTAssertEqual(r.pValue, c.exact, accuracy: 1e-12 + c.exact * 1e-9, c.name)
        }
    }

    func testAsymptoticPValuesMatchScipy() throws {
        for c in Self.cases {
            let r = try XCTUnwrap(MannWhitney.test(c.x, c.y, method: .asymptotic), c.name)
            XCTAssertEqual(r.method, .asymptotic, c.name)
            XCTAssertEqual(r.pValue, c.asymptotic, accuracy: 1e-12 + c.asymptotic * 1e-9, c.name)
        }
    }

    func testAutomaticUsesExactForSmallSamples() throws {
        let r = try XCTUnwrap(MannWhitney.test([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]))
        XCTAssertEqual(r.method, .exact)
        XCTAssertFalse(r.hasTies)
        let big = try XCTUnwrap(MannWhitney.test((0..<60).map(Double.init), (0..<60).map { Double($0) + 0.5 }))
        XCTAssertEqual(big.method, .asymptotic)
        let tied = try XCTUnwrap(MannWhitney.test([1, 1, 2], [2, 3, 3]))
        XCTAssertEqual(tied.method, .exact)
        XCTAssertTrue(tied.hasTies)
    }

    func testTheTestIsSymmetricInItsSamples() throws {
        for c in Self.cases {
            let ab = try XCTUnwrap(MannWhitney.test(c.x, c.y))
            let ba = try XCTUnwrap(MannWhitney.test(c.y, c.x))
            XCTAssertEqual(ab.pValue, ba.pValue, accuracy: 1e-12, c.name)
            XCTAssertEqual(ab.u + ba.u, Double(c.x.count * c.y.count), c.name)
        }
    }

    func testEmptySampleHasNoTest() {
        XCTAssertNil(MannWhitney.test([], [1, 2]))
        XCTAssertNil(MannWhitney.test([1], []))
    }

    func testExactDistributionSumsToOne() {
        for (n1, n2) in [(1, 1), (3, 5), (10, 10), (50, 50)] {
            let d = MannWhitney.exactUDistribution(n1: n1, n2: n2)
            XCTAssertEqual(d.count, n1 * n2 + 1)
            XCTAssertEqual(d.reduce(0, +), 1, accuracy: 1e-9)
        }
        // 2 against 2: U = 0, 1, 2, 2, 3, 4 over the 6 splits.
        let small = MannWhitney.exactUDistribution(n1: 2, n2: 2)
        XCTAssertEqual(small.map { ($0 * 6).rounded() }, [1, 1, 2, 1, 1])
    }

    func testSmallestPossiblePValue() {
        XCTAssertEqual(MannWhitney.smallestPossiblePValue(firstCount: 3, secondCount: 3), 0.1, accuracy: 1e-12)
        XCTAssertEqual(MannWhitney.smallestPossiblePValue(firstCount: 4, secondCount: 4), 2.0 / 70, accuracy: 1e-12)
        XCTAssertEqual(MannWhitney.smallestPossiblePValue(firstCount: 3, secondCount: 4), 2.0 / 35, accuracy: 1e-12)
        XCTAssertEqual(MannWhitney.smallestPossiblePValue(firstCount: 0, secondCount: 4), 1)
    }

    func testHodgesLehmannShiftOfAShiftedSample() throws {
        let x: [Double] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
        let y = x.map { $0 + 5 }
        let s = try XCTUnwrap(MannWhitney.shift(x, y))
        XCTAssertEqual(s.estimate, -5)
        let lower = try XCTUnwrap(s.lower), upper = try XCTUnwrap(s.upper)
        XCTAssertLessThanOrEqual(lower, -5)
        XCTAssertGreaterThanOrEqual(upper, -5)
        // 10 against 10 at 95%: the U quantile cuts 24 of the 100 differences from each end
        // (P(U <= 23) = 0.0216, P(U <= 24) = 0.0262), so the bounds are d(24) and d(77).
        let differences = x.flatMap { a in y.map { a - $0 } }.sorted()
        XCTAssertEqual(lower, differences[23])
        XCTAssertEqual(upper, differences[76])
        // Three a side cannot reach 95%.
        let tiny = try XCTUnwrap(MannWhitney.shift([1, 2, 3], [4, 5, 6]))
        XCTAssertNil(tiny.lower)
        XCTAssertEqual(tiny.estimate, -3)
    }
}

final class MannWhitneyEnumerationTests: XCTestCase {
    /// The exact p-value with ties equals brute-force enumeration of every split of the
    /// pooled sample (the definition of the permutation test), on many small random samples.
    func testExactWithTiesMatchesEnumeration() throws {
        var state: UInt64 = 0x2545F4914F6CDD1D
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(bound))
        }
        for _ in 0..<60 {
            let n1 = 1 + next(6), n2 = 1 + next(6)
            let x = (0..<n1).map { _ in Double(next(4)) }, y = (0..<n2).map { _ in Double(next(4)) }
            let result = try XCTUnwrap(MannWhitney.test(x, y, method: .exact))
            let pooled = x + y
            // Midranks of the pooled sample.
            let sorted = pooled.sorted()
            func midrank(_ v: Double) -> Double {
                let first = sorted.firstIndex(of: v)!, last = sorted.lastIndex(of: v)!
                return Double(first + last + 2) / 2
            }
            let observed = x.map(midrank).reduce(0, +)
            var below = 0, above = 0, total = 0
            for mask in 0..<(1 << pooled.count) where mask.nonzeroBitCount == n1 {
                let sum = (0..<pooled.count).filter { mask & (1 << $0) != 0 }.map { midrank(pooled[$0]) }.reduce(0, +)
                total += 1
                if sum <= observed + 1e-9 { below += 1 }
                if sum >= observed - 1e-9 { above += 1 }
            }
            let expected = min(1, 2 * Double(min(below, above)) / Double(total))
            XCTAssertEqual(result.pValue, expected, accuracy: 1e-12, "x=\(x) y=\(y)")
        }
    }
}
