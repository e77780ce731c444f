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
            let (userWorkloads, cgroups, quotas) = try user.prepare(command: "run")
            do {
                var settings: RunSettings
                var runner: ChildRunner
                if user.isActive {
                    let cells = userWorkloads.cells(procs: [procs ?? cpus], placements: [placement])
                    guard cells.count == 1 else {
                        throw SettingsError("run measures one benchmark or command; these \(cells.count) match (narrow --bench, or use sweep): \(cells.map { $0.params.isEmpty ? $0.workload : "\($0.workload) [\($0.params)]" }.joined(separator: ", "))")
                    }
                    settings = cells[0]
                    runner = try common.childRunner(for: [])
                } else {
                    guard let workload else { throw SettingsError("name a workload (see gobench list), or pass --go-test or --command") }
                    let spec = try Catalog.workload(named: workload)
                    guard spec.applies(to: engine) else {
                        throw CatalogError("\(spec.name) does not run on engine \(engine.rawValue)")
                    }
                    try PlacementValidation.check([placement], engines: [engine])
                    settings = RunSettings(workload: spec.name, engine: engine,
                                           procs: try spec.runProcs(requested: procs, machineDefault: cpus),
                                           scavenge: scavenge,
                                           placement: placement,
                                           params: try spec.resolvedParameters(try ParameterAssignments.parse(params)))
                    runner = try common.childRunner(for: [engine])
                }
                guard settings.procs >= 1, settings.procs <= ProcsList.maximum else {
                    throw SettingsError("procs \(settings.procs) is not from 1 to \(ProcsList.maximum)")
                }
                if let quota = quotas?.first { settings.params = try CPUQuotaSetting.adding(quota, to: settings.params) }
                UserWorkloadOptions.install(on: &runner, user: userWorkloads, cgroups: cgroups, cpus: cpus)
                return PreparedUserRun(settings: settings, runner: runner, user: userWorkloads)
            } catch {
                userWorkloads.removeBinaries()
                throw error
            }
        }
    }
}
