// Renders a ComparisonReport as aligned text (like benchstat), as Markdown for a
// pull-request comment, or as CSV.
import Foundation

/// The output formats of `gobench compare`.
public enum CompareFormat: String, CaseIterable, Sendable {
    case text, markdown, csv
}

public enum CompareRender {
    /// The report in `format`; `baseLabel` and `newLabel` name the two files.
    public static func render(_ report: ComparisonReport, format: CompareFormat,
                              baseLabel: String = "base", newLabel: String = "new") -> String {
        switch format {
        case .text: return text(report, baseLabel: baseLabel, newLabel: newLabel)
        case .markdown: return markdown(report, baseLabel: baseLabel, newLabel: newLabel)
        case .csv: return csv(report)
        }
    }

    // MARK: - Text

    /// Aligned columns grouped by metric, then geometric means, warnings and a summary.
    public static func text(_ report: ComparisonReport, baseLabel: String = "base",
                            newLabel: String = "new") -> String {
        var out = "base: \(baseLabel)\(machineText(report.baseMachines))\n"
        out += "new:  \(newLabel)\(machineText(report.newMachines))\n"
        out += "alpha = \(report.alpha); medians with \(Int((report.confidence * 100).rounded()))% confidence intervals; p from the two-sided Mann-Whitney U test\n"
        out += gateNote(report) + "\n"
        for (metric, cells) in groupedByMetric(report.cells) {
            let unit = cells.first?.unit ?? ""
            out += "\n\(metric)\(unit.isEmpty ? "" : " (\(unit))")\n"
            var table: [[String]] = [["", baseLabel.lastPathComponentForDisplay,
                                      newLabel.lastPathComponentForDisplay, "vs base", "", "verdict"]]
            for c in cells {
                table.append([cellName(c.key), summaryText(c.base, unit: c.unit),
                              summaryText(c.new, unit: c.unit), changeText(c), testText(c),
                              verdictText(c, report)])
            }
            if let g = report.geometricMeans.first(where: { $0.metric == metric }), cells.count > 1 {
                table.append(["geomean", "", "", signedPercent(g.changePercent), "(\(g.cellCount) cells)", ""])
            }
            out += alignedColumns(table, rightAligned: [1, 2, 3])
        }
        if let note = intervalNote(report) { out += "\n\(note)\n" }
        if !report.warnings.isEmpty {
            out += "\nwarnings:\n"
            for w in report.warnings { out += "  - \(w)\n" }
        }
        for f in report.newlyFailing {
            out += "\nREGRESSION: \(f) fails in new but not in base\n"
        }
        out += "\n\(report.summaryLine)\n"
        return out
    }

    // MARK: - Markdown

    /// At most this many unremarkable cells go into the Markdown `<details>` table, so that a
    /// large sweep stays under a pull-request comment's size limit (about 65,000 characters).
    public static let markdownRowLimit = 250

