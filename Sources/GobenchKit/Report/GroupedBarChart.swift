// A grouped bar chart drawn as inline SVG: groups along x, one bar per series in each
// group, with error bars for the confidence interval.
import Foundation

/// One bar: the value, its interval and a tooltip line.
public struct BarValue: Equatable {
    public var value: Double
    public var low: Double?
    public var high: Double?
    public var note: String

    public init(value: Double, low: Double? = nil, high: Double? = nil, note: String = "") {
        self.value = value; self.low = low; self.high = high; self.note = note
    }
}

/// Bars side by side: `values[group][series]`, nil where a series has no value.
public struct GroupedBarChart {
    public var title: String
    public var xLabel: String
    public var groups: [String]
    public var seriesNames: [String]
    public var seriesColors: [String]
    public var values: [[BarValue?]]
    public var yLabel: String
    public var yUnit: String
    public var width: Double
    public var height: Double

    public init(title: String, xLabel: String, groups: [String], seriesNames: [String],
                seriesColors: [String], values: [[BarValue?]], yLabel: String, yUnit: String,
                width: Double = 600, height: Double = 340) {
        self.title = title; self.xLabel = xLabel; self.groups = groups
        self.seriesNames = seriesNames; self.seriesColors = seriesColors; self.values = values
        self.yLabel = yLabel; self.yUnit = yUnit; self.width = width; self.height = height
    }

    public func svg() -> String {
        let legend = seriesNames.enumerated().map {
            ChartLegendEntry(name: $0.element, color: color(series: $0.offset), mark: .bar)
        }
        let frame = ChartFrame(width: width, height: height, title: title, legend: legend)
        let all = values.flatMap { $0.compactMap { $0 } }
            .flatMap { [$0.value, $0.low, $0.high].compactMap { $0 } }.filter(\.isFinite)
        let lower = min(0, all.min() ?? 0), upper = max(0, all.max() ?? 1)
        let tickUnit = yUnit == "bytes" ? LinearScale.binaryTickUnit(forLargest: max(abs(lower), upper)) : 1
        let y = LinearScale(domain: (lower, upper), range: (frame.plotBottom, frame.plotTop),
                            tickUnit: tickUnit).niced()
        let n = ChartFrame.number
        var s = frame.open(chartKind: "bar-chart")
        s += frame.yAxis(scale: y, label: yLabel, unit: yUnit)

        let groupWidth = (frame.plotRight - frame.plotLeft) / Double(max(1, groups.count))
        let barWidth = min(46, groupWidth * 0.8 / Double(max(1, seriesNames.count)))
        let ticks = groups.enumerated().map {
            (frame.plotLeft + groupWidth * (Double($0.offset) + 0.5), $0.element)
        }
        s += frame.xAxis(ticks: ticks, label: xLabel)
        let zero = y.position(of: 0)
        for (g, row) in values.enumerated() where g < groups.count {
            let center = frame.plotLeft + groupWidth * (Double(g) + 0.5)
            let start = center - barWidth * Double(seriesNames.count) / 2
            for (i, bar) in row.enumerated() where i < seriesNames.count {
                guard let bar, bar.value.isFinite else { continue }
                let left = start + barWidth * Double(i) + 1
                let top = y.position(of: bar.value)
                let color = color(series: i)
                s += "<path class=\"bar data-point\" d=\"M\(n(left)) \(n(zero))V\(n(top))h\(n(barWidth - 2))V\(n(zero))Z\" fill=\"\(color)\" fill-opacity=\"0.85\"><title>\(HTMLText.escape(bar.note))</title></path>\n"
                if let low = bar.low, let high = bar.high, low.isFinite, high.isFinite, high > low {
                    let mid = left + (barWidth - 2) / 2
                    s += "<path class=\"ci-bar\" d=\"M\(n(mid)) \(n(y.position(of: high)))V\(n(y.position(of: low)))M\(n(mid - 4)) \(n(y.position(of: high)))h8M\(n(mid - 4)) \(n(y.position(of: low)))h8\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>\n"
                }
            }
        }
        s += "</svg>\n"
        return s
    }

    private func color(series index: Int) -> String {
        index < seriesColors.count ? seriesColors[index] : ChartPalette.color(at: index)
    }
}
