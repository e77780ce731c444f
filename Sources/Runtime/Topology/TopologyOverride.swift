// GOBENCH_TOPOLOGY / --topology, a simulated machine such as `0-3:4-7`, as a Topology.

// Re-exported: the runtime's public API takes and returns the settings' types (CPUSet in
// Topology, PlacementPolicy in PlacementMap), so a program that imports Runtime needs them.
@_exported import GobenchSettings

/// A topology given as text instead of read from the machine, for tests and for trying
/// placements of a machine one does not have. The grammar is TopologyOverrideText's
/// (GobenchSettings); this adds what needs the whole machine: no CPU in two nodes, a valid
/// distance matrix.
///
/// The override stands for the whole machine: the affinity mask is taken as all of its
/// CPUs unless the caller narrows it explicitly, and node memory is unknown.
public enum TopologyOverride {
    /// The environment variable that holds an override.
    public static let environmentVariable = "GOBENCH_TOPOLOGY"

    public static func parse(_ text: String) throws -> Topology {
        let parsed = try TopologyOverrideText(parsing: text)
        do {
            return try Topology(nodes: parsed.nodes.enumerated().map { NUMANode(id: $0.offset, cpus: $0.element) },
                                distances: parsed.distances, source: .override)
        } catch let error as TopologyError {
            throw TopologyError.malformedOverride(text: text.trimmingSettingWhitespace(), reason: error.description)
        }
    }
}
