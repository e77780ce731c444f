// `gobench run --go-test PKG --bench '^BenchmarkX$'`, `gobench run --command N=CMD`, and
// `gobench run WORKLOAD --cpu-quota Q`: the one cell `run` measures, for the user's workloads
// or under a CPU quota (GobenchKit/GoTestEngine.swift, GobenchKit/CgroupQuotaRunner.swift).
import ArgumentParser
import Foundation
import GobenchKit

extension RunCommand {
    struct PreparedUserRun {
        var settings: RunSettings
        var runner: ChildRunner
        var user: UserWorkloads
    }

    /// nil when neither a user workload nor a quota was asked for (the catalog path runs).
    func prepareUserRun() throws -> PreparedUserRun? {
        guard user.isActive || user.cpuQuota != nil else { return nil }
        let cpus = MachineProbe.affinityCPUCount()
        return try CommandErrors.reporting("run") { () throws -> PreparedUserRun in
            if let quota = user.cpuQuota, try CPUQuotaSetting.parseList(quota, cpuCount: cpus).count != 1 {
                throw SettingsError("run takes one --cpu-quota value; sweep takes a list")
            }
            guard reps >= 1 else { throw SettingsError("reps must be at least 1") }
            guard warmup >= 0 else { throw SettingsError("warmup must be 0 or more") }
            let (userWorkloads, cgroups, quotas) = try user.prepare(cpus: cpus, command: "run")
            do {
                var settings: RunSettings
                var runner: ChildRunner
                if user.isActive {
                    guard workload == nil else { throw SettingsError("a catalog workload and --go-test/--command cannot be run together") }
                    let placementSetting = try PlacementPolicy(parsing: placement)
                    let cells = userWorkloads.cells(procs: [procs ?? cpus], placements: [placementSetting])
                    guard cells.count == 1 else {
                        throw SettingsError("run measures one benchmark or command; these \(cells.count) match (narrow --bench, or use sweep): \(cells.map { $0.params.isEmpty ? $0.workload : "\($0.workload) [\($0.params)]" }.joined(separator: ", "))")
                    }
                    settings = cells[0]
                    runner = try child.childRunner(for: [])
                } else {
                    guard let workload else { throw SettingsError("name a workload (see gobench list), or pass --go-test or --command") }
                    let spec = try Catalog.workload(named: workload)
                    let engine = try BenchmarkEngine.parse(self.engine)
                    guard spec.applies(to: engine) else {
                        throw CatalogError("\(spec.name) does not run on engine \(engine.rawValue)")
                    }
                    let placementSetting = try PlacementPolicy(parsing: placement)
                    try PlacementValidation.check([placementSetting], engines: [engine])
                    settings = RunSettings(workload: spec.name, engine: engine,
                                           procs: try spec.runProcs(requested: procs, machineDefault: cpus),
                                           scavenge: try ScavengeSetting.parse(scavenge),
                                           placement: placementSetting,
                                           params: try spec.canonicalParameters(try ParameterAssignments.parse(params)))
                    runner = try child.childRunner(for: [engine])
                }
                guard settings.procs >= 1, settings.procs <= ProcsList.maximum else {
                    throw SettingsError("procs \(settings.procs) is not from 1 to \(ProcsList.maximum)")
                }
                if let quota = quotas?.first { settings.params = CPUQuotaSetting.adding(quota, to: settings.params) }
                UserWorkloadOptions.install(on: &runner, user: userWorkloads, cgroups: cgroups, cpus: cpus)
                return PreparedUserRun(settings: settings, runner: runner, user: userWorkloads)
            } catch {
                userWorkloads.removeBinaries()
                throw error
            }
        }
    }
}
