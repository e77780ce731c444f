// Tune's analysis: from the rows of a sweep over GOMAXPROCS and placement candidates to a
// recommendation per workload and overall, with significance tests and expected gains.
import Foundation

/// One setting tune can recommend.
public struct TuneCandidate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var procs: Int
    public var placement: String

    public init(procs: Int, placement: String) {
        self.procs = procs; self.placement = placement
    }

    public static func < (a: TuneCandidate, b: TuneCandidate) -> Bool {
        (a.procs, a.placement) < (b.procs, b.placement)
    }

    public var description: String { "procs=\(procs) placement=\(placement)" }
}

/// The expected gain of a candidate over another, in percent (positive is better), with a
/// distribution-free confidence interval (Hodges-Lehmann on the log ratio).
public struct TuneGain: Equatable, Sendable {
    public var percent: Double
    /// nil when the samples are too few for the interval.
    public var lowerPercent, upperPercent: Double?
    public var confidence: Double
}

/// One candidate's samples of the primary metric.
public struct TuneCandidateSummary: Equatable, Sendable {
    public var candidate: TuneCandidate
    public var summary: MedianSummary
}

/// The analysis of one benchmark (workload, engine, params, scavenge) across candidates.
public struct WorkloadTuneResult: Equatable, Sendable {
    public var workload, engine, params, scavenge: String
    /// The metric candidates are ranked by (`ns_per_op` when present).
    public var metric, unit, direction: String
    /// All candidates, best first.
    public var ranking: [TuneCandidateSummary]
    public var best: TuneCandidate { ranking[0].candidate }
    public var runnerUp: TuneCandidate? { ranking.count > 1 ? ranking[1].candidate : nil }
    /// Two-sided Mann-Whitney p of the best against the runner-up.
    public var pValueVersusRunnerUp: Double?
    public var significantlyBetterThanRunnerUp: Bool
    /// The default candidate (GOMAXPROCS = default, placement `none` when swept), if swept.
    public var defaultCandidate: TuneCandidate?
    public var pValueVersusDefault: Double?
    public var significantlyBetterThanDefault: Bool
    /// The best candidate's gain over the default; nil without a default.
    public var gainVersusDefault: TuneGain?
    /// Set when the best candidate's procs exceed ceil(CPU quota).
    public var quotaWarning: String?

    /// What to do: the best candidate when it beats the default significantly, else the default.
    public var recommended: TuneCandidate {
        if let d = defaultCandidate, !significantlyBetterThanDefault { return d }
        return best
    }

    public var name: String {
        var s = "\(workload) \(engine)"
        if scavenge != "off" && !scavenge.isEmpty { s += " scavenge=\(scavenge)" }
        if !params.isEmpty { s += " [\(params)]" }
        return s
    }
}

/// A candidate against the default over all benchmarks together: the mean of the
/// per-benchmark log ratios (a geometric mean, lower is better), tested with Welch's t-test.
public struct CombinedEvidence: Equatable, Sendable {
    public var candidate: TuneCandidate
    /// log(candidate / default), averaged over the benchmarks, oriented so that negative is
    /// better (a "higher is better" metric is inverted).
    public var estimate: LogRatioEstimate
    /// Holm-adjusted over the candidates tested against the default.
    public var adjustedP: Double
    public var confidence: Double
    /// The gain over the default in percent (positive is better) and its interval.
    public var gain: TuneGain {
        let (lo, hi) = estimate.ratioInterval(confidence: confidence)
        return TuneGain(percent: (1 - estimate.ratio) * 100, lowerPercent: (1 - hi) * 100,
                        upperPercent: (1 - lo) * 100, confidence: confidence)
    }
}

/// The overall recommendation over all benchmarks.
public struct OverallTuneResult: Equatable, Sendable {
    /// The default, unless another candidate is better on the combined evidence
    /// (significant after Holm's adjustment, positive gain); then the best such candidate.
    public var candidate: TuneCandidate
    /// Per candidate present in every benchmark, the geometric mean of its median over the
    /// reference's median (the default, or each benchmark's best when no default was swept),
    /// with "higher is better" metrics inverted so that lower is always better. Best first.
    public var geometricMeanRatios: [(candidate: TuneCandidate, ratio: Double)]
    /// True when the ratios are relative to the default candidate.
    public var relativeToDefault: Bool
    public var benchmarkCount: Int
    /// The gain of the chosen candidate over the default in percent (nil without a default).
    public var gainPercentVersusDefault: Double?
    public var quotaWarning: String?
    /// Each candidate measured everywhere against the default (empty without a common default).
    public var evidence: [CombinedEvidence] = []
    /// Set when the candidate's procs exceed the CPUs this process may use.
    public var cpuWarning: String? = nil
    /// Why the default stands, or nil when another candidate was chosen.
    public var keptDefaultBecause: String? = nil

