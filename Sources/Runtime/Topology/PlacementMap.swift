// The pure function (topology, procs, policy) -> each P's CPU set and node.

/// Where one P runs: the CPUs its M binds to and the node whose memory it uses.
public struct ProcessorPlacement: Equatable, Sendable {
    /// The P's index, 0..<procs.
    public let processor: Int
    /// The CPUs an M holding this P binds to. With `none`: the whole affinity mask.
    public let cpus: CPUSet
    /// The node of those CPUs; nil with `none` (the P belongs to no node).
    public let node: Int?

    public init(processor: Int, cpus: CPUSet, node: Int?) {
        self.processor = processor
        self.cpus = cpus
        self.node = node
    }
}

/// The placement of every P, computed once when GOMAXPROCS is set.
///
/// Binding policies give each P one CPU. With more Ps than usable CPUs the CPU order
/// wraps around, so several Ps share a CPU (oversubscription, as the user asked for).
public struct PlacementMap: Equatable, Sendable {
    public let policy: PlacementPolicy
    /// One entry per P, by P index.
    public let processors: [ProcessorPlacement]

    /// Places `processorCount` Ps on `topology` (already narrowed to the affinity mask).
    /// Throws when the count is below 1, the topology has no CPU, or `nodes=` names a node
    /// that does not exist or has no CPU in the mask.
    public init(topology: Topology, processorCount: Int, policy: PlacementPolicy) throws {
        guard processorCount >= 1 else {
            throw TopologyError.malformedProcessorCount(text: String(processorCount), origin: "procs")
        }
        let usable = topology.nodesWithCPUs
        guard !usable.isEmpty else { throw TopologyError.noUsableCPUs }
        let cpuOrder: [(cpu: Int, node: Int)]
        switch policy {
        case .none:
            let all = topology.allCPUs
            self.policy = policy
            self.processors = (0..<processorCount).map { ProcessorPlacement(processor: $0, cpus: all, node: nil) }
            return
        case .compact:
            cpuOrder = usable.flatMap { node in node.cpus.map { (cpu: $0, node: node.id) } }
        case .spread:
            // Round i takes the i-th CPU of every node that still has one (uneven nodes
            // drop out when they run out).
            var order: [(cpu: Int, node: Int)] = []
            let deepest = usable.map(\.cpus.count).max() ?? 0
            for round in 0..<deepest {
                for node in usable where round < node.cpus.count {
                    order.append((cpu: node.cpus.cpus[round], node: node.id))
                }
            }
            cpuOrder = order
        case let .nodes(chosen):
            let existing = usable.map { String($0.id) }.joined(separator: ",")
            cpuOrder = try chosen.flatMap { id -> [(cpu: Int, node: Int)] in
                guard let node = topology.node(withID: id) else {
                    throw TopologyError.nonexistentNode(node: id, existing: existing)
                }
                guard !node.cpus.isEmpty else { throw TopologyError.nodeWithoutCPUs(node: id) }
                return node.cpus.map { (cpu: $0, node: id) }
            }
        }
        self.policy = policy
        self.processors = (0..<processorCount).map { index in
            let slot = cpuOrder[index % cpuOrder.count]
            return ProcessorPlacement(processor: index, cpus: CPUSet([slot.cpu]), node: slot.node)
        }
    }

    public var processorCount: Int { processors.count }

    /// Whether Ms bind their threads to their P's CPUs (every policy but `none`).
    public var bindsThreads: Bool { policy != .none }

    /// The P indices on each node, by node number (empty with `none`).
    public var processorsByNode: [Int: [Int]] {
        var groups: [Int: [Int]] = [:]
        for placement in processors {
            if let node = placement.node { groups[node, default: []].append(placement.processor) }
        }
        return groups
    }
}
