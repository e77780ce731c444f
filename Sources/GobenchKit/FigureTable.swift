// The figure table of the README: per workload and GOMAXPROCS, the median of a metric for
// each engine and the swift/go ratio, all from one results file.
import Foundation

public enum FigureTable {
    public struct Row: Equatable {
        public var workload: String
        public var params: String
        public var procs: Int
        /// Median per engine, and the number of samples behind it.
        public var medians: [String: (Double, Int)]
        public static func == (a: Row, b: Row) -> Bool {
            a.workload == b.workload && a.params == b.params && a.procs == b.procs
                && a.medians.mapValues { $0.0 } == b.medians.mapValues { $0.0 }
        }
    }

    /// Rows of `metric` at scavenge `off` (or the only setting) and placement `none`.
    public static func rows(_ rows: [ResultRow], metric: String = "ns_per_op") -> [Row] {
        var samples: [String: [String: [Double]]] = [:] // key -> engine -> values
        var keys: [String: (String, String, Int)] = [:]
        for r in rows where r.isSample && r.metric == metric && r.placement == "none"
            && (r.scavenge == "off" || r.workload == "scavenger-burst") {
            let key = "\(r.workload)\u{1}\(r.params)\u{1}\(r.procs)\u{1}\(r.scavenge)"
            keys[key] = (r.workload, r.params, r.procs)
            samples[key, default: [:]][r.engine, default: []].append(r.value!)
        }
        return keys.keys.sorted { a, b in
            let (wa, pa, na) = keys[a]!, (wb, pb, nb) = keys[b]!
            return (wa, pa, na) < (wb, pb, nb)
        }.map { key in
            let (w, p, n) = keys[key]!
            return Row(workload: w, params: p, procs: n,
                       medians: samples[key]!.mapValues { (Statistics.median($0) ?? 0, $0.count) })
        }
    }

    /// A Markdown table: workload, procs, swift, go, swift-concurrency, swift/go.
    public static func markdown(_ table: [Row], metric: String = "ns_per_op") -> String {
        func fmt(_ v: Double?) -> String {
            guard let v else { return "n/a" }
            if v >= 100 { return String(format: "%.0f", v) }
            if v >= 1 { return String(format: "%.1f", v) }
            return String(format: "%.3g", v)
        }
        let metric = MarkdownText.cell(metric)
        var out = "| workload | GOMAXPROCS | swift \(metric) | go \(metric) | swift-concurrency \(metric) | swift/go |\n"
        out += "|---|---:|---:|---:|---:|---:|\n"
        for r in table {
            let s = r.medians["swift"]?.0, g = r.medians["go"]?.0, c = r.medians["swift-concurrency"]?.0
            let ratio = (s != nil && g != nil && g! > 0) ? String(format: "%.2f", s! / g!) : "n/a"
            let reps = r.medians.values.map(\.1).min() ?? 0
            out += "| \(MarkdownText.cell(r.workload)) | \(r.procs) | \(fmt(s)) | \(fmt(g)) | \(fmt(c)) | \(ratio) |\n"
            _ = reps
        }
        return out
    }
}
