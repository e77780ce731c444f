// Tune's answer to the container question ("what GOMAXPROCS under this CPU quota?"): the
// measured recommendation beside what Go 1.25+ and uber-go/automaxprocs would choose, the
// measured difference to each with its confidence interval, the throttling each candidate
// caused, and the setting as `export GOMAXPROCS=N` and a Kubernetes container snippet.
// The statistics are TuneAnalysis's (expectedGain: Hodges-Lehmann on the log ratio).
import Foundation

public struct ContainerAnswer: Sendable {
    /// One benchmark's measured difference of the recommendation over another choice.
    public struct Difference: Sendable {
        public var benchmark: String
        public var metric: String
        public var against: String
        public var againstProcs: Int
        /// nil: that choice was not measured, or it is the recommendation itself.
        public var gain: TuneGain?
    }

    /// One candidate's median throttling per run on one benchmark.
    public struct Throttling: Sendable {
        public var benchmark: String
        public var procs: Int
        public var throttledPeriods: Double
        public var throttledMicroseconds: Double
    }

    public var quotaCPUs: Double?
    public var cpus: Int
    public var recommended: Int
    public var goDefault: Int
    public var automaxprocs: Int
    public var differences: [Difference]
    public var throttling: [Throttling]
    /// Per benchmark whose best measured candidate is not the recommendation: that
    /// candidate's gain over the default (tune's test; the default is Go 1.25+'s choice).
    public var bestMeasured: [(benchmark: String, procs: Int, gain: TuneGain?, pValue: Double?, significant: Bool)] = []

    /// Builds the answer from tune's rows and its recommendation; `chosen` is the procs tune
    /// settled on (its overall recommendation, or the default when nothing beat it).
    public static func make(rows: [ResultRow], recommendation: TuneRecommendation, chosen: Int,
                            quotaCPUs: Double?, cpus: Int, confidence: Double = 0.95) -> ContainerAnswer {
        let goDefault = CPUQuotaSetting.goDefaultProcs(affinityCPUs: cpus, quotaCPUs: quotaCPUs)
        let automax = CPUQuotaSetting.automaxprocsProcs(affinityCPUs: cpus, quotaCPUs: quotaCPUs)
        var differences: [Difference] = []
        var throttling: [Throttling] = []
        for w in recommendation.workloads {
            let mine = rows.filter { $0.isSample && $0.workload == w.workload && $0.engine == w.engine
                && $0.params == w.params && $0.scavenge == w.scavenge && $0.placement == "none" }
            func samples(_ procs: Int, _ metric: String) -> [Double] {
                mine.filter { $0.procs == procs && $0.metric == metric }.compactMap(\.value)
            }
            for (label, procs) in [("Go 1.25+ default", goDefault), ("automaxprocs", automax)] {
                var gain: TuneGain? = nil
                let candidate = samples(chosen, w.metric), reference = samples(procs, w.metric)
                if procs != chosen, !candidate.isEmpty, !reference.isEmpty {
                    gain = TuneAnalysis.expectedGain(candidate, over: reference, higherIsBetter: w.direction == "higher",
                                                     confidence: confidence)
                }
                differences.append(Difference(benchmark: w.name, metric: w.metric, against: label, againstProcs: procs, gain: gain))
            }
            for procs in Set(mine.map(\.procs)).sorted() {
                let periods = samples(procs, "nr_throttled"), usec = samples(procs, "throttled_usec")
                guard let p = Statistics.median(periods), let u = Statistics.median(usec) else { continue }
                throttling.append(Throttling(benchmark: w.name, procs: procs, throttledPeriods: p, throttledMicroseconds: u))
            }
        }
        var answer = ContainerAnswer(quotaCPUs: quotaCPUs, cpus: cpus, recommended: chosen, goDefault: goDefault,
                                     automaxprocs: automax, differences: differences, throttling: throttling)
        for w in recommendation.workloads where w.best.procs != chosen && w.defaultCandidate?.procs == goDefault {
            answer.bestMeasured.append((w.name, w.best.procs, w.gainVersusDefault, w.pValueVersusDefault, w.significantlyBetterThanDefault))
        }
        return answer
    }

    public func render() -> String {
        var out = "\ncontainer answer (\(quotaCPUs.map { "CPU quota \(ResultRow.format($0)) CPUs" } ?? "no CPU quota") on \(cpus) CPU\(cpus == 1 ? "" : "s")):\n"
        out += "  measured recommendation: GOMAXPROCS=\(recommended)\n"
        out += "  Go 1.25+ default:        GOMAXPROCS=\(goDefault) (min(CPUs, max(2, ceil(quota))))\n"
        out += "  automaxprocs:            GOMAXPROCS=\(automaxprocs) (min(CPUs, max(1, floor(quota))))\n"
        for d in differences {
            if d.againstProcs == recommended {
                out += "  \(d.benchmark) \(d.metric): the recommendation is the \(d.against) choice\n"
            } else if let g = d.gain {
                out += "  \(d.benchmark) \(d.metric): GOMAXPROCS=\(recommended) vs \(d.against) \(d.againstProcs): \(TuneRecommendation.gainText(g))\n"
            } else {
                out += "  \(d.benchmark) \(d.metric): \(d.against) \(d.againstProcs) was not measured (add it to --procs)\n"
            }
        }
        for b in bestMeasured {
            out += "  \(b.benchmark): the best measured, GOMAXPROCS=\(b.procs), vs Go 1.25+ default \(goDefault): "
            out += b.gain.map(TuneRecommendation.gainText) ?? "unknown"
            if let p = b.pValue { out += ", p=\(ComparisonReport.format(p: p))" }
            out += b.significant ? " (significant; another candidate is best over all benchmarks)\n" : " (not significant)\n"
        }
        if !throttling.isEmpty {
            out += "throttling per candidate (median per run):\n"
            for t in throttling {
                out += "  \(t.benchmark) procs=\(t.procs): \(ResultRow.format(t.throttledPeriods)) throttled periods, "
                    + String(format: "%.1f ms throttled\n", t.throttledMicroseconds / 1000)
            }
        }
        out += "\nexport GOMAXPROCS=\(recommended)\n"
        out += "\n# Kubernetes container spec (paste under the container):\n"
        if let q = quotaCPUs {
            out += "resources:\n  limits:\n    cpu: \"\(Int((q * 1000).rounded()))m\"\n"
        }
        out += "env:\n  - name: GOMAXPROCS\n    value: \"\(recommended)\"\n"
        return out
    }
}