    public static func == (a: OverallTuneResult, b: OverallTuneResult) -> Bool {
        a.candidate == b.candidate && a.relativeToDefault == b.relativeToDefault
            && a.evidence == b.evidence && a.cpuWarning == b.cpuWarning
            && a.benchmarkCount == b.benchmarkCount
            && a.gainPercentVersusDefault == b.gainPercentVersusDefault
            && a.quotaWarning == b.quotaWarning
            && a.geometricMeanRatios.map(\.candidate) == b.geometricMeanRatios.map(\.candidate)
            && a.geometricMeanRatios.map(\.ratio) == b.geometricMeanRatios.map(\.ratio)
    }
}

/// Everything `gobench tune` reports.
public struct TuneRecommendation: Equatable, Sendable {
    public var workloads: [WorkloadTuneResult]
    /// nil when no candidate was measured on every benchmark.
    public var overall: OverallTuneResult?
    public var warnings: [String]
    public var defaultProcs: Int
    public var quotaCPUs: Double?
    public var alpha: Double
    /// The CPUs this process may use (its affinity mask), when known.
    public var cpus: Int? = nil

    /// True when the benchmarks' best candidates differ: the output shows the trade-off.
    public var workloadsDisagree: Bool { Set(workloads.map(\.best)).count > 1 }

    /// A plain-text report: one block per benchmark, then the overall recommendation.
    public func render() -> String {
        var out = "GOMAXPROCS tuning (default procs=\(defaultProcs)"
        if let q = quotaCPUs { out += ", CPU quota \(ResultRow.format(q)) CPUs" }
        out += "; alpha \(alpha))\n"
        for w in workloads {
            out += "\n\(w.name): by median \(w.metric) (\(w.direction) is better)\n"
            var table: [[String]] = [["", "candidate", "median", ""]]
            for (i, r) in w.ranking.enumerated() {
                var mark = i == 0 ? "best" : ""
                if r.candidate == w.defaultCandidate { mark += mark.isEmpty ? "default" : ", default" }
                table.append([i == 0 ? "*" : "", r.candidate.description,
                              TuneRecommendation.summaryText(r.summary, unit: w.unit), mark])
            }
            out += CompareRender.alignedColumns(table, rightAligned: [2]).split(separator: "\n")
                .map { "  " + $0 }.joined(separator: "\n") + "\n"
            if let p = w.pValueVersusRunnerUp, let r = w.runnerUp {
                out += "  best vs \(r): p=\(ComparisonReport.format(p: p)) (\(w.significantlyBetterThanRunnerUp ? "significant" : "not significant"))\n"
            }
            if let d = w.defaultCandidate {
                if d == w.best {
                    out += "  the default is the best candidate\n"
                } else if let p = w.pValueVersusDefault {
                    out += "  best vs default \(d): p=\(ComparisonReport.format(p: p)) (\(w.significantlyBetterThanDefault ? "significant" : "not significant"))"
                    if let g = w.gainVersusDefault { out += ", expected gain \(TuneRecommendation.gainText(g))" }
                    out += "\n"
                }
            }
            out += "  recommendation: \(w.recommended)\(w.recommended == w.defaultCandidate ? " (the default)" : "")\n"
            if let q = w.quotaWarning { out += "  warning: \(q)\n" }
        }
        if workloadsDisagree { out += tradeOff() }
        if let o = overall {
            out += "\noverall (geometric mean over \(o.benchmarkCount) benchmark\(o.benchmarkCount == 1 ? "" : "s"), relative to \(o.relativeToDefault ? "the default" : "each benchmark's best"); lower is better):\n"
            var table: [[String]] = []
            for (candidate, ratio) in o.geometricMeanRatios {
                var evidence = ""
                if let e = o.evidence.first(where: { $0.candidate == candidate }) {
                    evidence = "gain \(TuneRecommendation.gainText(e.gain)), p=\(ComparisonReport.format(p: e.adjustedP)) (Holm)"
                } else if o.relativeToDefault, candidate.procs == defaultProcs {
                    evidence = "the default"
                }
                table.append([candidate == o.candidate ? "*" : "", candidate.description,
                              String(format: "%.3f", ratio), evidence])
            }
            out += CompareRender.alignedColumns(table, rightAligned: [2]).split(separator: "\n")
                .map { "  " + $0 }.joined(separator: "\n") + "\n"
            out += "  recommendation: \(o.candidate)"
            if let e = o.evidence.first(where: { $0.candidate == o.candidate }) {
                out += " (\(TuneRecommendation.gainText(e.gain)) vs the default on the combined evidence, p=\(ComparisonReport.format(p: e.adjustedP)))"
            } else if let g = o.gainPercentVersusDefault {
                out += String(format: " (%+.1f%% vs the default)", g)
            }
            out += "\n"
            if let why = o.keptDefaultBecause { out += "  the default stands: \(why)\n" }
            if let q = o.quotaWarning { out += "  warning: \(q)\n" }
            if let c = o.cpuWarning { out += "  warning: \(c)\n" }
        }
        for w in warnings { out += "warning: \(w)\n" }
        return out
    }

