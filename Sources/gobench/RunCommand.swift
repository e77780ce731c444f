// `gobench run`: one workload at one setting, a warm-up run then N measured reps, each in a
// fresh child process; also the error handling every command shares.
import ArgumentParser
import Foundation
import GobenchKit

/// Errors of gobench's own (bad settings, unreadable files) as one line and exit status 1;
/// argument-parser errors and exit codes pass through.
enum CommandErrors {
    static func reporting<T>(_ command: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SettingsError {
            fail(command, error.description)
        } catch let error as CatalogError {
            fail(command, error.description)
        } catch let error as ResultsCSVError {
            fail(command, error.description)
        } catch let error as SafeFileError {
            fail(command, error.description)
        } catch let error as ResultsLockError {
            fail(command, error.description, status: ResultsLockError.exitStatus)
        }
    }

    /// One error line on standard error and the exit status (1 unless a command's
    /// documented statuses say otherwise). Every subcommand's errors go through here.
    /// `command` "" is the root command (`gobench: error: ...`).
    static func fail(_ command: String, _ message: String, status: Int32 = 1) -> Never {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        let prefix = command.isEmpty ? "gobench" : "gobench \(command)"
        FileHandle.standardError.write(Data("\(prefix): error: \(oneLine)\n".utf8))
        Foundation.exit(status)
    }

