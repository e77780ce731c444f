// A line chart drawn as inline SVG: one line per series, with confidence intervals as
// a shaded band and error bars, and a tooltip (<title>) on every data point.
import Foundation

/// One plotted value with its interval and a tooltip line.
public struct ChartPoint: Equatable {
    public var x: Double
    public var y: Double
    public var low: Double?
    public var high: Double?
    /// Shown when the pointer rests on the point.
    public var note: String

    public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil, note: String = "") {
        self.x = x; self.y = y; self.low = low; self.high = high; self.note = note
    }
}

/// One line of a chart.
public struct ChartSeries: Equatable {
    public var name: String
    public var color: String
    public var dashPattern: String?
    public var points: [ChartPoint]

    public init(name: String, color: String, dashPattern: String? = nil, points: [ChartPoint]) {
        self.name = name; self.color = color; self.dashPattern = dashPattern; self.points = points
    }
}

/// What the x axis shows.
public enum ChartXAxis: Equatable {
    /// Numbers; ticks at `ticks` when given (e.g. the GOMAXPROCS values measured),
    /// otherwise nice round ticks.
    case numeric(ticks: [Double]?)
    /// Named, evenly spaced positions; a point's x is the index into `names`.
    case categories(names: [String])
}

/// How the y axis maps values.
public enum ChartYScaleKind: Equatable {
    case linear(includeZero: Bool)
    case logarithmic
}

