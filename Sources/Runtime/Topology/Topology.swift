// The machine's NUMA nodes: their CPUs, their memory, and the distances between them.

/// One NUMA node: the CPUs it holds and, when known, its memory.
public struct NUMANode: Equatable, Sendable {
    /// The kernel's node number (numbers can have holes: node0 and node2 without node1).
    public let id: Int
    /// The node's CPUs that are online (and, after narrowing, in the affinity mask).
    public var cpus: CPUSet
    /// The node's memory in bytes, nil when not known (an override does not say).
    public var memoryTotalBytes: Int64?
    /// The node's free memory in bytes at the time it was read, nil when not known.
    public var memoryFreeBytes: Int64?

    public init(id: Int, cpus: CPUSet, memoryTotalBytes: Int64? = nil, memoryFreeBytes: Int64? = nil) {
        self.id = id
        self.cpus = cpus
        self.memoryTotalBytes = memoryTotalBytes
        self.memoryFreeBytes = memoryFreeBytes
    }
}

/// Where a topology came from.
public enum TopologySource: String, Equatable, Sendable {
    /// libnuma on the running machine.
    case libnuma
    /// A sysfs-like directory (tests, or a machine without libnuma's support).
    case sysfs
    /// The `GOBENCH_TOPOLOGY` variable or `--topology`: a simulated machine.
    case override
    /// libnuma says NUMA is unavailable: every online CPU in one node.
    case singleNode = "single-node"
}

/// The NUMA layout the runtime places its Ps on.
///
/// `distances[i][j]` is the ACPI SLIT distance from `nodes[i]` to `nodes[j]` (by position,
/// not node number): 10 is local, larger is farther; Linux's default remote distance is 20.
public struct Topology: Equatable, Sendable {
    /// SLIT's local distance.
    public static let localDistance = 10
    /// Linux's REMOTE_DISTANCE, used when a source gives no distances.
    public static let defaultRemoteDistance = 20

    /// The nodes in increasing node number.
    public let nodes: [NUMANode]
    /// The distance matrix, by position in `nodes`.
    public let distances: [[Int]]
    public let source: TopologySource

    /// Builds a topology after checking it: node numbers unique, no CPU in two nodes, the
    /// distance matrix N x N with positive entries. Nil distances: 10 local, 20 remote.
    public init(nodes unsortedNodes: [NUMANode], distances: [[Int]]? = nil, source: TopologySource) throws {
        var seenNodes = Set<Int>()
        for node in unsortedNodes {
            guard seenNodes.insert(node.id).inserted else { throw TopologyError.duplicateNode(node: node.id) }
        }
        // Sort nodes and carry the matrix along in the same order.
        let order = unsortedNodes.indices.sorted { unsortedNodes[$0].id < unsortedNodes[$1].id }
        let sortedNodes = order.map { unsortedNodes[$0] }
        var owner: [Int: Int] = [:]
        for node in sortedNodes {
            for cpu in node.cpus {
                if let first = owner[cpu] { throw TopologyError.duplicateCPU(cpu: cpu, firstNode: first, secondNode: node.id) }
                owner[cpu] = node.id
            }
        }
        let count = sortedNodes.count
        if let distances {
            guard distances.count == count else {
                throw TopologyError.malformedDistances(reason: "\(distances.count) rows for \(count) nodes")
            }
            for (rowIndex, row) in distances.enumerated() {
                guard row.count == count else {
                    throw TopologyError.malformedDistances(reason: "row \(rowIndex) has \(row.count) values for \(count) nodes")
                }
                if let bad = row.first(where: { $0 < 1 || $0 > 255 }) {
                    throw TopologyError.malformedDistances(reason: "distance \(bad) in row \(rowIndex) is outside 1...255")
                }
            }
            self.distances = order.map { from in order.map { to in distances[from][to] } }
        } else {
            self.distances = (0..<count).map { from in
                (0..<count).map { to in from == to ? Topology.localDistance : Topology.defaultRemoteDistance }
            }
        }
        self.nodes = sortedNodes
        self.source = source
    }