    /// A pull-request comment: a headline, the significant changes in a table, everything
    /// else inside `<details>`, geometric means and warnings.
    public static func markdown(_ report: ComparisonReport, baseLabel: String = "base",
                                newLabel: String = "new") -> String {
        let icon = report.hasRegression ? "❌" : "✅"
        var out = "### \(icon) gobench compare: \(report.summaryLine)\n\n"
        out += "Base `\(baseLabel)`\(machineText(report.baseMachines)), new `\(newLabel)`\(machineText(report.newMachines)). "
        out += "Medians with \(Int((report.confidence * 100).rounded()))% confidence intervals; two-sided Mann-Whitney U test, α = \(report.alpha). \(markdownCell(gateNote(report)))\n\n"
        if !report.newlyFailing.isEmpty {
            out += "**Newly failing (counted as regressions):**\n\n"
            for f in report.newlyFailing { out += "- `\(markdownCell(f.description))`\n" }
            out += "\n"
        }
        let header = "| cell | metric | base | new | change | p | verdict |\n|---|---|--:|--:|--:|--:|---|\n"
        func rows(_ cells: [CellComparison], emphasize: Bool) -> String {
            cells.map { c in
                let change = emphasize && c.isSignificantChange ? "**\(changeText(c))**" : changeText(c)
                return "| \(markdownCell(cellName(c.key))) | \(markdownCell(c.key.metric)) | \(markdownCell(summaryText(c.base, unit: c.unit))) | \(markdownCell(summaryText(c.new, unit: c.unit))) | \(change) | \(markdownCell(testText(c))) | \(verdictIcon(c)) \(markdownCell(verdictText(c, report))) |\n"
            }.joined()
        }
        let significant = report.cells.filter(\.isSignificantChange)
            .sorted { (verdictRank($0), $0.key) < (verdictRank($1), $1.key) }
        let rest = report.cells.filter { !$0.isSignificantChange }
        if significant.isEmpty {
            out += "No significant change beyond the thresholds.\n\n"
        } else {
            out += header + rows(significant, emphasize: true) + "\n"
        }
        if !rest.isEmpty {
            out += "<details><summary>\(rest.count) other cell\(rest.count == 1 ? "" : "s") (not significant or within threshold)</summary>\n\n"
            out += header + rows(Array(rest.prefix(markdownRowLimit)), emphasize: false)
            if rest.count > markdownRowLimit {
                out += "\n\(rest.count - markdownRowLimit) more cells left out to keep the comment short; run `gobench compare --format csv` for all.\n"
            }
            out += "\n</details>\n\n"
        }
        if !report.geometricMeans.isEmpty {
            out += "<details><summary>Geometric mean of new/base per metric</summary>\n\n| metric | cells | change |\n|---|--:|--:|\n"
            for g in report.geometricMeans {
                out += "| \(markdownCell(g.metric)) | \(g.cellCount) | \(signedPercent(g.changePercent)) |\n"
            }
            out += "\n</details>\n\n"
        }
        if let note = intervalNote(report) { out += "\(note)\n\n" }
        if !report.warnings.isEmpty {
            out += "**Warnings**\n\n"
            for w in report.warnings { out += "- \(markdownCell(w.description))\n" }
            out += "\n"
        }
        return out
    }

    // MARK: - CSV

    /// The columns of the CSV output, one row per compared cell.
    public static let csvColumns = [
        "workload", "engine", "procs", "scavenge", "placement", "params", "metric", "unit",
        "direction", "base_n", "base_median", "base_ci_lower", "base_ci_upper", "new_n",
        "new_median", "new_ci_lower", "new_ci_upper", "change_percent", "p_value", "test",
        "verdict", "threshold_relative_percent", "threshold_absolute", "base_failed_runs",
        "new_failed_runs", "env", "gating", "gate_p", "gate_q", "bimodal",
    ]

    public static func csv(_ report: ComparisonReport) -> String {
        var out = CSVRecordWriter.line(csvColumns)
        func number(_ v: Double?) -> String { v.map { ResultRow.format($0) } ?? "" }
        for c in report.cells {
            out += CSVRecordWriter.line([
                c.key.workload, c.key.engine, String(c.key.procs), c.key.scavenge, c.key.placement,
                c.key.params, c.key.metric, c.unit, c.direction,
                String(c.base.count), number(c.base.median), number(c.base.interval?.lower),
                number(c.base.interval?.upper),
                String(c.new.count), number(c.new.median), number(c.new.interval?.lower),
                number(c.new.interval?.upper),
                number(c.changePercent), number(c.test?.pValue), c.test?.method.rawValue ?? "",
                c.verdict.rawValue, number(c.threshold.relativePercent), number(c.threshold.absolute),
                String(c.baseFailedRuns), String(c.newFailedRuns), c.key.env,
                c.gating ? "1" : "0", number(c.gating ? c.gateEstimate?.pValue : nil), number(c.adjustedP),
                c.bimodal ? "1" : "0",
            ])
        }
        return out
    }

    // MARK: - Pieces

    /// Explains `± ∞` when some median has no confidence interval.
    static func intervalNote(_ report: ComparisonReport) -> String? {
        guard report.cells.contains(where: { $0.base.interval == nil || $0.new.interval == nil }) else { return nil }
        let needed = Statistics.minimumSampleCountForMedianInterval(confidence: report.confidence)
        return "± ∞: fewer than \(needed) samples, too few for a \(Int((report.confidence * 100).rounded()))% confidence interval of the median."
    }

