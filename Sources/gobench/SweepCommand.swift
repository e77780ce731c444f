// `gobench sweep`: workloads x engines x procs x scavenge x placement x reps, each run in a
// fresh child, in a shuffled interleaved order, appended to a results CSV as each run ends.
import ArgumentParser
import Foundation
import GobenchKit

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run the benchmark grid and append every run's metrics to a results CSV.",
        discussion: """
        The grid is narrowed per workload (see `gobench list`: pingpong-hog runs at procs=1 \
        only, scavenge is swept only for the memory workloads, ...). Rep r of every cell runs \
        before rep r+1, in a seeded shuffled order, so that drift spreads over all cells. Each \
        run's rows are written and flushed when it ends; SIGINT or SIGTERM stops after the \
        current run is discarded, leaving a valid file that --resume continues. The default \
        sweep (engines swift,go) is sized to finish in about 5 minutes on 2 cores.
        Exit status: 0 when every run is ok or not_applicable, 3 when some run failed (the \
        failures are in the file), 1 on bad input or an unwritable file, 5 when another gobench \
        holds the output file (flock on .NAME.lock beside it), 128+signal when stopped.
        """
    )

    @Option(help: "Workloads: all, or a comma-separated list (default: all; none of the catalog's with --go-test or --command).")
    var workloads: WorkloadList?

    @Option(help: "Engines, comma-separated: swift, go, swift-concurrency.")
    var engines = EngineList(argument: "swift,go")!

    @Option(help: "GOMAXPROCS values: 1,2,4 or 1-8 or 1-16:x2 (default: 1 to the CPU count, and twice the CPU count).")
    var procs: ProcsValues?

    @Option(help: "Scavenge settings, comma-separated: off or an interval.")
    var scavenge = ScavengeList(argument: "off,10ms,2m")!

    @Option(help: "Placements, comma-separated: none, compact, spread, nodes=0,1.")
    var placements = PlacementList(argument: "none")!

    @Option(name: .customLong("param"), help: "KEY=VALUE or KEY=V1,V2 (a list sweeps it), or WORKLOAD.KEY=VALUE (repeatable).")
    var params: [String] = []

    @Flag(help: "Use the catalog's default parameters instead of the smaller sweep sizes.")
    var catalogDefaults = false

    @Option(help: "Seed of the run order.")
    var seed: UInt64 = 1

    @Option(help: "Run only shard I of N (1-based): cells I, I+N, ... of the sorted grid.")
    var shard: ShardSetting?

    @Flag(help: "Continue the output file: skip the runs it already holds.")
    var resume = false

    @Option(name: .shortAndLong, help: "The results CSV (default results/HOST-DATE.csv; with --resume, the newest of those).")
    var output: String?

    @Flag(help: "Print the plan's size and exit without running.")
    var dryRun = false

    @OptionGroup var common: CommonOptions

    var reps: Int { common.reps }
    var user: UserWorkloadOptions { common.user }

    func run() throws {
        let cpus = MachineProbe.affinityCPUCount()
        let (userWorkloads, cgroups, quotas) = try CommandErrors.reporting("sweep") { try user.prepare(command: "sweep") }
        defer { userWorkloads.removeBinaries() }
        let catalogWorkloads = workloads ?? (user.isActive ? nil : WorkloadList(argument: "all")!)
        let shardSetting = shard ?? .whole
        let (cells, engineList) = try CommandErrors.reporting("sweep") { () throws -> ([RunSettings], [BenchmarkEngine]) in
            var engineList = engines.engines
            let placementList = placements.placements
            try EnvironmentValidation.check()
            try PlacementValidation.check(placementList, engines: engineList)
            let procsList = procs?.values ?? ProcsList.sweepDefault(cpus: cpus)
            var cells: [RunSettings] = []
            if let catalogWorkloads {
                let grid = SweepGrid(
                    workloads: catalogWorkloads.specs, engines: engineList,
                    procs: procsList,
                    scavenges: scavenge.settings,
                    placements: placementList,
                    parameterAssignments: try ParameterAssignments.parse(params),
                    useSweepParameters: !catalogDefaults)
                cells = try grid.cells()
                guard !cells.isEmpty else {
                    throw SettingsError("no workload of '\(catalogWorkloads.text)' runs on engines \(engines.text)")
                }
            } else {
                engineList = []
            }
            cells = try UserWorkloadOptions.withQuotas(cells + userWorkloads.cells(procs: procsList, placements: placementList), quotas)
            try Bounds.checkPlanSize(cells: cells.count, reps: reps)
            return (cells, engineList)
        }
        if dryRun {
            let plan = SweepPlan(allCells: cells, reps: reps, seed: seed, shard: shardSetting)
            print("\(plan.cells.count) cells x \(reps) reps = \(plan.runs.count) runs (shard \(shardSetting) of a \(cells.count)-cell grid)")
            for cell in plan.cells { print("  \(cell)") }
            return
        }
        let (runner, appender, plan, machine) = try CommandErrors.reporting("sweep") { () throws -> (ChildRunner, ResultsAppender, SweepPlan, MachineInfo) in
            var runner = try common.childRunner(for: engineList)
            UserWorkloadOptions.install(on: &runner, user: userWorkloads, cgroups: cgroups, cpus: cpus)
            let path = try output ?? SweepCommand.defaultOutput(resume: resume)
            let (appender, existing) = try ResultsAppender.open(path: path, resume: resume, expectedEnvironment: runner.environment.recordedText)
            for message in appender.lock.stoppedLeftovers + appender.notices { CommandErrors.warn(message) }
            let plan = SweepPlan(allCells: cells, reps: reps, seed: seed, shard: shardSetting,
                                 done: SweepPlan.doneRuns(in: existing))
            let machine = MachineProbe.probe(goPeerExecutable: engineList.contains(.go) ? common.goPeerExecutable : nil)
            if let other = existing.first?.machine, !other.sameMachine(as: machine) {
                CommandErrors.warn("\(path) was measured on \(other.host) (\(other.cpuModel)); this is \(machine.host) (\(machine.cpuModel))")
            }
            return (runner, appender, plan, machine)
        }
        var header = "sweep: \(plan.cells.count) cells x \(reps) reps"
        if shardSetting != .whole { header += " (shard \(shardSetting))" }
        header += " = \(plan.runs.count + plan.alreadyDone) runs"
        if plan.alreadyDone > 0 { header += ", \(plan.alreadyDone) already done, \(plan.runs.count) to go" }
        FileHandle.standardError.write(Data("\(header) -> \(appender.path)\n".utf8))

        let sweepRunner = SweepRunner(childRunner: runner, machine: machine, interrupt: InterruptMonitor.installed)
        let summary = try CommandErrors.reporting("sweep") {
            try sweepRunner.run(plan, into: appender, progress: ProgressReporter(total: plan.runs.count))
        }
        FileHandle.standardError.write(Data("sweep: \(summary.description)\n".utf8))
        if let signal = summary.stoppedBySignal {
            FileHandle.standardError.write(Data("sweep: stopped by signal \(signal) with \(summary.remaining) runs left; continue with --resume -o \(appender.path)\n".utf8))
            throw ExitCode(128 + signal)
        }
        print(appender.path)
        let failed = summary.countsByStatus.filter { ![.ok, .notApplicable].contains($0.key) }.values.reduce(0, +)
        if failed > 0 { throw ExitCode(3) }
    }

    /// results/HOST-YYYYMMDD-HHMMSS.csv, or with --resume the newest results/HOST-*.csv.
    static func defaultOutput(resume: Bool, directory: String = "results") throws -> String {
        let host = MachineProbe.hostName().split(separator: ".").first.map(String.init) ?? "host"
        if resume {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasPrefix(host + "-") && $0.hasSuffix(".csv") }.sorted()
            guard let newest = names.last else {
                throw SettingsError("--resume without -o: no \(directory)/\(host)-*.csv to continue")
            }
            return directory + "/" + newest
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(directory)/\(host)-\(formatter.string(from: Date())).csv"
    }
}