    static func gainText(_ g: TuneGain) -> String {
        var s = String(format: "%+.1f%%", g.percent)
        if let l = g.lowerPercent, let u = g.upperPercent, l.isFinite, u.isFinite {
            s += " (\(Int((g.confidence * 100).rounded()))% CI " + String(format: "%+.1f%% .. %+.1f%%)", l, u)
        } else {
            s += " (no \(Int((g.confidence * 100).rounded()))% CI: it needs at least \(TuneAnalysis.samplesNeededForShiftInterval(confidence: g.confidence)) samples a side)"
        }
        return s
    }

    /// A median with its interval, or the samples the interval would need (never `± ∞`).
    static func summaryText(_ s: MedianSummary, unit: String) -> String {
        guard s.median != nil else { return "-" }
        if s.interval != nil { return CompareRender.summaryText(s, unit: unit) }
        let needed = Statistics.minimumSampleCountForMedianInterval(confidence: s.requestedConfidence)
        return ValueFormat.string(s.median!, unit: unit) + " (n=\(s.count); a CI needs \(needed))"
    }

    /// When the benchmarks disagree: each one's change against the default at every
    /// candidate some benchmark (or the overall recommendation) prefers.
    func tradeOff() -> String {
        var columns: [TuneCandidate] = []
        for w in workloads where !columns.contains(w.best) { columns.append(w.best) }
        if let o = overall, !columns.contains(o.candidate) { columns.append(o.candidate) }
        columns.sort()
        var out = "\nthe workloads disagree: no candidate is best for all of them. Trade-off (median change against the default procs=\(defaultProcs); + is better):\n"
        var table: [[String]] = [[""] + columns.map(\.description)]
        for w in workloads {
            var row = [w.name + " (best: procs=\(w.best.procs))"]
            let reference = w.defaultCandidate.flatMap { d in w.ranking.first { $0.candidate == d }?.summary.median }
            for c in columns {
                guard let m = w.ranking.first(where: { $0.candidate == c })?.summary.median, let r = reference, r != 0, m != 0 else {
                    row.append("-"); continue
                }
                let gain = w.direction == "higher" ? (m / r - 1) * 100 : (1 - m / r) * 100
                row.append(String(format: "%+.1f%%", gain))
            }
            table.append(row)
        }
        out += CompareRender.alignedColumns(table, rightAligned: Set(1...columns.count)).split(separator: "\n")
            .map { "  " + $0 }.joined(separator: "\n") + "\n"
        return out
    }
}

public enum TuneAnalysis {
    /// The metric tune ranks by when a benchmark reports it.
    public static let primaryMetric = "ns_per_op"