    /// Every CPU of every node.
    public var allCPUs: CPUSet { CPUSet(nodes.flatMap { $0.cpus.cpus }) }

    /// The nodes that hold at least one CPU (memory-only nodes cannot run Ps).
    public var nodesWithCPUs: [NUMANode] { nodes.filter { !$0.cpus.isEmpty } }

    /// The node numbers, in increasing order.
    public var nodeIDs: [Int] { nodes.map(\.id) }

    public func node(withID id: Int) -> NUMANode? { nodes.first { $0.id == id } }

    /// The node that holds `cpu`, nil when no node does.
    public func nodeID(ofCPU cpu: Int) -> Int? { nodes.first { $0.cpus.contains(cpu) }?.id }

    /// The distance between two nodes by node number; nil when either does not exist.
    public func distance(fromNode from: Int, toNode to: Int) -> Int? {
        guard let fromIndex = nodes.firstIndex(where: { $0.id == from }),
              let toIndex = nodes.firstIndex(where: { $0.id == to }) else { return nil }
        return distances[fromIndex][toIndex]
    }

    /// The same machine seen through an affinity mask: each node keeps only the CPUs in
    /// `affinity`. Nodes left without CPUs stay (with their memory) but cannot hold Ps.
    /// Throws when the mask is empty, names a CPU outside the topology, or leaves no CPU.
    public func narrowed(toAffinity affinity: CPUSet) throws -> Topology {
        guard !affinity.isEmpty else { throw TopologyError.emptyAffinity(affinity: "") }
        let outside = affinity.subtracting(allCPUs)
        guard outside.isEmpty else { throw TopologyError.cpuNotInTopology(cpus: outside.cpulist) }
        let narrowedNodes = nodes.map { node -> NUMANode in
            var copy = node
            copy.cpus = node.cpus.intersection(affinity)
            return copy
        }
        guard narrowedNodes.contains(where: { !$0.cpus.isEmpty }) else {
            throw TopologyError.emptyAffinity(affinity: affinity.cpulist)
        }
        return try Topology(nodes: narrowedNodes, distances: distances, source: source)
    }

    /// The distance matrix indexed by node number instead of position, for code that
    /// keeps a node number per P: `distancesByNodeID[a][b]`. Rows and columns of numbers
    /// that are not nodes (holes such as node1 between node0 and node2) hold 255, SLIT's
    /// "unreachable".
    public var distancesByNodeID: [[Int]] {
        let size = (nodes.last?.id ?? -1) + 1
        var matrix = [[Int]](repeating: [Int](repeating: 255, count: size), count: size)
        for (fromIndex, from) in nodes.enumerated() {
            for (toIndex, to) in nodes.enumerated() { matrix[from.id][to.id] = distances[fromIndex][toIndex] }
        }
        return matrix
    }

    /// The node numbers ordered for a search that starts at `node`: the node itself, then
    /// the others by increasing distance from it, ties by node number. This is the wake
    /// order for a spawning node: wake an idle P here first, then on the nearest node.
    /// Empty when `node` does not exist.
    public func nodeIDsByDistance(from node: Int) -> [Int] {
        guard self.node(withID: node) != nil else { return [] }
        return [node] + nodes.map(\.id).filter { $0 != node }.sorted {
            let left = distance(fromNode: node, toNode: $0)!, right = distance(fromNode: node, toNode: $1)!
            return left != right ? left < right : $0 < $1
        }
    }

    /// The topology in `GOBENCH_TOPOLOGY` syntax: CPU lists by node, then the distances,
    /// `0-1:2-3/10,20:20,10`. Equal topologies give equal text; the VM check compares it.
    /// Node numbers are not kept: an override numbers its nodes 0, 1, 2...
    public var overrideText: String {
        let cpuLists = nodes.map { $0.cpus.cpulist }.joined(separator: ":")
        let rows = distances.map { row in row.map(String.init).joined(separator: ",") }.joined(separator: ":")
        return cpuLists + "/" + rows
    }
}
