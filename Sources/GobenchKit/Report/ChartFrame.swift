// The parts every chart shares: the outer SVG element, title, legend, plot area, y axis.
import Foundation

/// One entry of a chart's legend.
public struct ChartLegendEntry: Equatable {
    public enum Mark: Equatable { case line(dashPattern: String?), bar }
    public var name: String
    public var color: String
    public var mark: Mark

    public init(name: String, color: String, mark: Mark) {
        self.name = name; self.color = color; self.mark = mark
    }
}

/// The layout of a chart: where the title, the legend and the plot area go. Sizes are
/// in SVG user units (pixels at 100 % zoom).
struct ChartFrame {
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
    /// Rough width of one character of the 11 px legend font, for wrapping the legend.
    static let legendCharacterWidth = 6.3

    let width: Double
    let height: Double
    let title: String
    let legend: [ChartLegendEntry]
    let plotLeft: Double
    let plotRight: Double
    let plotTop: Double
    let plotBottom: Double
    /// Legend items with their positions, computed once.
    let legendPlacements: [(entry: ChartLegendEntry, x: Double, y: Double)]

    init(width: Double, height: Double, title: String, legend: [ChartLegendEntry]) {
        self.width = width; self.height = height; self.title = title; self.legend = legend
        plotLeft = 70
        plotRight = width - 18
        var placements: [(ChartLegendEntry, Double, Double)] = []
        var x = plotLeft
        var y = 42.0
        for entry in legend {
            let itemWidth = 26 + Double(entry.name.count) * ChartFrame.legendCharacterWidth + 14
            if x + itemWidth > plotRight, x > plotLeft { x = plotLeft; y += 16 }
            placements.append((entry, x, y))
            x += itemWidth
        }
        legendPlacements = placements
        plotTop = (legend.isEmpty ? 34 : y + 18)
        plotBottom = height - 46
    }

    static func number(_ v: Double) -> String { String(format: "%.1f", v) }

    /// The opening of the SVG element with the title and the legend.
    func open(chartKind: String) -> String {
        let t = HTMLText.escape(title)
        var s = """
        <svg class="chart \(chartKind)" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="\(t)" font-family="\(ChartFrame.fontFamily)" font-size="11">
        <title>\(t)</title>
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#ffffff"/>
        <text x="\(ChartFrame.number(plotLeft))" y="20" font-size="13" font-weight="600" fill="#1a1a1a">\(t)</text>

        """
        for (entry, x, y) in legendPlacements {
            let name = HTMLText.escape(entry.name)
            switch entry.mark {
            case .line(let dash):
                let dashAttribute = dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
                s += "<path class=\"legend-mark\" d=\"M\(ChartFrame.number(x)) \(ChartFrame.number(y - 4))h20\" stroke=\"\(entry.color)\" stroke-width=\"2.5\"\(dashAttribute) fill=\"none\"/>"
                s += "<circle cx=\"\(ChartFrame.number(x + 10))\" cy=\"\(ChartFrame.number(y - 4))\" r=\"3\" fill=\"\(entry.color)\"/>"
            case .bar:
                s += "<rect class=\"legend-mark\" x=\"\(ChartFrame.number(x + 4))\" y=\"\(ChartFrame.number(y - 10))\" width=\"12\" height=\"12\" fill=\"\(entry.color)\"/>"
            }
            s += "<text x=\"\(ChartFrame.number(x + 26))\" y=\"\(ChartFrame.number(y))\" fill=\"#333\">\(name)</text>\n"
        }
        return s
    }

    /// Horizontal gridlines, tick labels and the rotated label of the y axis.
    func yAxis(scale: ChartScale, label: String, unit: String) -> String {
        var s = "<g class=\"y-axis\">\n"
        for tick in scale.ticks() {
            let y = scale.position(of: tick)
            guard y >= plotTop - 0.5, y <= plotBottom + 0.5 else { continue }
            s += "<path d=\"M\(ChartFrame.number(plotLeft)) \(ChartFrame.number(y))H\(ChartFrame.number(plotRight))\" stroke=\"#e3e3e3\" stroke-width=\"1\"/>"
            s += "<text x=\"\(ChartFrame.number(plotLeft - 6))\" y=\"\(ChartFrame.number(y + 3.5))\" text-anchor=\"end\" fill=\"#555\">\(HTMLText.escape(ChartNumberFormat.tick(tick, unit: unit)))</text>\n"
        }
        let middle = (plotTop + plotBottom) / 2
        s += "<text x=\"14\" y=\"\(ChartFrame.number(middle))\" transform=\"rotate(-90 14 \(ChartFrame.number(middle)))\" text-anchor=\"middle\" fill=\"#333\">\(HTMLText.escape(label))</text>\n"
        s += "<path d=\"M\(ChartFrame.number(plotLeft)) \(ChartFrame.number(plotTop))V\(ChartFrame.number(plotBottom))\" stroke=\"#888\" stroke-width=\"1\"/>\n"
        s += "</g>\n"
        return s
    }

    /// The x axis line, ticks at the given positions with their labels, and the axis label.
    func xAxis(ticks: [(position: Double, label: String)], label: String) -> String {
        var s = "<g class=\"x-axis\">\n"
        s += "<path d=\"M\(ChartFrame.number(plotLeft)) \(ChartFrame.number(plotBottom))H\(ChartFrame.number(plotRight))\" stroke=\"#888\" stroke-width=\"1\"/>\n"
        for tick in ticks {
            s += "<path d=\"M\(ChartFrame.number(tick.position)) \(ChartFrame.number(plotBottom))v5\" stroke=\"#888\" stroke-width=\"1\"/>"
            s += "<text x=\"\(ChartFrame.number(tick.position))\" y=\"\(ChartFrame.number(plotBottom + 17))\" text-anchor=\"middle\" fill=\"#555\">\(HTMLText.escape(tick.label))</text>\n"
        }
        s += "<text x=\"\(ChartFrame.number((plotLeft + plotRight) / 2))\" y=\"\(ChartFrame.number(height - 8))\" text-anchor=\"middle\" fill=\"#333\">\(HTMLText.escape(label))</text>\n"
        s += "</g>\n"
        return s
    }
}