    /// Recommends procs and placement from a sweep's rows. Only `ok` rows are samples.
    /// - Parameters:
    ///   - defaultProcs: the GOMAXPROCS the program would get by default.
    ///   - quotaCPUs: the cgroup CPU quota in CPUs (quota / period), if one is set: a
    ///     recommendation above ceil(quota) gets a warning.
    public static func recommend(rows: [ResultRow], defaultProcs: Int, quotaCPUs: Double? = nil,
                                 cpus: Int? = nil,
                                 alpha: Double = 0.05, confidence: Double = 0.95) -> TuneRecommendation {
        struct BenchmarkKey: Hashable, Comparable {
            var workload, engine, params, scavenge: String
            static func < (a: BenchmarkKey, b: BenchmarkKey) -> Bool {
                (a.workload, a.engine, a.params, a.scavenge) < (b.workload, b.engine, b.params, b.scavenge)
            }
        }
        var byBenchmark: [BenchmarkKey: [ResultRow]] = [:]
        for row in rows where row.isSample {
            let key = BenchmarkKey(workload: row.workload, engine: row.engine, params: row.params,
                                   scavenge: row.scavenge)
            byBenchmark[key, default: []].append(row)
        }
        var warnings: [String] = []
        let failed = rows.filter(\.isFailedRun)
        if !failed.isEmpty {
            let runs = Set(failed.map(\.runID)).count
            warnings.append("\(runs) failed run\(runs == 1 ? "" : "s") left out (status error, crashed, timeout or garbage)")
        }
        let quotaLimit = quotaCPUs.map { Int($0.rounded(.up)) }
        func quotaWarning(_ c: TuneCandidate) -> String? {
            guard let limit = quotaLimit, let q = quotaCPUs, c.procs > limit else { return nil }
            return "procs=\(c.procs) exceeds the CPU quota of \(ResultRow.format(q)) CPUs (ceil = \(limit)); the extra Ps are throttled, not parallel, and Go's own default would be \(max(limit, 2))"
        }

        var results: [WorkloadTuneResult] = []
        for key in byBenchmark.keys.sorted() {
            let benchmarkRows = byBenchmark[key]!
            guard let metric = chooseMetric(benchmarkRows) else {
                warnings.append("\(key.workload) \(key.engine): no metric with a direction to rank by")
                continue
            }
            let metricRows = benchmarkRows.filter { $0.metric == metric }
            let direction = metricRows.first?.direction ?? "lower"
            let unit = metricRows.first?.unit ?? ""
            var samples: [TuneCandidate: [Double]] = [:]
            for r in metricRows {
                samples[TuneCandidate(procs: r.procs, placement: r.placement), default: []].append(r.value!)
            }
            let higherIsBetter = direction == "higher"
            let ranking = samples.map { TuneCandidateSummary(candidate: $0.key, summary: MedianSummary(samples: $0.value, confidence: confidence)) }
                .sorted { a, b in
                    let ma = a.summary.median!, mb = b.summary.median!
                    if ma != mb { return higherIsBetter ? ma > mb : ma < mb }
                    return a.candidate < b.candidate
                }
            let best = ranking[0].candidate
            var pRunnerUp: Double? = nil
            if ranking.count > 1 {
                pRunnerUp = MannWhitney.test(samples[best]!, samples[ranking[1].candidate]!)?.pValue
            }
            let defaultCandidate = chooseDefault(Array(samples.keys), defaultProcs: defaultProcs)
            var pDefault: Double? = nil
            var gain: TuneGain? = nil
            if let d = defaultCandidate {
                if d == best {
                    gain = TuneGain(percent: 0, lowerPercent: nil, upperPercent: nil, confidence: confidence)
                } else {
                    pDefault = MannWhitney.test(samples[best]!, samples[d]!)?.pValue
                    gain = expectedGain(samples[best]!, over: samples[d]!, higherIsBetter: higherIsBetter,
                                        confidence: confidence)
                }
            }
            if defaultCandidate == nil {
                warnings.append("\(key.workload) \(key.engine): the default procs=\(defaultProcs) was not swept; gains over the default are unknown")
            }
            var result = WorkloadTuneResult(
                workload: key.workload, engine: key.engine, params: key.params, scavenge: key.scavenge,
                metric: metric, unit: unit, direction: direction, ranking: ranking,
                pValueVersusRunnerUp: pRunnerUp,
                significantlyBetterThanRunnerUp: (pRunnerUp ?? 1) < alpha,
                defaultCandidate: defaultCandidate, pValueVersusDefault: pDefault,
                significantlyBetterThanDefault: (pDefault ?? 1) < alpha,
                gainVersusDefault: gain, quotaWarning: nil)
            result.quotaWarning = quotaWarning(result.recommended)
            results.append(result)
        }

        var samplesByBenchmark: [[TuneCandidate: [Double]]] = []
        for result in results {
            let key = BenchmarkKey(workload: result.workload, engine: result.engine, params: result.params, scavenge: result.scavenge)
            var samples: [TuneCandidate: [Double]] = [:]
            for r in byBenchmark[key]! where r.metric == result.metric {
                samples[TuneCandidate(procs: r.procs, placement: r.placement), default: []].append(r.value!)
            }
            samplesByBenchmark.append(samples)
        }
        var overall = overallResult(results, quotaWarning: quotaWarning)
        if var o = overall {
            decide(&o, results: results, samples: samplesByBenchmark, alpha: alpha, confidence: confidence,
                   cpus: cpus, quotaWarning: quotaWarning)
            overall = o
        }
        if overall == nil && results.count > 0 {
            warnings.append("no candidate was measured on every benchmark: no overall recommendation")
        }
        var recommendation = TuneRecommendation(workloads: results, overall: overall, warnings: warnings,
                                                defaultProcs: defaultProcs, quotaCPUs: quotaCPUs, alpha: alpha)
        recommendation.cpus = cpus
        return recommendation
    }

