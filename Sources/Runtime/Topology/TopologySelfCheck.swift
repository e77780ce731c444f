// Checks the machine against the topology: thread binding and node-local memory.
import CRuntime

/// The outcome of one self-check.
public struct SelfCheckOutcome: Equatable, Sendable {
    public enum Status: String, Equatable, Sendable { case passed, failed, skipped }
    public let name: String
    public let status: Status
    public let detail: String

    public init(name: String, status: Status, detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// Verifies on the running machine what the topology and placement promise: that a thread
/// bound to a P's CPUs reports exactly those CPUs (through sched_getaffinity by tid 0 and
/// by its own tid, and through /proc/self/task/TID/status), and that memory allocated on
/// a node is on that node (get_mempolicy and move_pages). The VM check runs it inside
/// guests with a known topology; more checks (per-M affinity, per-P memory) belong here.
public enum TopologySelfCheck {
    /// The number of pages allocated per node for the memory check.
    static let pagesPerNode = 4

    /// Runs every check on the calling thread and restores its affinity afterwards.
    public static func run(snapshot: TopologySnapshot, placement: PlacementMap) -> [SelfCheckOutcome] {
        if snapshot.machineTopology.source == .override {
            return [SelfCheckOutcome(name: "binding", status: .skipped, detail: "the topology is a simulated override")]
        }
        return bindingChecks(placement: placement, snapshot: snapshot) + memoryChecks(topology: snapshot.narrowedTopology)
    }

    static func bindingChecks(placement: PlacementMap, snapshot: TopologySnapshot) -> [SelfCheckOutcome] {
        let original: CPUSet
        do {
            original = try ThreadAffinity.current()
        } catch {
            return [SelfCheckOutcome(name: "affinity-read", status: .failed, detail: "\(error)")]
        }
        defer { try? ThreadAffinity.set(original) }
        var outcomes: [SelfCheckOutcome] = []
        outcomes.append(SelfCheckOutcome(
            name: "affinity-mask", status: original == snapshot.affinity ? .passed : .failed,
            detail: "thread mask \(original.cpulist), snapshot mask \(snapshot.affinity.cpulist)"))
        let threadID = gb_gettid()
        var seen = Set<CPUSet>()
        for entry in placement.processors where seen.insert(entry.cpus).inserted {
            let name = "bind-P\(entry.processor)"
            do {
                try ThreadAffinity.set(entry.cpus)
                let byZero = try ThreadAffinity.current()
                let byThreadID = try ThreadAffinity.of(threadID: threadID)
                let statusPath = "/proc/self/task/\(threadID)/status"
                let fromProc = SystemFile.readText(statusPath).flatMap { statusText -> CPUSet? in
                    guard let line = statusText.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
                    return try? CPUSet(parsing: String(line.dropFirst("Cpus_allowed_list:".count)))
                }
                let node = entry.node.map { " node \($0)" } ?? ""
                let agrees = byZero == entry.cpus && byThreadID == entry.cpus && fromProc == entry.cpus
                let nodeAgrees = entry.node == nil || entry.cpus.allSatisfy { snapshot.machineTopology.nodeID(ofCPU: $0) == entry.node }
                outcomes.append(SelfCheckOutcome(
                    name: name, status: agrees && nodeAgrees ? .passed : .failed,
                    detail: "want \(entry.cpus.cpulist)\(node); sched_getaffinity(0) \(byZero.cpulist), "
                        + "sched_getaffinity(\(threadID)) \(byThreadID.cpulist), \(statusPath) \(fromProc?.cpulist ?? "unreadable")"))
            } catch {
                outcomes.append(SelfCheckOutcome(name: name, status: .failed, detail: "\(error)"))
            }
        }
        return outcomes
    }

    static func memoryChecks(topology: Topology) -> [SelfCheckOutcome] {
        guard NodeLocalMemory.isNUMAAvailable else {
            return [SelfCheckOutcome(name: "memory", status: .skipped, detail: "libnuma says NUMA is unavailable")]
        }
        let pageBytes = NodeLocalMemory.pageSizeBytes
        let bytes = pageBytes * pagesPerNode
        return topology.nodes.map { node -> SelfCheckOutcome in
            let name = "memory-node\(node.id)"
            guard let total = node.memoryTotalBytes, total > 0 else {
                return SelfCheckOutcome(name: name, status: .skipped, detail: "node \(node.id) has no memory")
            }
            guard let block = NodeLocalMemory.allocate(bytes: bytes, node: node.id) else {
                return SelfCheckOutcome(name: name, status: .failed, detail: "numa_alloc_onnode(\(bytes), \(node.id)) failed")
            }
            defer { NodeLocalMemory.free(block, bytes: bytes) }
            var policyNodes: [Int] = [], movePagesNodes: [Int] = []
            for page in 0..<pagesPerNode {
                let address = block + page * pageBytes
                address.storeBytes(of: UInt8(truncatingIfNeeded: page + 1), as: UInt8.self) // fault the page in
                policyNodes.append(NodeLocalMemory.nodeOfAddress(address))
                movePagesNodes.append(NodeLocalMemory.queriedNodeOfPage(address))
            }
            let passed = policyNodes.allSatisfy { $0 == node.id } && movePagesNodes.allSatisfy { $0 == node.id }
            return SelfCheckOutcome(
                name: name, status: passed ? .passed : .failed,
                detail: "\(pagesPerNode) pages on node \(node.id): get_mempolicy \(policyNodes), move_pages \(movePagesNodes)")
        }
    }
}