    static func groupedByMetric(_ cells: [CellComparison]) -> [(String, [CellComparison])] {
        var order: [String] = []
        var groups: [String: [CellComparison]] = [:]
        for c in cells {
            if groups[c.key.metric] == nil { order.append(c.key.metric) }
            groups[c.key.metric, default: []].append(c)
        }
        return order.sorted().map { ($0, groups[$0]!) }
    }

    /// The cell without its metric; settings at their usual values are left out.
    static func cellName(_ key: CellKey) -> String {
        var s = "\(key.workload) \(key.engine) procs=\(key.procs)"
        if key.scavenge != "off" && !key.scavenge.isEmpty { s += " scavenge=\(key.scavenge)" }
        if key.placement != "none" && !key.placement.isEmpty { s += " placement=\(key.placement)" }
        if !key.params.isEmpty { s += " [\(key.params)]" }
        return s
    }

    static func summaryText(_ s: MedianSummary, unit: String) -> String {
        guard let m = s.median else { return "-" }
        var t = ValueFormat.string(m, unit: unit)
        if let h = s.intervalHalfWidthPercent {
            t += " ± " + (h < 1 && h > 0 ? "\(String(format: "%.1f", h))%" : "\(Int(h.rounded()))%")
        } else {
            t += " ± ∞"  // too few samples for the interval, as benchstat prints it
        }
        return t
    }

    static func changeText(_ c: CellComparison) -> String {
        if c.verdict == .insignificant { return "~" }
        guard let p = c.changePercent else { return "?" }
        return signedPercent(p)
    }

    /// Gating cells: `(q=... n=5+5)`, the adjusted p of the gate; others: the Mann-Whitney p.
    static func testText(_ c: CellComparison) -> String {
        guard let t = c.test else { return "" }
        if c.gating, let q = c.adjustedP {
            return "(q=\(ComparisonReport.format(p: q)) n=\(t.firstCount)+\(t.secondCount))"
        }
        return "(p=\(ComparisonReport.format(p: t.pValue)) n=\(t.firstCount)+\(t.secondCount))"
    }

    /// The threshold a gating cell had to exceed: its own, raised to the minimum effect.
    static func thresholdText(_ c: CellComparison, _ report: ComparisonReport) -> String {
        guard c.gating, report.gate.minEffectPercent > c.threshold.relativePercent else { return c.threshold.summary }
        return Threshold(workload: "*", metric: "*", relativePercent: report.gate.minEffectPercent,
                         absolute: c.threshold.absolute).summary + ", the minimum effect"
    }

    static func verdictText(_ c: CellComparison, _ report: ComparisonReport = ComparisonReport(alpha: 0.05, confidence: 0.95, cells: [], warnings: [], geometricMeans: [], newlyFailing: [], baseMachines: [], newMachines: [])) -> String {
        switch c.verdict {
        case .insignificant: return ""
        case .withinThreshold: return "within threshold (\(thresholdText(c, report)))"
        case .regression: return "REGRESSION (threshold \(thresholdText(c, report)))"
        case .improvement: return "improvement"
        case .changed: return "changed (informational)"
        case .worseNotGating: return "worse, not gating (threshold \(c.threshold.summary))"
        case .bimodal: return "BIMODAL, not gated (see warnings)"
        }
    }

    /// How the gate decided, in one paragraph.
    static func gateNote(_ report: ComparisonReport) -> String {
        let gating = report.cells.filter(\.gating).count
        let which = report.gate.gateAllMetrics ? "every metric" : "each workload's primary metric"
        let correction: String
        switch report.gate.correction {
        case .benjaminiHochberg: correction = "Benjamini-Hochberg-adjusted over the \(gating) gating cells"
        case .holm: correction = "Holm-adjusted over the \(gating) gating cells"
        case .none: correction = "not adjusted"
        }
        let drift = report.gate.accountForDrift
            ? (report.cellDriftDeviation > 0
                ? " with the between-files spread of all gating cells' changes (\(String(format: "%.1f", report.cellDriftDeviation * 100))% in log terms) added to each cell's variance"
                : " (no between-files spread beyond the cells' own noise\(gating < GateOptions.minimumCellsForDrift ? ": fewer than \(GateOptions.minimumCellsForDrift) gating cells to estimate it" : ""))")
            : ""
        return "gate: \(gating) cells gate (\(which)); their q is the p of Welch's t-test on the logarithms\(drift), \(correction); a regression needs q < \(report.alpha), a change beyond its threshold and the minimum effect of \(ResultRow.format(report.gate.minEffectPercent))%, and samples that are not bimodal. Other cells show the Mann-Whitney p and never gate."
    }

