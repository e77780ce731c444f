// `gobench tune --go-test PKG | --command N=CMD | catalog workloads, --cpu-quota Q`: measures
// the GOMAXPROCS candidates under the quota (each run in a cgroup with it), recommends with
// TuneAnalysis, and answers the container question (GobenchKit/ContainerAnswer.swift).
import ArgumentParser
import Foundation
import GobenchKit

extension TuneCommand {
    func runContainer() throws {
        let cpus = MachineProbe.affinityCPUCount()
        let (userWorkloads, cgroups, quotas) = try CommandErrors.reporting("tune") { try user.prepare(command: "tune") }
        defer { userWorkloads.removeBinaries() }
        let quota = quotas?.first
        let defaultProcs = CPUQuotaSetting.goDefaultProcs(affinityCPUs: cpus, quotaCPUs: quota?.cpus)
        let (cells, catalogEngines) = try CommandErrors.reporting("tune") { () throws -> ([RunSettings], [BenchmarkEngine]) in
            if let quotas, quotas.count != 1 {
                throw SettingsError("tune takes one --cpu-quota value (the container's), got \(quotas.count); sweep takes a list")
            }
            if reps < 4 { CommandErrors.warn("with fewer than 4 reps no difference can reach p < 0.05: the default will stand") }
            var candidates = procs?.values ?? Array(1...(2 * cpus))
            let automax = CPUQuotaSetting.automaxprocsProcs(affinityCPUs: cpus, quotaCPUs: quota?.cpus)
            if procs == nil {
                for extra in [defaultProcs, automax] where !candidates.contains(extra) { candidates.append(extra) }
            }
            candidates.sort()
            let placementList = placements?.placements
                ?? (MachineProbe.numaNodeCount() > 1 ? [.none, .compact, .spread] : [.none])
            if user.isActive { try PlacementValidation.check(placementList, engines: [.go]) }
            var cells = userWorkloads.cells(procs: candidates, placements: placementList)
            var engines: [BenchmarkEngine] = []
            if !user.isActive {
                try PlacementValidation.check(placementList, engines: [engine])
                let specs = workloads.specs.filter { $0.procs == .swept }
                guard !specs.isEmpty else { throw SettingsError("none of '\(workloads.text)' depends on GOMAXPROCS") }
                cells += try SweepGrid(workloads: specs, engines: [engine], procs: candidates,
                                       scavenges: [.off], placements: placementList).cells()
                engines = [engine]
            }
            return (try UserWorkloadOptions.withQuotas(cells, quotas), engines)
        }
        let (runner, appender, plan, temporary) = try CommandErrors.reporting("tune") { () throws -> (ChildRunner, ResultsAppender, SweepPlan, String?) in
            var runner = try common.childRunner(for: catalogEngines)
            UserWorkloadOptions.install(on: &runner, user: userWorkloads, cgroups: cgroups, cpus: cpus)
            // Without -o: a file in a fresh private folder (TuneCommand's way).
            let temporary = try output == nil ? SafeFile.makePrivateDirectory(prefix: "gobench-tune") : nil
            let (appender, existing) = try ResultsAppender.open(path: output ?? temporary! + "/tune.csv", resume: resume,
                                                                expectedEnvironment: runner.environment.recordedText)
            for message in appender.lock.stoppedLeftovers + appender.notices { CommandErrors.warn(message) }
            let plan = SweepPlan(allCells: cells, reps: reps, seed: seed, done: SweepPlan.doneRuns(in: existing))
            return (runner, appender, plan, temporary)
        }
        defer { if let temporary { try? FileManager.default.removeItem(atPath: temporary) } }
        FileHandle.standardError.write(Data("tune: \(plan.cells.count) cells x \(reps) reps = \(plan.runs.count) runs\(quota.map { " under a CPU quota of \($0) CPUs" } ?? "")\n".utf8))
        let usesGo = catalogEngines.contains(.go) || !user.goTest.isEmpty
        try TuneCommand.runPlan(plan, runner: runner, appender: appender,
                                goPeerExecutable: usesGo ? common.goPeerExecutable : nil, output: output)
        let cellSet = Set(cells)
        let rows = try CommandErrors.reporting("tune") {
            try ResultsCSV.read(path: appender.path).filter { row in RunSettings(row: row).map { cellSet.contains($0) } ?? false }
        }
        let recommendation = TuneAnalysis.recommend(rows: rows, defaultProcs: defaultProcs, quotaCPUs: quota?.cpus)
        print(recommendation.render(), terminator: "")
        guard let overall = recommendation.overall else {
            CommandErrors.fail("tune", "no candidate has results on every benchmark (see the failed runs above)")
        }
        var chosen = overall.candidate.procs
        let anySignificant = recommendation.workloads.contains { $0.defaultCandidate != nil && $0.recommended != $0.defaultCandidate }
        if overall.relativeToDefault && !anySignificant && overall.candidate.procs != defaultProcs {
            print("no candidate beats the default significantly on any benchmark: keeping the default procs=\(defaultProcs) (more --reps may separate them)")
            chosen = defaultProcs
        }
        let answer = ContainerAnswer.make(rows: rows, recommendation: recommendation, chosen: chosen,
                                          quotaCPUs: quota?.cpus, cpus: cpus)
        print(answer.render(), terminator: "")
    }
}
