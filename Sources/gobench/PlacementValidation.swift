// Placements checked against the machine before run, sweep or tune starts a child: a
// `nodes=` list naming a node that does not exist (or has no CPU in the affinity mask) is
// bad input, rejected as `gobench topology` rejects it, not a run recorded under a
// placement it never had; so is a malformed GOBENCH_TOPOLOGY, whatever the placement.
import Foundation
import GobenchKit
import Runtime

enum PlacementValidation {
    /// Throws a SettingsError naming the first placement that `engines` cannot apply. The
    /// swift engines' runtime sees GOBENCH_TOPOLOGY when it is set (else the machine, through
    /// libnuma); the Go peer always reads the machine's nodes.
    static func check(_ placements: [PlacementPolicy], engines: [BenchmarkEngine]) throws {
        // The swift runtime reads a GOBENCH_TOPOLOGY override at start-up whatever the
        // placement, and refuses a malformed one: every run would end as `crashed`.
        if hasTopologyOverride && engines.contains(where: { $0 != .go }) {
            do {
                _ = try TopologySnapshot.discover(overrideText: nil)
            } catch {
                throw SettingsError("\(TopologyOverride.environmentVariable): \(error)")
            }
        }
        let placed = placements.filter { $0 != .none }
        guard !placed.isEmpty else { return }
        // nil: as the swift runtime reads it (GOBENCH_TOPOLOGY, else libnuma); "": the machine.
        var views: [String?] = []
        let swiftEngines = engines.contains { $0 != .go }
        if swiftEngines { views.append(nil) }
        if engines.contains(.go) && (!swiftEngines || hasTopologyOverride) { views.append("") }
        for overrideText in views {
            let snapshot: TopologySnapshot
            do {
                snapshot = try TopologySnapshot.discover(overrideText: overrideText)
            } catch {
                let origin = overrideText == nil && hasTopologyOverride ? " (\(TopologyOverride.environmentVariable))" : ""
                throw SettingsError("placement \(placed[0]): cannot read the topology\(origin): \(error)")
            }
            for placement in placed {
                do {
                    _ = try PlacementMap(topology: snapshot.narrowedTopology, processorCount: 1, policy: placement)
                } catch {
                    let origin = overrideText == nil && hasTopologyOverride
                        ? " on the topology of \(TopologyOverride.environmentVariable)" : ""
                    throw SettingsError("placement '\(placement)'\(origin): \(error)")
                }
            }
        }
    }

    private static var hasTopologyOverride: Bool {
        !(ProcessInfo.processInfo.environment[TopologyOverride.environmentVariable] ?? "").isEmpty
    }
}
