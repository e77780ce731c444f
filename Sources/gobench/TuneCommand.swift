// `gobench tune`: measures GOMAXPROCS and placement candidates over a representative mix of
// workloads and recommends one, with `export GOMAXPROCS=N`.
import ArgumentParser
import Foundation
import GobenchKit
import Runtime

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Recommend GOMAXPROCS (and a placement) for this machine from measured candidates.",
        discussion: """
        Candidates: procs 1 to twice the CPU count, plus the value the cgroup CPU quota gives, \
        at each placement (none, and compact and spread when there is more than one NUMA node). \
        Each candidate runs --reps times per workload, interleaved as in `gobench sweep`; the \
        candidates are ranked by median ns_per_op with Mann-Whitney tests against the default \
        GOMAXPROCS (Go 1.25's rule), and the best overall is printed as `export GOMAXPROCS=N`. \
        A recommendation above the CPU quota gets a warning: the extra Ps would be throttled.
        """
    )

    static let representativeMix = "chan-pingpong,chan-prodcons,steal-imbalance,mutex-contention,syscall-heavy,parallel-compute"

    @Option(help: "swift or go.")
    var engine: String = "swift"

    @Option(help: "Workloads, comma-separated (default: a representative mix).")
    var workloads: String = TuneCommand.representativeMix

    @Option(help: "Procs candidates (default: 1 to twice the CPU count, plus the quota's value).")
    var procs: String?

    @Option(help: "Placements, comma-separated (default: none; plus compact,spread on NUMA machines).")
    var placements: String?

    @Option(help: "Reps per candidate and workload.")
    var reps: Int = 5

    @Option(help: "Seed of the run order.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Also keep the measurements in this results CSV (continued with --resume).")
    var output: String?

    @Flag(help: "Continue the -o file: skip the runs it already holds.")
    var resume = false

    @OptionGroup var child: ChildOptions

    func run() throws {
        let cpus = MachineProbe.affinityCPUCount()
        // An unreadable cgroup file counts as no quota: tune still measures every candidate.
        let quota: CgroupQuota? = (try? CgroupQuota.read()) ?? nil
        let quotaCPUs = quota?.cpuLimit
        let defaultProcs = (try? DefaultProcessorCount.compute(affinityCPUCount: cpus, quota: quota,
                                                               environmentValue: nil).value) ?? cpus
        let (cells, engine) = try CommandErrors.reporting("tune") { () throws -> ([RunSettings], BenchmarkEngine) in
            let engine = try BenchmarkEngine.parse(self.engine)
            guard engine != .swiftConcurrency else {
                throw SettingsError("tune measures GOMAXPROCS, which swift-concurrency does not have; use --engine swift or go")
            }
            try Bounds.checkReps(reps)
            if reps < 4 { CommandErrors.warn("with fewer than 4 reps no difference can reach p < 0.05: the default will stand") }
            var candidates = try procs.map(ProcsList.parse) ?? Array(1...(2 * cpus))
            if procs == nil, let limit = quota?.cpuLimitRoundedUp, !candidates.contains(limit) {
                candidates.append(limit)
            }
            if !candidates.contains(defaultProcs) && procs == nil { candidates.append(defaultProcs) }
            let placementList = try placements.map(PlacementSetting.parseList)
                ?? (MachineProbe.numaNodeCount() > 1 ? [.none, .compact, .spread] : [.none])
            try PlacementValidation.check(placementList, engines: [engine])
            let specs = try Catalog.workloads(fromList: workloads).filter { $0.procs == .swept }
            guard !specs.isEmpty else { throw SettingsError("none of '\(workloads)' depends on GOMAXPROCS") }
            let cells = try SweepGrid(workloads: specs, engines: [engine], procs: candidates.sorted(),
                                      scavenges: [.off], placements: placementList).cells()
            guard !cells.isEmpty else { throw SettingsError("none of '\(workloads)' runs on engine \(engine.rawValue)") }
            try Bounds.checkPlanSize(cells: cells.count, reps: reps)
            return (cells, engine)
        }
        let (runner, appender, plan, temporary) = try CommandErrors.reporting("tune") { () throws -> (ChildRunner, ResultsAppender, SweepPlan, String?) in
            let runner = try child.childRunner(for: [engine])
            // Without -o: a file in a fresh private folder (mkdtemp, mode 0700), which no other
            // user can plant a name in.
            let temporary = try output == nil ? SafeFile.makePrivateDirectory(prefix: "gobench-tune") : nil
            let (appender, existing) = try ResultsAppender.open(path: output ?? temporary! + "/tune.csv", resume: resume)
            let plan = SweepPlan(allCells: cells, reps: reps, seed: seed, done: SweepPlan.doneRuns(in: existing))
            return (runner, appender, plan, temporary)
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        if let quotaCPUs {
            let limit = Int(quotaCPUs.rounded(.up))
            if cells.contains(where: { $0.procs > limit }) {
                CommandErrors.warn("a cgroup CPU quota of \(ResultRow.format(quotaCPUs)) CPUs is set: candidates above procs=\(limit) share that CPU time and are throttled")
            }
        }
        FileHandle.standardError.write(Data("tune: \(plan.cells.count) candidates x workloads x \(reps) reps = \(plan.runs.count) runs on engine \(engine.rawValue)\n".utf8))
        let machine = MachineProbe.probe(goPeerExecutable: engine == .go ? child.goPeerExecutable : nil)
        let sweepRunner = SweepRunner(childRunner: runner, machine: machine, interrupt: InterruptMonitor.installed)
        let summary = try CommandErrors.reporting("tune") {
            try sweepRunner.run(plan, into: appender, progress: ProgressReporter(total: plan.runs.count))
        }
        if let signal = summary.stoppedBySignal {
            FileHandle.standardError.write(Data("tune: stopped by signal \(signal)\(output.map { "; continue with --resume -o \($0)" } ?? "")\n".utf8))
            throw ExitCode(128 + signal)
        }
        let rows = try CommandErrors.reporting("tune") {
            try ResultsCSV.read(path: appender.path).filter { row in
                RunSettings(row: row).map { Set(cells).contains($0) } ?? false
            }
        }
        let recommendation = TuneAnalysis.recommend(rows: rows, defaultProcs: defaultProcs, quotaCPUs: quotaCPUs)
        print(recommendation.render(), terminator: "")
        guard let overall = recommendation.overall else {
            CommandErrors.fail("tune", "no candidate has results on every workload (see the failed runs above)")
        }
        // The best geometric mean over the mix, unless no workload showed a significant gain
        // over the default (then the ranking is noise, and the default stands).
        var chosen = overall.candidate.procs
        let anySignificant = recommendation.workloads.contains { $0.defaultCandidate != nil && $0.recommended != $0.defaultCandidate }
        if overall.relativeToDefault && !anySignificant && overall.candidate.procs != defaultProcs {
            print("no candidate beats the default significantly on any workload: keeping the default procs=\(defaultProcs) (more --reps may separate them)")
            chosen = defaultProcs
        } else if overall.candidate.placement != "none" {
            print("placement: \(overall.candidate.placement) (gobench/Go peer setting; pin threads accordingly)")
        }
        print("export GOMAXPROCS=\(chosen)")
    }
}
