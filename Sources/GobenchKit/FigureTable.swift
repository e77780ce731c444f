// The figure table of the README: per workload and GOMAXPROCS, the median of a metric for
// each engine and the swift/go ratio, beside the CPU time per op (`cpu_ns_per_op`) of each
// engine and its ratio, and what the row compares (the catalog's caveats), all from one
// results file.
import Foundation

public enum FigureTable {
    /// The CPU metric shown beside the chosen one.
    public static let cpuMetric = "cpu_ns_per_op"

    public struct Row: Equatable {
        public var workload: String
        public var params: String
        public var procs: Int
        public var scavenge: String
        /// Median of the chosen metric per engine, and the number of samples behind it.
        public var medians: [String: (Double, Int)]
        /// Median of `cpu_ns_per_op` per engine (absent where the file has none).
        public var cpuMedians: [String: (Double, Int)] = [:]
        public static func == (a: Row, b: Row) -> Bool {
            a.workload == b.workload && a.params == b.params && a.procs == b.procs && a.scavenge == b.scavenge
                && a.medians.mapValues { $0.0 } == b.medians.mapValues { $0.0 }
                && a.cpuMedians.mapValues { $0.0 } == b.cpuMedians.mapValues { $0.0 }
        }

        /// What the row compares: "not comparable: ..." when the catalog says the engines'
        /// work differs, else the catalog's caveats (the scavenge=off one on rows at
        /// scavenge off), or "same work" when there is none.
        public var compared: String {
            guard let spec = try? Catalog.workload(named: workload) else { return "not in the catalog" }
            if let reason = spec.notComparable { return "not comparable: \(reason)" }
            var notes: [String] = []
            if let caveat = spec.caveat { notes.append(caveat) }
            if scavenge == "off", let caveat = spec.scavengeOffCaveat { notes.append(caveat) }
            return notes.isEmpty ? "same work" : notes.joined(separator: "; ")
        }

        /// The swift/go ratio of the chosen metric's medians, nil when one is missing.
        public var ratio: Double? { FigureTable.ratio(medians) }
        /// The swift/go ratio of the CPU medians.
        public var cpuRatio: Double? { FigureTable.ratio(cpuMedians) }
    }

    static func ratio(_ medians: [String: (Double, Int)]) -> Double? {
        guard let s = medians["swift"]?.0, let g = medians["go"]?.0, g > 0 else { return nil }
        return s / g
    }

    /// Rows of `metric` at scavenge `off` (or the only setting) and placement `none`, with
    /// the `cpu_ns_per_op` medians of the same cells.
    public static func rows(_ rows: [ResultRow], metric: String = "ns_per_op") -> [Row] {
        func collect(_ name: String) -> [String: [String: [Double]]] {
            var samples: [String: [String: [Double]]] = [:] // key -> engine -> values
            for r in rows where r.isSample && r.metric == name && r.placement == "none"
                && (r.scavenge == "off" || r.workload == "scavenger-burst") {
                samples[key(r), default: [:]][r.engine, default: []].append(r.value!)
            }
            return samples
        }
        func key(_ r: ResultRow) -> String { "\(r.workload)\u{1}\(r.params)\u{1}\(r.procs)\u{1}\(r.scavenge)" }
        var keys: [String: (String, String, Int, String)] = [:]
        for r in rows where r.isSample && r.metric == metric { keys[key(r)] = (r.workload, r.params, r.procs, r.scavenge) }
        let main = collect(metric), cpu = collect(cpuMetric)
        return main.keys.sorted { a, b in
            let (wa, pa, na, sa) = keys[a]!, (wb, pb, nb, sb) = keys[b]!
            return (wa, pa, na, sa) < (wb, pb, nb, sb)
        }.map { k in
            let (w, p, n, s) = keys[k]!
            func medians(_ m: [String: [Double]]?) -> [String: (Double, Int)] {
                (m ?? [:]).mapValues { (Statistics.median($0) ?? 0, $0.count) }
            }
            return Row(workload: w, params: p, procs: n, scavenge: s, medians: medians(main[k]), cpuMedians: medians(cpu[k]))
        }
    }

    static func format(_ v: Double?) -> String {
        guard let v else { return "n/a" }
        if v >= 100 { return String(format: "%.0f", v) }
        if v >= 1 { return String(format: "%.1f", v) }
        return String(format: "%.3g", v)
    }

    /// A Markdown table: workload, procs, the metric per engine, swift/go, the CPU time per
    /// op of swift and go with its swift/go, and what the row compares. A ratio of a
    /// workload the catalog marks not comparable is printed in parentheses.
    public static func markdown(_ table: [Row], metric: String = "ns_per_op") -> String {
        let metric = MarkdownText.cell(metric)
        var out = "| workload | GOMAXPROCS | swift \(metric) | go \(metric) | swift-concurrency \(metric) | swift/go "
            + "| swift \(cpuMetric) | go \(cpuMetric) | cpu swift/go | compared |\n"
        out += "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n"
        for r in table {
            let comparable = (try? Catalog.workload(named: r.workload))?.notComparable == nil
            func ratioText(_ v: Double?) -> String {
                guard let v else { return "n/a" }
                let text = String(format: "%.2f", v)
                return comparable ? text : "(\(text))"
            }
            var name = r.workload
            if let spec = try? Catalog.workload(named: r.workload) {
                // Parameters the row sets apart from the catalog's and the sweep's defaults.
                let set = ((try? WorkloadParameters(canonical: r.params))?.pairs ?? []).filter { pair in
                    pair.value != spec.parameter(named: pair.key)?.defaultValue && pair.value != spec.sweepParameters[pair.key]
                }
                if !set.isEmpty { name += " (" + set.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")" }
            }
            if r.scavenge != "off" { name += " (scavenge \(r.scavenge))" }
            out += "| \(MarkdownText.cell(name)) | \(r.procs) | \(format(r.medians["swift"]?.0)) | \(format(r.medians["go"]?.0)) "
                + "| \(format(r.medians["swift-concurrency"]?.0)) | \(ratioText(r.ratio)) "
                + "| \(format(r.cpuMedians["swift"]?.0)) | \(format(r.cpuMedians["go"]?.0)) | \(ratioText(r.cpuRatio)) "
                + "| \(MarkdownText.cell(r.compared)) |\n"
        }
        return out
    }
}