    /// The smallest count a side for which the Hodges-Lehmann interval at `confidence` exists.
    public static func samplesNeededForShiftInterval(confidence: Double) -> Int {
        var n = 2
        while MannWhitney.smallestPossiblePValue(firstCount: n, secondCount: n) >= 1 - confidence, n < 1000 { n += 1 }
        return n
    }

    /// The overall decision on the combined evidence: every candidate measured on every
    /// benchmark is tested against the default (the mean of the per-benchmark log ratios,
    /// Welch), Holm-adjusted over the candidates. The default stands unless one is better
    /// with adjusted p < alpha; among those, the best geometric mean wins.
    static func decide(_ o: inout OverallTuneResult, results: [WorkloadTuneResult],
                       samples: [[TuneCandidate: [Double]]], alpha: Double, confidence: Double,
                       cpus: Int?, quotaWarning: (TuneCandidate) -> String?) {
        guard o.relativeToDefault, let defaultCandidate = results.first?.defaultCandidate else {
            o.keptDefaultBecause = nil
            o.evidence = []
            return
        }
        var tested: [(TuneCandidate, LogRatioEstimate)] = []
        var tooFew = false
        for (candidate, _) in o.geometricMeanRatios where candidate != defaultCandidate {
            var parts: [LogRatioEstimate] = []
            for (i, r) in results.enumerated() {
                guard let c = samples[i][candidate], let d = samples[i][defaultCandidate],
                      var e = WelchTest.logRatio(base: d, new: c) else { parts = []; break }
                if r.direction == "higher" { e.logRatio = -e.logRatio }
                parts.append(e)
            }
            guard parts.count == results.count, let combined = LogRatioEstimate.mean(parts) else { tooFew = true; continue }
            tested.append((candidate, combined))
        }
        let adjusted = WelchTest.holm(tested.map(\.1.pValue))
        o.evidence = zip(tested, adjusted).map { pair, p in
            CombinedEvidence(candidate: pair.0, estimate: pair.1, adjustedP: p, confidence: confidence)
        }
        let better = o.evidence.filter { $0.adjustedP < alpha && $0.estimate.logRatio < 0 }
        let ratioOf = Dictionary(o.geometricMeanRatios.map { ($0.candidate, $0.ratio) }, uniquingKeysWith: { a, _ in a })
        if let chosen = better.min(by: { (ratioOf[$0.candidate] ?? 1, $0.candidate) < (ratioOf[$1.candidate] ?? 1, $1.candidate) }) {
            o.candidate = chosen.candidate
            o.gainPercentVersusDefault = chosen.gain.percent
            o.keptDefaultBecause = nil
        } else {
            let bestByMean = o.geometricMeanRatios.first?.candidate
            o.candidate = defaultCandidate
            o.gainPercentVersusDefault = 0
            if tested.isEmpty && tooFew {
                o.keptDefaultBecause = "too few samples to test a candidate against it (Welch's test needs at least 2 a side on every benchmark; 5 or more to find small gains)"
            } else if let b = bestByMean, b != defaultCandidate {
                o.keptDefaultBecause = "\(b) has the best geometric mean, but no candidate is significantly better on the combined evidence (Holm-adjusted p >= \(alpha)); more --reps or a longer --min-time may separate them"
            } else {
                o.keptDefaultBecause = "no candidate is better"
            }
        }
        o.quotaWarning = quotaWarning(o.candidate)
        if let cpus, o.candidate.procs > cpus {
            o.cpuWarning = "procs=\(o.candidate.procs) is more than the \(cpus) CPUs this process may use: the extra Ps share CPUs (it measured better here, on these workloads; check it on yours)"
        }
    }

