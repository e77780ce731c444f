// Everything the runtime learns at start-up about where it may run, read once.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The machine as the runtime sees it at start-up: the topology (from libnuma or an
/// override), the affinity mask, the cgroup quota, the topology narrowed to the mask,
/// and the default GOMAXPROCS with its rule. The scheduler builds its PlacementMap from
/// `narrowedTopology`; `gobench topology` prints all of it.
public struct TopologySnapshot: Equatable, Sendable {
    /// The whole machine (or the simulated one of an override).
    public let machineTopology: Topology
    /// The CPUs this process may run on.
    public let affinity: CPUSet
    /// The cgroup CPU quota, nil when none applies.
    public let quota: CgroupQuota?
    /// Why the quota could not be read, when a cgroup file was malformed (then no quota
    /// is applied: a broken cgroup file must not stop a benchmark).
    public let quotaProblem: String?
    /// `machineTopology` seen through `affinity`.
    public let narrowedTopology: Topology
    public let defaultProcessors: DefaultProcessorCount

    /// Builds a snapshot from its parts; the seam tests use.
    public init(machineTopology: Topology, affinity: CPUSet, quota: CgroupQuota?, quotaProblem: String? = nil,
                gomaxprocsEnvironmentValue: String?) throws {
        self.machineTopology = machineTopology
        self.affinity = affinity
        self.quota = quota
        self.quotaProblem = quotaProblem
        self.narrowedTopology = try machineTopology.narrowed(toAffinity: affinity)
        self.defaultProcessors = try DefaultProcessorCount.compute(
            affinityCPUCount: narrowedTopology.allCPUs.count, quota: quota, environmentValue: gomaxprocsEnvironmentValue)
    }

    /// Reads the running machine.
    /// - `overrideText`: a topology override (`--topology`); nil reads `GOBENCH_TOPOLOGY`,
    ///   and when that is unset too, libnuma.
    /// - `affinityOverride`: CPUs to use instead of the thread's mask (`--affinity`). With a
    ///   topology override and no affinity override, the mask is all of the override's CPUs.
    public static func discover(overrideText: String? = nil, affinityOverride: CPUSet? = nil) throws -> TopologySnapshot {
        let overrideSource = overrideText ?? environment(TopologyOverride.environmentVariable)
        let machine: Topology
        let affinity: CPUSet
        if let overrideSource, !overrideSource.isEmpty {
            machine = try TopologyOverride.parse(overrideSource)
            affinity = affinityOverride ?? machine.allCPUs
        } else {
            machine = try LibnumaTopologyReader.read()
            if let affinityOverride {
                affinity = affinityOverride
            } else {
                // The thread's mask can name CPUs that went offline since; keep the ones the
                // topology knows, unless none is left (then narrowing reports the mask).
                let threadMask = try ThreadAffinity.current()
                let known = threadMask.intersection(machine.allCPUs)
                affinity = known.isEmpty ? threadMask : known
            }
        }
        var quota: CgroupQuota? = nil
        var problem: String? = nil
        do {
            quota = try CgroupQuota.read()
        } catch let error as TopologyError {
            problem = error.description
        }
        return try TopologySnapshot(machineTopology: machine, affinity: affinity, quota: quota, quotaProblem: problem,
                                    gomaxprocsEnvironmentValue: environment("GOMAXPROCS"))
    }

    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
