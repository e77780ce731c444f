// Unit tests of the report's SVG builder: scales, ticks, number labels, escaping, charts.
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import GobenchKit

final class ReportChartTests: XCTestCase {
    // MARK: Linear scale

    func testTickStepIsOneTwoOrFiveTimesAPowerOfTen() {
        XCTAssertEqual(LinearScale.tickStep(span: 10, count: 5), 2)
        XCTAssertEqual(LinearScale.tickStep(span: 38, count: 6), 5)
        XCTAssertEqual(LinearScale.tickStep(span: 0.7, count: 5), 0.1, accuracy: 1e-15)
        XCTAssertEqual(LinearScale.tickStep(span: 4_300_000, count: 6), 1_000_000)
        XCTAssertEqual(LinearScale.tickStep(span: 100, count: 1), 100)
    }

    func testTicksAreExactDecimals() {
        let scale = LinearScale(domain: (0, 1), range: (0, 100), tickCountHint: 5)
        XCTAssertEqual(scale.ticks(), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(LinearScale(domain: (0, 0.3), range: (0, 1), tickCountHint: 3).ticks(), [0, 0.1, 0.2, 0.3])
    }

    func testNicedDomainEndsOnTicks() {
        let scale = LinearScale(domain: (3, 97), range: (0, 100)).niced()
        XCTAssertEqual(scale.domain.lower, 0)
        XCTAssertEqual(scale.domain.upper, 100)
        XCTAssertEqual(scale.ticks().first, 0)
        XCTAssertEqual(scale.ticks().last, 100)
    }

    func testPositionMapsDomainOntoAnInvertedRange() {
        let scale = LinearScale(domain: (0, 10), range: (300, 100))
        XCTAssertEqual(scale.position(of: 0), 300)
        XCTAssertEqual(scale.position(of: 10), 100)
        XCTAssertEqual(scale.position(of: 5), 200)
        XCTAssertEqual(scale.position(of: 2.5), 250)
    }

    func testFlatDomainIsWidened() {
        XCTAssertTrue(LinearScale(domain: (5, 5), range: (0, 1)).domain == (0, 10))
        XCTAssertTrue(LinearScale(domain: (0, 0), range: (0, 1)).domain == (0, 1))
        XCTAssertTrue(LinearScale(domain: (-2, -2), range: (0, 1)).domain == (-4, 0))
        XCTAssertTrue(LinearScale(domain: (.nan, 3), range: (0, 1)).domain == (0, 1))
    }

    func testByteTicksAreRoundBinaryMultiples() {
        let mebibyte = 1_048_576.0
        XCTAssertEqual(LinearScale.binaryTickUnit(forLargest: 38 * mebibyte), mebibyte)
        XCTAssertEqual(LinearScale.binaryTickUnit(forLargest: 900), 1)
        XCTAssertEqual(LinearScale.binaryTickUnit(forLargest: 3 * 1_073_741_824), 1_073_741_824)
        let scale = LinearScale(domain: (0, 38 * mebibyte), range: (0, 1), tickUnit: mebibyte).niced()
        XCTAssertEqual(scale.ticks(), stride(from: 0.0, through: 40, by: 5).map { $0 * mebibyte })
        XCTAssertEqual(scale.ticks().map { ChartNumberFormat.tick($0, unit: "bytes") }[1], "5 MiB")
    }

    // MARK: Log scale

    func testLogScaleWidensToDecadesAndTicksOneTwoFive() {
        let scale = LogarithmicScale(domain: (150, 42_000), range: (0, 300))
        XCTAssertEqual(scale.domain.lower, 100, accuracy: 1e-9)
        XCTAssertEqual(scale.domain.upper, 100_000, accuracy: 1e-6)
        XCTAssertEqual(scale.position(of: 1000), 100, accuracy: 1e-9)
        XCTAssertEqual(scale.position(of: 100_000), 300, accuracy: 1e-9)
        let ticks = scale.ticks()
        XCTAssertEqual(ticks.count, 10) // 1, 2, 5 in three decades, and 100000
        XCTAssertEqual(ticks[0], 100, accuracy: 1e-9)
        XCTAssertEqual(ticks[1], 200, accuracy: 1e-9)
        XCTAssertEqual(ticks[2], 500, accuracy: 1e-9)
        XCTAssertFalse(scale.accepts(0))
        XCTAssertFalse(scale.accepts(-1))
        XCTAssertTrue(scale.accepts(1e-3))
    }

    func testLogScaleOverManyDecadesTicksOnlyPowersOfTen() {
        let ticks = LogarithmicScale(domain: (3, 3e7), range: (0, 1)).ticks()
        XCTAssertEqual(ticks.count, 9) // 1 to 1e8
        for (i, t) in ticks.enumerated() { XCTAssertEqual(t, pow(10, Double(i)), accuracy: 1e-6 * t) }
    }

    // MARK: Labels and escaping

    func testNumberLabelsCarryTheirUnit() {
        XCTAssertEqual(ChartNumberFormat.format(1_250_000, unit: "ops/s"), "1.25M ops/s")
        XCTAssertEqual(ChartNumberFormat.format(1536, unit: "bytes"), "1.5 KiB")
        XCTAssertEqual(ChartNumberFormat.format(3400, unit: "ns"), "3.4 µs")
        XCTAssertEqual(ChartNumberFormat.format(850, unit: "ns"), "850 ns")
        XCTAssertEqual(ChartNumberFormat.format(2.5, unit: "s"), "2.5 s")
        XCTAssertEqual(ChartNumberFormat.format(0.774, unit: "ratio"), "0.774×")
        XCTAssertEqual(ChartNumberFormat.format(12, unit: "count"), "12")
        XCTAssertEqual(ChartNumberFormat.format(.nan, unit: "ns"), "n/a")
        XCTAssertEqual(ChartNumberFormat.significant(0.30000000000000004, digits: 3), "0.3")
        XCTAssertEqual(ChartNumberFormat.significant(-0.0001, digits: 1), "-0.0001")
        XCTAssertEqual(ChartNumberFormat.si(999), "999")
        XCTAssertEqual(ChartNumberFormat.si(7_940_000_000), "7.94G")
    }

    func testEscapeReplacesMarkupCharacters() {
        XCTAssertEqual(HTMLText.escape("<a href=\"x\">'&'</a>"),
                       "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        XCTAssertEqual(HTMLText.escape("a\u{0}b\u{7}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd")
        XCTAssertEqual(HTMLText.escape("µs · ✓"), "µs · ✓")
    }

    // MARK: Charts

    private func parseXML(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            var elements: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?,
                        qualifiedName: String?, attributes: [String: String] = [:]) {
                elements.append(attributes["class"].map { "\(name).\($0)" } ?? name)
            }
        }
        let parser = XMLParser(data: Data(text.utf8))
        let collector = Collector()
        parser.delegate = collector
        XCTAssertTrue(parser.parse(), "not well-formed XML: \(String(describing: parser.parserError))", file: file, line: line)
        return collector.elements
    }

