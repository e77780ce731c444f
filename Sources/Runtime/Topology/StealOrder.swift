// Which Ps a P steals from first, and which nodes a spawning node wakes first.

/// The NUMA-aware search orders of Vyukov's 2014 proposal, computed once per placement:
/// a P steals from Ps of its own node first, then from nodes by increasing distance;
/// a spawn on a node wakes an idle P on that node first, then on the nearest nodes.
///
/// Orders are groups: the caller randomizes within a group (as Go randomizes its victim
/// order) and goes through the groups in order. Nodes at the same distance share a group.
/// With `none` placement Ps have no node: one group of every other P, Go's behaviour.
public struct StealOrder: Equatable, Sendable {
    /// `victimGroups[p]`: the groups of P indices that P `p` tries, nearest first; never
    /// contains `p` itself, and every other P appears exactly once.
    public let victimGroups: [[[Int]]]
    /// `wakeNodeOrder[node]`: the nodes holding Ps, from `node` outward (itself first);
    /// keyed by the nodes that hold Ps, so empty with `none` placement.
    public let wakeNodeOrder: [Int: [Int]]

    public init(placement: PlacementMap, topology: Topology) {
        let byNode = placement.processorsByNode
        var groupsByProcessor: [[[Int]]] = []
        for entry in placement.processors {
            let others = placement.processors.map(\.processor).filter { $0 != entry.processor }
            guard let home = entry.node, topology.node(withID: home) != nil else {
                groupsByProcessor.append(others.isEmpty ? [] : [others])
                continue
            }
            var groups: [[Int]] = []
            let sameNode = (byNode[home] ?? []).filter { $0 != entry.processor }
            if !sameNode.isEmpty { groups.append(sameNode) }
            // Other nodes holding Ps, grouped by their distance from home.
            var byDistance: [Int: [Int]] = [:]
            for (node, processors) in byNode where node != home {
                let distance = topology.distance(fromNode: home, toNode: node) ?? Int.max
                byDistance[distance, default: []].append(contentsOf: processors)
            }
            for distance in byDistance.keys.sorted() { groups.append(byDistance[distance]!.sorted()) }
            groupsByProcessor.append(groups)
        }
        self.victimGroups = groupsByProcessor
        var wake: [Int: [Int]] = [:]
        for node in byNode.keys { wake[node] = topology.nodeIDsByDistance(from: node).filter { byNode[$0] != nil } }
        self.wakeNodeOrder = wake
    }
}