/// A line chart: series of points against a numeric or categorical x axis.
public struct LineChart {
    public var title: String
    public var xLabel: String
    public var xAxis: ChartXAxis
    public var yLabel: String
    /// The unit of y values, for tick labels (`ops/s`, `bytes`, `ns`, `ratio`).
    public var yUnit: String
    public var yScaleKind: ChartYScaleKind
    public var series: [ChartSeries]
    /// A dashed horizontal line, e.g. at ratio 1.
    public var referenceY: Double?
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, xAxis: ChartXAxis, yLabel: String, yUnit: String,
                yScaleKind: ChartYScaleKind = .linear(includeZero: true), series: [ChartSeries],
                referenceY: Double? = nil, width: Double = 600, height: Double = 340) {
        self.title = title; self.xLabel = xLabel; self.xAxis = xAxis; self.yLabel = yLabel
        self.yUnit = yUnit; self.yScaleKind = yScaleKind; self.series = series
        self.referenceY = referenceY; self.width = width; self.height = height
    }

    /// The x scale over the frame's plot area.
    func xScale(frame: ChartFrame) -> LinearScale {
        let inset = 14.0
        let range = (frame.plotLeft + inset, frame.plotRight - inset)
        switch xAxis {
        case .categories(let names):
            return LinearScale(domain: (0, Double(max(0, names.count - 1))), range: range)
        case .numeric:
            let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
            let lower = xs.min() ?? 0, upper = xs.max() ?? 1
            if lower == upper { return LinearScale(domain: (lower - 1, upper + 1), range: range) }
            return LinearScale(domain: (lower, upper), range: range)
        }
    }

    /// The y scale over the frame's plot area, covering every point, interval and the
    /// reference line.
    func yScale(frame: ChartFrame) -> ChartScale {
        var values = series.flatMap { $0.points.flatMap { [$0.y, $0.low, $0.high].compactMap { $0 } } }
        if let r = referenceY { values.append(r) }
        let range = (frame.plotBottom, frame.plotTop)
        switch yScaleKind {
        case .logarithmic:
            let positive = values.filter { $0 > 0 && $0.isFinite }
            return LogarithmicScale(domain: (positive.min() ?? 1, positive.max() ?? 10), range: range)
        case .linear(let includeZero):
            let finite = values.filter(\.isFinite)
            var lower = finite.min() ?? 0, upper = finite.max() ?? 1
            if includeZero { lower = min(lower, 0); upper = max(upper, 0) }
            let tickUnit = yUnit == "bytes" ? LinearScale.binaryTickUnit(forLargest: max(abs(lower), abs(upper))) : 1
            return LinearScale(domain: (lower, upper), range: range, tickUnit: tickUnit).niced()
        }
    }

    public func svg() -> String {
        let legend = series.map {
            ChartLegendEntry(name: $0.name, color: $0.color, mark: .line(dashPattern: $0.dashPattern))
        }
        let frame = ChartFrame(width: width, height: height, title: title, legend: legend)
        let x = xScale(frame: frame)
        let y = yScale(frame: frame)
        let n = ChartFrame.number
        var s = frame.open(chartKind: "line-chart")
        s += frame.yAxis(scale: y, label: yLabel, unit: yUnit)

        var xTicks: [(Double, String)] = []
        switch xAxis {
        case .categories(let names):
            xTicks = names.enumerated().map { (x.position(of: Double($0.offset)), $0.element) }
        case .numeric(let given):
            let values = given ?? x.ticks()
            xTicks = values.filter { $0 >= x.domain.lower && $0 <= x.domain.upper }
                .map { (x.position(of: $0), ChartNumberFormat.significant($0, digits: 4)) }
        }
        s += frame.xAxis(ticks: xTicks, label: xLabel)

        if let r = referenceY, y.accepts(r) {
            s += "<path class=\"reference\" d=\"M\(n(frame.plotLeft)) \(n(y.position(of: r)))H\(n(frame.plotRight))\" stroke=\"#666\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>\n"
        }

        for series in self.series {
            let points = series.points.filter { $0.x.isFinite && y.accepts($0.y) }
                .sorted { $0.x < $1.x }
            guard !points.isEmpty else { continue }
            s += "<g class=\"series\" data-series=\"\(HTMLText.escape(series.name))\">\n"
            // The confidence band: upper edge left to right, lower edge back.
            let banded = points.filter { p in
                p.low.map(y.accepts) == true && p.high.map(y.accepts) == true
            }
            if banded.count >= 2 {
                var d = ""
                for (i, p) in banded.enumerated() {
                    d += (i == 0 ? "M" : "L") + "\(n(x.position(of: p.x))) \(n(y.position(of: p.high!)))"
                }
                for p in banded.reversed() {
                    d += "L\(n(x.position(of: p.x))) \(n(y.position(of: p.low!)))"
                }
                s += "<path class=\"ci-band\" d=\"\(d)Z\" fill=\"\(series.color)\" fill-opacity=\"0.13\" stroke=\"none\"/>\n"
            }
            for p in banded where p.high! > p.low! {
                let px = x.position(of: p.x)
                let top = y.position(of: p.high!), bottom = y.position(of: p.low!)
                s += "<path class=\"ci-bar\" d=\"M\(n(px)) \(n(top))V\(n(bottom))M\(n(px - 4)) \(n(top))h8M\(n(px - 4)) \(n(bottom))h8\" stroke=\"\(series.color)\" stroke-width=\"1.2\" fill=\"none\"/>\n"
            }
            let dash = series.dashPattern.map { " stroke-dasharray=\"\($0)\"" } ?? ""
            let d = points.enumerated().map { (i, p) in
                (i == 0 ? "M" : "L") + "\(n(x.position(of: p.x))) \(n(y.position(of: p.y)))"
            }.joined()
            s += "<path class=\"series-line\" d=\"\(d)\" stroke=\"\(series.color)\" stroke-width=\"2.2\"\(dash) fill=\"none\" stroke-linejoin=\"round\"/>\n"
            for p in points {
                s += "<circle class=\"data-point\" cx=\"\(n(x.position(of: p.x)))\" cy=\"\(n(y.position(of: p.y)))\" r=\"3.6\" fill=\"\(series.color)\" stroke=\"#fff\" stroke-width=\"1\"><title>\(HTMLText.escape(p.note))</title></circle>\n"
            }
            s += "</g>\n"
        }
        s += "</svg>\n"
        return s
    }
}