    static func warn(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}

/// Output formats of run.
enum RunOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one workload: a warm-up run, then N measured reps, each in a fresh child process.",
        discussion: """
        Exit status: 0 when every rep is ok (or not_applicable), 3 when a rep failed \
        (error, crashed, timeout, garbage), 1 on bad input.
        """
    )

    @Argument(help: "The workload (see `gobench list`); none with --go-test or --command.")
    var workload: String?

    @Option(help: "swift, go or swift-concurrency.")
    var engine: BenchmarkEngine = .swift

    @Option(help: "GOMAXPROCS (default: the CPUs in this process's affinity mask).")
    var procs: Int?

    @Option(help: "off, or the scavenger interval (10ms, 2m).")
    var scavenge: ScavengeSetting = .off

    @Option(help: "none, compact, spread or nodes=0,1.")
    var placement: PlacementPolicy = .none

    @Option(name: .customLong("param"), help: "A workload parameter KEY=VALUE (repeatable).")
    var params: [String] = []

    @Option(help: "Warm-up runs before the reps (not recorded).")
    var warmup: Int = 1

    @Option(help: "table, csv or json.")
    var format: RunOutputFormat = .table

    @OptionGroup var common: CommonOptions

    var reps: Int { common.reps }
    var user: UserWorkloadOptions { common.user }

    func validate() throws {
        guard warmup >= 0, warmup <= Bounds.maximumWarmup else { throw SettingsError("warmup must be from 0 to \(Bounds.maximumWarmup)") }
        if let procs, procs < 1 || procs > ProcsList.maximum {
            throw SettingsError("procs \(procs) is not from 1 to \(ProcsList.maximum)")
        }
        if user.isActive {
            guard workload == nil else { throw SettingsError("a catalog workload and --go-test/--command cannot be run together") }
        } else if workload == nil {
            throw SettingsError("name a workload (see gobench list), or pass --go-test or --command")
        }
        if let quota = user.cpuQuota, quota.quotas.count != 1 {
            throw SettingsError("run takes one --cpu-quota value; sweep takes a list")
        }
    }

    func run() throws {
        // The user's benchmark or command, or a CPU quota: UserRun.swift.
        let prepared = try prepareUserRun()
        defer { prepared?.user.removeBinaries() }
        let (settings, runner) = try prepared.map { ($0.settings, $0.runner) } ?? CommandErrors.reporting("run") { () throws -> (RunSettings, ChildRunner) in
            guard let workload else { throw SettingsError("name a workload (see gobench list), or pass --go-test or --command") }
            let spec = try Catalog.workload(named: workload)
            guard spec.applies(to: engine) else {
                throw CatalogError("\(spec.name) does not run on engine \(engine.rawValue) (engines: \(spec.engines.map(\.rawValue).joined(separator: ", ")))")
            }
            let procs = try spec.runProcs(requested: self.procs, machineDefault: MachineProbe.affinityCPUCount())
            let params = try spec.resolvedParameters(try ParameterAssignments.parse(self.params))
            try EnvironmentValidation.check()
            try PlacementValidation.check([placement], engines: [engine])
            let settings = RunSettings(workload: spec.name, engine: engine, procs: procs,
                                       scavenge: scavenge,
                                       placement: placement,
                                       params: params)
            return (settings, try common.childRunner(for: [engine]))
        }
        let machine = MachineProbe.probe(goPeerExecutable: settings.engine == .go ? common.goPeerExecutable : nil)
        let interrupt = InterruptMonitor.installed
        let stderrIsTerminal = isatty(STDERR_FILENO) != 0

        for index in 0..<warmup {
            FileHandle.standardError.write(Data("warm-up \(index + 1)/\(warmup): \(settings)\n".utf8))
            let outcome = runner.run(settings, interrupt: interrupt)
            if outcome.interrupted { throw ExitCode(128 + interrupt.signalNumber) }
            if outcome.status != .ok {
                CommandErrors.warn("warm-up run \(outcome.status.rawValue): \(outcome.error)")
            }
        }
        var rows: [ResultRow] = []
        var outcomes: [ChildOutcome] = []
        for rep in 0..<reps {
            let outcome = runner.run(settings, interrupt: interrupt)
            if outcome.interrupted { throw ExitCode(128 + interrupt.signalNumber) }
            outcomes.append(outcome)
            rows += outcome.rows(settings: settings, rep: rep, runID: SweepRunner.makeRunID(),
                                 timestamp: SweepRunner.timestamp(), machine: machine)
            let status = outcome.status == .ok ? "ok" : "\(outcome.status.rawValue): \(outcome.error)"
            if stderrIsTerminal || format != .table {
                FileHandle.standardError.write(Data("rep \(rep + 1)/\(reps): \(String(format: "%.2fs", outcome.wallSeconds)) \(status)\n".utf8))
            }
        }
        switch format {
        case .csv: print(ResultsCSV.render(rows), terminator: "")
        case .json: print(RunCommand.json(settings: settings, outcomes: outcomes, machine: machine))
        case .table: print(RunCommand.table(settings: settings, rows: rows, outcomes: outcomes), terminator: "")
        }
        let failed = outcomes.contains { ![.ok, .notApplicable].contains($0.status) }
        if failed { throw ExitCode(3) }
    }

    /// Per metric: median, min, max over the ok reps; then each failed rep.
    static func table(settings: RunSettings, rows: [ResultRow], outcomes: [ChildOutcome]) -> String {
        var out = "\(settings)\n"
        var order: [String] = []
        var samples: [String: (unit: String, values: [Double])] = [:]
        for row in rows where row.status == "ok" {
            guard let value = row.value else { continue }
            if samples[row.metric] == nil { order.append(row.metric); samples[row.metric] = (row.unit, []) }
            samples[row.metric]!.values.append(value)
        }
        var table: [[String]] = [["metric", "median", "min", "max", "unit", "n"]]
        for name in order {
            let (unit, values) = samples[name]!
            table.append([name, format(Statistics.median(values) ?? .nan), format(values.min()!),
                          format(values.max()!), unit, String(values.count)])
        }
        if table.count > 1 {
            let widths = (0..<table[0].count).map { c in table.map { $0[c].count }.max()! }
            for line in table {
                out += line.enumerated().map { c, text in
                    c == 0 || c == 4 ? text.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[c] - text.count) + text
                }.joined(separator: "  ") + "\n"
            }
        }
        for (rep, outcome) in outcomes.enumerated() where outcome.status != .ok {
            out += "rep \(rep): \(outcome.status.rawValue): \(outcome.error)\n"
        }
        return out
    }

    static func format(_ value: Double) -> String {
        if value.isNaN { return "-" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return String(format: abs(value) >= 100 ? "%.1f" : "%.4g", value)
    }

    static func json(settings: RunSettings, outcomes: [ChildOutcome], machine: MachineInfo) -> String {
        let runs: [[String: Any]] = outcomes.enumerated().map { rep, outcome in
            ["rep": rep, "status": outcome.status.rawValue, "error": outcome.error,
             "wall_seconds": outcome.wallSeconds,
             "metrics": outcome.metrics.map { ["name": $0.name, "value": $0.value, "unit": $0.unit, "direction": $0.direction.rawValue] }]
        }
        let object: [String: Any] = [
            "workload": settings.workload, "engine": settings.engine.rawValue, "procs": settings.procs,
            "scavenge": settings.scavenge.description, "placement": settings.placement.description, "params": settings.params.canonical,
            "env": outcomes.first?.recordedEnvironment ?? "",
            "host": machine.host, "cpu_model": machine.cpuModel, "cores": machine.cores,
            "gobench_version": machine.gobenchVersion, "gobench_commit": machine.gobenchCommit,
            "runs": runs,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