    static func verdictIcon(_ c: CellComparison) -> String {
        switch c.verdict {
        case .regression: return "❌"
        case .improvement: return "✅"
        case .bimodal: return "⚠️"
        default: return ""
        }
    }

    static func verdictRank(_ c: CellComparison) -> Int {
        switch c.verdict {
        case .regression: return 0
        case .improvement: return 1
        default: return 2
        }
    }

    static func signedPercent(_ p: Double) -> String {
        String(format: "%+.2f%%", p)
    }

    static func machineText(_ machines: [MachineInfo]) -> String {
        machines.isEmpty ? "" : " on " + machines.map(\.summary).joined(separator: "; ")
    }

    /// A Markdown table cell (MarkdownText.cell: pipes, HTML and control characters escaped).
    static func markdownCell(_ s: String) -> String {
        MarkdownText.cell(s)
    }

    /// Left-aligned first column, the listed columns right-aligned, two spaces between.
    static func alignedColumns(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let columnCount = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columnCount)
        for r in rows { for (i, f) in r.enumerated() { widths[i] = max(widths[i], f.count) } }
        return rows.map { r in
            r.enumerated().map { i, f in
                let pad = String(repeating: " ", count: widths[i] - f.count)
                return rightAligned.contains(i) ? pad + f : f + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n") + "\n"
    }
}

/// Human-readable numbers with units: `301.2 ns`, `1.204 ms`, `12.5 MiB`, `3.41 M` (4
/// significant digits).
public enum ValueFormat {
    public static func string(_ v: Double, unit: String) -> String {
        let a = abs(v)
        switch unit {
        case "ns":
            if a >= 1e9 { return significant(v / 1e9) + " s" }
            if a >= 1e6 { return significant(v / 1e6) + " ms" }
            if a >= 1e3 { return significant(v / 1e3) + " µs" }
            return significant(v) + " ns"
        case "s":
            if a >= 1 || a == 0 { return significant(v) + " s" }
            if a >= 1e-3 { return significant(v * 1e3) + " ms" }
            if a >= 1e-6 { return significant(v * 1e6) + " µs" }
            return significant(v * 1e9) + " ns"
        case "bytes":
            let kibi = 1024.0
            if a >= kibi * kibi * kibi { return significant(v / (kibi * kibi * kibi)) + " GiB" }
            if a >= kibi * kibi { return significant(v / (kibi * kibi)) + " MiB" }
            if a >= kibi { return significant(v / kibi) + " KiB" }
            return significant(v) + " B"
        default:
            let name = unit.isEmpty || unit == "count" ? "" : " " + unit
            if a >= 1e9 { return significant(v / 1e9) + " G" + name }
            if a >= 1e6 { return significant(v / 1e6) + " M" + name }
            if a >= 1e4 { return significant(v / 1e3) + " k" + name }
            return significant(v) + name
        }
    }

    /// `v` with 4 significant digits and no exponent, trailing zeros kept off.
    public static func significant(_ v: Double, digits: Int = 4) -> String {
        if v == 0 { return "0" }
        guard v.isFinite else { return "\(v)" }
        let magnitude = Int(floor(log10(abs(v))))
        let decimals = max(0, digits - 1 - magnitude)
        var s = String(format: "%.\(decimals)f", v)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }
}

extension String {
    /// The last path component, for column headers (`results/base.csv` -> `base.csv`).
    var lastPathComponentForDisplay: String {
        split(separator: "/").last.map(String.init) ?? self
    }
}
