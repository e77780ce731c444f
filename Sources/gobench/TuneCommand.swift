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
        First each workload's size is calibrated so that one run lasts at least --min-time \
        (like go test's -benchtime: its count parameter is scaled from a trial run at the \
        default GOMAXPROCS). Then each candidate runs --reps times per workload, interleaved as \
        in `gobench sweep`; per workload the candidates are ranked by median ns_per_op with \
        Mann-Whitney tests against the default GOMAXPROCS (Go 1.25's rule). The overall \
        recommendation departs from the default only when a candidate is significantly better \
        on the combined evidence: Welch's t-test on the mean over the workloads of \
        log(candidate/default), Holm-adjusted over the candidates, with its confidence \
        interval; among such candidates the best geometric mean wins. When the workloads' best \
        candidates differ, a trade-off table shows each workload's change at each of them. A \
        recommendation above the CPU count or the CPU quota gets a warning. The result is \
        printed as `export GOMAXPROCS=N`.
        """
    )

    static let representativeMix = "chan-pingpong,chan-prodcons,steal-imbalance,mutex-contention,syscall-heavy,parallel-compute"

    @Option(help: "swift or go.")
    var engine: BenchmarkEngine = .swift

    @Option(help: "Workloads, comma-separated (default: a representative mix).")
    var workloads = WorkloadList(argument: TuneCommand.representativeMix)!

    @Option(help: "Procs candidates (default: 1 to twice the CPU count, plus the quota's value).")
    var procs: ProcsValues?

    @Option(help: "Placements, comma-separated (default: none; plus compact,spread on NUMA machines).")
    var placements: PlacementList?

    @Option(name: .customLong("min-time"), help: "The least time one run should measure (10ms, 1s, ...): each workload's count parameter is scaled up until a trial run lasts this long.")
    var minTime = DurationOption<MinTimeName>(argument: "1s")!

    @Option(help: "Seed of the run order.")
    var seed: UInt64 = 1

    @Option(name: .shortAndLong, help: "Also keep the measurements in this results CSV (continued with --resume).")
    var output: String?

    @Flag(help: "Continue the -o file: skip the runs it already holds.")
    var resume = false

    @OptionGroup var common: CommonOptions

    var reps: Int { common.reps }
    var user: UserWorkloadOptions { common.user }

    func validate() throws {
        // With --go-test or --command alone the catalog engine is not used.
        guard !user.isActive else { return }
        if engine == .swiftConcurrency {
            throw SettingsError("tune measures GOMAXPROCS, which swift-concurrency does not have; use --engine swift or go")
        }
        guard engine == .swift || engine == .go else {
            throw SettingsError("tune measures GOMAXPROCS of the swift or go engine; use --engine swift or go")
        }
    }

    func run() throws {
        // The user's benchmarks or commands, or a CPU quota: ContainerTune.swift.
        if user.isActive || user.cpuQuota != nil { return try runContainer() }
        let cpus = MachineProbe.affinityCPUCount()
        // An unreadable cgroup file counts as no quota: tune still measures every candidate.
        let quota: CgroupQuota? = (try? CgroupQuota.read()) ?? nil
        let quotaCPUs = quota?.cpuLimit
        let defaultProcs = (try? DefaultProcessorCount.compute(affinityCPUCount: cpus, quota: quota,
                                                               environmentValue: nil).value) ?? cpus
        let uncalibratedCells = try CommandErrors.reporting("tune") { () throws -> [RunSettings] in
            if reps < 4 { CommandErrors.warn("with fewer than 4 reps no difference can reach p < 0.05: the default will stand") }
            var candidates = procs?.values ?? Array(1...(2 * cpus))
            if procs == nil, let limit = quota?.cpuLimitRoundedUp, !candidates.contains(limit) {
                candidates.append(limit)
            }
            if !candidates.contains(defaultProcs) && procs == nil { candidates.append(defaultProcs) }
            let placementList = placements?.placements
                ?? (MachineProbe.numaNodeCount() > 1 ? [.none, .compact, .spread] : [.none])
            try EnvironmentValidation.check()
            try PlacementValidation.check(placementList, engines: [engine])
            let specs = workloads.specs.filter { $0.procs == .swept }
            guard !specs.isEmpty else { throw SettingsError("none of '\(workloads.text)' depends on GOMAXPROCS") }
            let cells = try SweepGrid(workloads: specs, engines: [engine], procs: candidates.sorted(),
                                      scavenges: [.off], placements: placementList).cells()
            guard !cells.isEmpty else { throw SettingsError("none of '\(workloads.text)' runs on engine \(engine.rawValue)") }
            try Bounds.checkPlanSize(cells: cells.count, reps: reps)
            return cells
        }
        let calibrationRunner = try CommandErrors.reporting("tune") { try common.childRunner(for: [engine]) }
        // A resumed tune keeps the sizes its file was measured with.
        var measuredParams: [String: WorkloadParameters] = [:]
        if resume, let path = output, let existing = try? ResultsCSV.read(path: path) {
            for row in existing where measuredParams[row.workload] == nil {
                measuredParams[row.workload] = try? WorkloadParameters(canonical: row.params)
            }
        }
        let cells = TuneCommand.calibrated(uncalibratedCells, defaultProcs: defaultProcs, minimumSeconds: minTime.seconds,
                                           runner: calibrationRunner, measuredParams: measuredParams)
        let (runner, appender, plan, temporary) = try CommandErrors.reporting("tune") { () throws -> (ChildRunner, ResultsAppender, SweepPlan, String?) in
            let runner = try common.childRunner(for: [engine])
            // Without -o: a file in a fresh private folder (mkdtemp, mode 0700), which no other
            // user can plant a name in.
            let temporary = try output == nil ? SafeFile.makePrivateDirectory(prefix: "gobench-tune") : nil
            let path = output ?? temporary! + "/tune.csv"
            let (appender, existing) = try ResultsAppender.open(path: path, resume: resume,
                                                                expectedEnvironment: runner.environment.recordedText)
            for message in appender.lock.stoppedLeftovers + appender.notices { CommandErrors.warn(message) }
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
        try TuneCommand.runPlan(plan, runner: runner, appender: appender,
                                goPeerExecutable: engine == .go ? common.goPeerExecutable : nil, output: output)
        let rows = try CommandErrors.reporting("tune") {
            try ResultsCSV.read(path: appender.path).filter { row in
                RunSettings(row: row).map { Set(cells).contains($0) } ?? false
            }
        }
        let recommendation = TuneAnalysis.recommend(rows: rows, defaultProcs: defaultProcs, quotaCPUs: quotaCPUs,
                                                    cpus: cpus)
        print(recommendation.render(), terminator: "")
        guard let overall = recommendation.overall else {
            CommandErrors.fail("tune", "no candidate has results on every workload (see the failed runs above)")
        }
        // TuneAnalysis keeps the default unless the combined evidence says otherwise.
        if overall.candidate.placement != "none" {
            print("placement: \(overall.candidate.placement) (gobench/Go peer setting; pin threads accordingly)")
        }
        print("export GOMAXPROCS=\(overall.candidate.procs)")
    }

    /// The parameter tune scales to make a run last --min-time: the first of these a workload
    /// has (timer-storm's rounds lengthen a run without more goroutines; n is the op count
    /// elsewhere; parallel-compute's work is its total iterations).
    static let countParameters = ["rounds", "n", "work"]

    /// `cells` with each workload's count parameter scaled so that a trial run at the
    /// default procs (up to 4 trials a workload, the count at most x1000) lasts `minimumSeconds`.
    /// A workload in `measuredParams` (a resumed file's) keeps those parameters.
    /// A workload without a count parameter, or whose trial fails, keeps its size (a warning).
    static func calibrated(_ cells: [RunSettings], defaultProcs: Int, minimumSeconds: Double,
                           runner: ChildRunner, measuredParams: [String: WorkloadParameters] = [:]) -> [RunSettings] {
        var scaledParams = measuredParams  // workload -> its parameters
        for workload in Set(cells.map(\.workload)).sorted() where measuredParams[workload] == nil {
            guard let spec = try? Catalog.workload(named: workload),
                  let first = cells.first(where: { $0.workload == workload }) else { continue }
            var pairs = first.params.values
            guard let name = countParameters.first(where: { pairs[$0] != nil }), var count = Int(pairs[name]!) else {
                CommandErrors.warn("\(workload) has no count parameter to scale: its runs keep their size")
                continue
            }
            let original = count
            var settings = first
            settings.procs = cells.contains { $0.workload == workload && $0.procs == defaultProcs } ? defaultProcs : first.procs
            settings.placement = .none
            var seconds = 0.0
            for _ in 0..<4 {
                pairs[name] = String(count)
                guard let params = try? spec.resolvedParameters(pairs) else { break }
                settings.params = params
                let outcome = runner.run(settings)
                guard outcome.status == .ok, let wall = outcome.metrics.first(where: { $0.name == "wall_seconds" })?.value else {
                    CommandErrors.warn("\(workload): the calibration run ended \(outcome.status.rawValue) (\(outcome.error)): its runs keep their size")
                    break
                }
                seconds = wall
                if wall >= minimumSeconds || count >= original * 1000 { break }
                let factor = min(100, max(1.5, minimumSeconds / max(wall, 1e-4) * 1.2))
                count = min(original * 1000, Int((Double(count) * factor).rounded(.up)))
            }
            if count != original, let params = try? spec.resolvedParameters(pairs.merging([name: String(count)]) { _, b in b }) {
                scaledParams[workload] = params
                FileHandle.standardError.write(Data("tune: \(workload): \(name)=\(count) (was \(original)) for runs of at least \(ResultRow.format(minimumSeconds)) s (last trial \(String(format: "%.2f", seconds)) s)\n".utf8))
            }
        }
        return cells.map { cell in
            var c = cell
            if let params = scaledParams[cell.workload] { c.params = params }
            return c
        }
    }
}

extension TuneCommand {
    /// Runs a tune's plan into its results file (the catalog's tune and the container
    /// tune): the machine probed (Go's version only when `goPeerExecutable` is given), the
    /// runs made with progress, and a stop by signal ended as a sweep ends (128 + N, with
    /// the `--resume` line when there is a file to resume).
    static func runPlan(_ plan: SweepPlan, runner: ChildRunner, appender: ResultsAppender,
                        goPeerExecutable: String?, output: String?) throws {
        let machine = MachineProbe.probe(goPeerExecutable: goPeerExecutable)
        let sweepRunner = SweepRunner(childRunner: runner, machine: machine, interrupt: InterruptMonitor.installed)
        let summary = try CommandErrors.reporting("tune") {
            try sweepRunner.run(plan, into: appender, progress: ProgressReporter(total: plan.runs.count))
        }
        if let signal = summary.stoppedBySignal {
            FileHandle.standardError.write(Data("tune: stopped by signal \(signal)\(output.map { "; continue with --resume -o \($0)" } ?? "")\n".utf8))
            throw ExitCode(128 + signal)
        }
    }
}