    func testLineChartDrawsOnePointPerValueAndIsWellFormed() {
        let chart = LineChart(
            title: "t <&> \"q\"", xLabel: "GOMAXPROCS", xAxis: .numeric(ticks: [1, 2, 4]),
            yLabel: "ops/s", yUnit: "ops/s",
            series: [
                ChartSeries(name: "swift</svg>", color: "#D55E00", points: [
                    ChartPoint(x: 1, y: 10, low: 9, high: 11, note: "<script>"),
                    ChartPoint(x: 2, y: 18, low: 17, high: 19),
                    ChartPoint(x: 4, y: 30, low: 28, high: 31),
                ]),
                ChartSeries(name: "go", color: "#0072B2", points: [ChartPoint(x: 1, y: 12), ChartPoint(x: 4, y: 40)]),
            ])
        let svg = chart.svg()
        let elements = parseXML(svg)
        XCTAssertEqual(elements.filter { $0 == "circle.data-point" }.count, 5)
        XCTAssertEqual(elements.filter { $0 == "path.series-line" }.count, 2)
        XCTAssertEqual(elements.filter { $0 == "path.ci-band" }.count, 1) // only swift has intervals
        XCTAssertEqual(elements.filter { $0 == "path.ci-bar" }.count, 3)
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertFalse(svg.contains("swift</svg>"))
        XCTAssertTrue(svg.contains("swift&lt;/svg&gt;"))
        XCTAssertTrue(svg.contains(">4</text>")) // the x tick at GOMAXPROCS 4
    }