    /// `ns_per_op` when present, then `wall_seconds`, then the first metric (by name) with
    /// a direction.
    static func chooseMetric(_ rows: [ResultRow]) -> String? {
        let metrics = Set(rows.filter { $0.direction == "lower" || $0.direction == "higher" }.map(\.metric))
        for preferred in [primaryMetric, "wall_seconds"] where metrics.contains(preferred) { return preferred }
        return metrics.sorted().first
    }

    /// procs = default with placement `none` if swept, else the first placement swept with it.
    static func chooseDefault(_ candidates: [TuneCandidate], defaultProcs: Int) -> TuneCandidate? {
        let sameProcs = candidates.filter { $0.procs == defaultProcs }.sorted()
        return sameProcs.first { $0.placement == "none" } ?? sameProcs.first
    }

    /// The gain of `candidate` over `reference` in percent (positive is better), from the
    /// Hodges-Lehmann shift of the log samples, so that the interval is for the ratio.
    /// Falls back to the ratio of medians without an interval when a value is not positive.
    static func expectedGain(_ candidate: [Double], over reference: [Double], higherIsBetter: Bool,
                             confidence: Double) -> TuneGain? {
        func gainPercent(logRatio: Double) -> Double {
            higherIsBetter ? (exp(logRatio) - 1) * 100 : (1 - exp(logRatio)) * 100
        }
        if candidate.allSatisfy({ $0 > 0 }), reference.allSatisfy({ $0 > 0 }),
           let s = MannWhitney.shift(candidate.map { log($0) }, reference.map { log($0) }, confidence: confidence) {
            var low = s.lower.map(gainPercent), high = s.upper.map(gainPercent)
            if let l = low, let h = high, l > h { (low, high) = (h, l) }
            return TuneGain(percent: gainPercent(logRatio: s.estimate), lowerPercent: low,
                            upperPercent: high, confidence: confidence)
        }
        guard let c = Statistics.median(candidate), let r = Statistics.median(reference), r != 0 else { return nil }
        let change = (c - r) / abs(r) * 100
        return TuneGain(percent: higherIsBetter ? change : -change, lowerPercent: nil,
                        upperPercent: nil, confidence: confidence)
    }

    /// The candidate with the lowest geometric mean of (candidate median / reference median)
    /// over all benchmarks, among candidates measured on every benchmark.
    static func overallResult(_ results: [WorkloadTuneResult],
                              quotaWarning: (TuneCandidate) -> String?) -> OverallTuneResult? {
        guard !results.isEmpty else { return nil }
        var everywhere = Set(results[0].ranking.map(\.candidate))
        for r in results.dropFirst() { everywhere.formIntersection(r.ranking.map(\.candidate)) }
        guard !everywhere.isEmpty else { return nil }
        let defaults = Set(results.compactMap(\.defaultCandidate))
        let commonDefault = defaults.count == 1 && results.allSatisfy({ $0.defaultCandidate != nil })
            && everywhere.contains(defaults.first!) ? defaults.first : nil
        var scored: [(candidate: TuneCandidate, ratio: Double)] = []
        for c in everywhere.sorted() {
            var ratios: [Double] = []
            for r in results {
                let reference = commonDefault ?? r.best
                guard let m = r.ranking.first(where: { $0.candidate == c })?.summary.median,
                      let ref = r.ranking.first(where: { $0.candidate == reference })?.summary.median,
                      m > 0, ref > 0 else { ratios = []; break }
                ratios.append(r.direction == "higher" ? ref / m : m / ref)
            }
            if let g = Statistics.geometricMean(ratios), ratios.count == results.count {
                scored.append((c, g))
            }
        }
        guard !scored.isEmpty else { return nil }
        scored.sort { $0.ratio != $1.ratio ? $0.ratio < $1.ratio : $0.candidate < $1.candidate }
        let chosen = scored[0]
        return OverallTuneResult(candidate: chosen.candidate, geometricMeanRatios: scored,
                                 relativeToDefault: commonDefault != nil,
                                 benchmarkCount: results.count,
                                 gainPercentVersusDefault: commonDefault != nil ? (1 - chosen.ratio) * 100 : nil,
                                 quotaWarning: quotaWarning(chosen.candidate))
    }
}
