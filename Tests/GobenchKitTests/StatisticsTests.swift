// The median, its order-statistics confidence interval and the geometric mean.
import XCTest
@testable import GobenchKit

final class StatisticsTests: XCTestCase {
    func testMedian() {
        XCTAssertNil(Statistics.median([]))
        XCTAssertEqual(Statistics.median([3]), 3)
        XCTAssertEqual(Statistics.median([5, 1, 3]), 3)
        XCTAssertEqual(Statistics.median([4, 1, 3, 2]), 2.5)
    }

    func testConfidenceIntervalNeedsSixSamplesAt95Percent() throws {
        XCTAssertEqual(Statistics.minimumSampleCountForMedianInterval(confidence: 0.95), 6)
        XCTAssertEqual(Statistics.minimumSampleCountForMedianInterval(confidence: 0.99), 8)
        XCTAssertNil(Statistics.medianConfidenceInterval([1, 2, 3, 4, 5]))
        let ci = try XCTUnwrap(Statistics.medianConfidenceInterval([6, 1, 5, 2, 4, 3]))
        XCTAssertEqual(ci.lower, 1)
        XCTAssertEqual(ci.upper, 6)
        // 1 - 2 / 2^6
        XCTAssertEqual(ci.achievedConfidence, 0.96875, accuracy: 1e-12)
    }

    func testConfidenceIntervalRanksFromTheBinomial() throws {
        // n = 10: P(B <= 1) = 11/1024, coverage of [x(2), x(9)] = 1 - 22/1024 = 0.978515625;
        // P(B <= 2) = 56/1024 gives 0.890625 < 0.95, so ranks 2 and 9.
        let values = (1...10).map { Double($0) * 10 }
        let ci = try XCTUnwrap(Statistics.medianConfidenceInterval(values.shuffled()))
        XCTAssertEqual(ci.lowerRank, 2)
        XCTAssertEqual(ci.upperRank, 9)
        XCTAssertEqual(ci.lower, 20)
        XCTAssertEqual(ci.upper, 90)
        XCTAssertEqual(ci.achievedConfidence, 0.978515625, accuracy: 1e-12)
        // n = 20: scipy.stats.binom.cdf(5, 20, 0.5) = 0.020694732666015625 -> ranks 6 and 15
        // (coverage 0.95861), binom.cdf(6, 20, .5) = 0.057659 is too much.
        let twenty = (1...20).map { Double($0) }
        let ci20 = try XCTUnwrap(Statistics.medianConfidenceInterval(twenty))
        XCTAssertEqual(ci20.lowerRank, 6)
        XCTAssertEqual(ci20.upperRank, 15)
        XCTAssertEqual(ci20.achievedConfidence, 1 - 2 * 0.020694732666015625, accuracy: 1e-12)
    }

    func testBinomialCDFAgainstScipy() {
        // scipy.stats.binom.cdf(k, n, 0.5)
        XCTAssertEqual(Statistics.binomialHalfCDF(5, n: 20), 0.020694732666015625, accuracy: 1e-15)
        XCTAssertEqual(Statistics.binomialHalfCDF(40, n: 100), 0.028443966820490395, accuracy: 1e-13)
        XCTAssertEqual(Statistics.binomialHalfCDF(-1, n: 5), 0)
        XCTAssertEqual(Statistics.binomialHalfCDF(5, n: 5), 1)
    }

    func testMedianSummaryHalfWidth() throws {
        let s = MedianSummary(samples: [100, 101, 99, 102, 98, 100, 103, 97, 100, 100])
        XCTAssertEqual(s.count, 10)
        XCTAssertEqual(s.median, 100)
        XCTAssertNotNil(s.interval)
        XCTAssertEqual(try XCTUnwrap(s.intervalHalfWidthPercent), 2, accuracy: 1e-9)
        XCTAssertNil(MedianSummary(samples: [1, 2, 3]).interval)
        XCTAssertNil(MedianSummary(samples: []).median)
    }

    func testGeometricMean() throws {
        XCTAssertEqual(try XCTUnwrap(Statistics.geometricMean([1, 4])), 2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Statistics.geometricMean([2, 8, 4])), 4, accuracy: 1e-12)
        XCTAssertNil(Statistics.geometricMean([]))
        XCTAssertNil(Statistics.geometricMean([1, 0]))
        XCTAssertNil(Statistics.geometricMean([1, -2]))
    }

    func testNormalQuantileAndSurvival() {
        // scipy.stats.norm.ppf(0.975), norm.ppf(0.001), norm.sf(1.0)
        XCTAssertEqual(Statistics.normalQuantile(0.975), 1.959963984540054, accuracy: 1e-9)
        XCTAssertEqual(Statistics.normalQuantile(0.001), -3.090232306167813, accuracy: 1e-9)
        XCTAssertEqual(Statistics.normalSurvival(1), 0.15865525393145707, accuracy: 1e-12)
    }
}