    func testLineChartPlacesPointsWithItsScales() {
        let chart = LineChart(title: "t", xLabel: "x", xAxis: .numeric(ticks: nil), yLabel: "y", yUnit: "count",
                              series: [ChartSeries(name: "s", color: "#000", points: [
                                  ChartPoint(x: 0, y: 0), ChartPoint(x: 10, y: 50), ChartPoint(x: 20, y: 100),
                              ])])
        let frame = ChartFrame(width: chart.width, height: chart.height, title: chart.title,
                               legend: [ChartLegendEntry(name: "s", color: "#000", mark: .line(dashPattern: nil))])
        let x = chart.xScale(frame: frame), y = chart.yScale(frame: frame)
        // The middle point lies halfway between the others on both axes.
        XCTAssertEqual(x.position(of: 10), (x.position(of: 0) + x.position(of: 20)) / 2, accuracy: 1e-9)
        XCTAssertEqual(y.position(of: 50), (y.position(of: 0) + y.position(of: 100)) / 2, accuracy: 1e-9)
        XCTAssertEqual(y.position(of: 0), frame.plotBottom, accuracy: 1e-9)
        XCTAssertEqual(y.position(of: 100), frame.plotTop, accuracy: 1e-9)
        XCTAssertTrue(chart.svg().contains("cx=\"\(ChartFrame.number(x.position(of: 10)))\" cy=\"\(ChartFrame.number(y.position(of: 50)))\""))
    }

    func testLogChartSkipsValuesItCannotPlace() {
        let chart = LineChart(title: "latency", xLabel: "scavenge", xAxis: .categories(names: ["10ms", "off"]),
                              yLabel: "ns", yUnit: "ns", yScaleKind: .logarithmic,
                              series: [ChartSeries(name: "p99", color: "#000", points: [
                                  ChartPoint(x: 0, y: 0), ChartPoint(x: 1, y: 2500),
                              ])])
        let elements = parseXML(chart.svg())
        XCTAssertEqual(elements.filter { $0 == "circle.data-point" }.count, 1)
        XCTAssertTrue(chart.svg().contains(">off</text>"))
    }

    func testGroupedBarsStartAtZeroAndSkipMissingValues() {
        let chart = GroupedBarChart(title: "placements", xLabel: "GOMAXPROCS", groups: ["2", "4"],
                                    seriesNames: ["none", "compact", "spread"], seriesColors: [],
                                    values: [[BarValue(value: 10, low: 9, high: 11), nil, BarValue(value: 12)],
                                             [BarValue(value: 20), BarValue(value: 21), BarValue(value: 19)]],
                                    yLabel: "ops/s", yUnit: "ops/s")
        let svg = chart.svg()
        let elements = parseXML(svg)
        XCTAssertEqual(elements.filter { $0 == "path.bar data-point" }.count, 5)
        XCTAssertEqual(elements.filter { $0 == "path.ci-bar" }.count, 1)
        XCTAssertTrue(svg.contains(">0</text>"))
        XCTAssertTrue(svg.contains(">compact</text>"))
    }

    // MARK: Statistics and settings

    func testMedianIntervalFromOrderStatistics() throws {
        // n = 10: P(B(10, 1/2) <= 1) = 11/1024, so [x(2), x(9)] covers the median with
        // probability 0.979; [x(3), x(8)] only 0.891.
        let s = try XCTUnwrap(SampleSummary(samples: [10, 1, 9, 2, 8, 3, 7, 4, 6, 5]))
        XCTAssertEqual(s.median, 5.5)
        XCTAssertEqual(s.low, 2)
        XCTAssertEqual(s.high, 9)
        XCTAssertTrue(s.confident)
        // n = 5 cannot reach 95 %: the whole range, marked.
        let small = try XCTUnwrap(SampleSummary(samples: [3, 1, 2, 5, 4]))
        XCTAssertEqual(small.median, 3)
        XCTAssertEqual(small.low, 1)
        XCTAssertEqual(small.high, 5)
        XCTAssertFalse(small.confident)
        XCTAssertNil(SampleSummary(samples: []))
        XCTAssertTrue(try XCTUnwrap(SampleSummary(samples: [1, 2, 3, 4, 5, 6])).confident)
    }

    func testScavengeSettingsSortByIntervalWithOffLast() {
        let sorted = ["off", "2m", "10ms", "90s", "100ms", "bogus", "500us"].map(ScavengeAxisValue.init).sorted().map(\.text)
        XCTAssertEqual(sorted, ["500us", "10ms", "100ms", "90s", "2m", "off", "bogus"])
        XCTAssertEqual(ScavengeAxisValue("1500ms").intervalNanoseconds, 1_500_000_000)
        XCTAssertNil(ScavengeAxisValue("off").intervalNanoseconds)
        XCTAssertNil(ScavengeAxisValue("10 parsecs").intervalNanoseconds)
    }
}
