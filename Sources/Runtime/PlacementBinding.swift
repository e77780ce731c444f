// PlacementBinding: where each P runs (its CPUs and NUMA node) and the order in which a
// P looks at the others when it steals. The policy maps come from Topology/ (PlacementMap,
// StealOrder); this type applies them to the scheduler:
//
// - an M that takes a P is bound to the P's CPUs (the affinity call is made only when the
//   binding changes);
// - a P steals from the Ps of its own node first (in a random order, as Go's randomOrder),
//   then from other nodes by increasing distance; with `none` every other P is one group,
//   which is exactly Go's topology-blind order;
// - GOMAXPROCS changes re-place the Ps.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

struct PlacementBinding {
    let policy: PlacementPolicy
    let topology: Topology?
    /// Per P (index = P id): its victim groups, nearest first.
    private(set) var victimGroups: [[[Int32]]] = []
    private(set) var map: PlacementMap?
    /// Per node: the nodes holding Ps, nearest first (StealOrder.wakeNodeOrder).
    private(set) var wakeOrders: [Int32: [Int32]] = [:]

    /// CPU number -> node id (-1: unknown), to observe where an unbound M runs.
    let nodeOfCPU: [Int32]

    init(policy: PlacementPolicy, topology: Topology?) {
        self.policy = policy
        self.topology = topology
        var table: [Int32] = []
        if let topology, topology.nodes.count > 1 {
            let maxCPU = topology.allCPUs.cpus.last ?? 0
            table = [Int32](repeating: -1, count: maxCPU + 1)
            for n in topology.nodes { for c in n.cpus { table[c] = Int32(n.id) } }
        }
        nodeOfCPU = table
    }

    /// Under `none` Ps have no node of their own: record the node of the CPU the P's M
    /// runs on now (sched_getcpu), so that remote steals can be counted the same way as
    /// under a placement. Does nothing with one node or a placement.
    @inline(__always)
    func observeNode(of p: Processor) {
        if nodeOfCPU.isEmpty || policy != .none { return }
        let cpu = Int(gb_current_cpu())
        if cpu >= 0 && cpu < nodeOfCPU.count && nodeOfCPU[cpu] >= 0 { p.node = nodeOfCPU[cpu] }
    }

    /// Recomputes the placement for `allP` and gives each P its CPUs and node (Go's
    /// procresize calls this with the world stopped).
    mutating func apply(to allP: [Processor]) {
        victimGroups = []
        wakeOrders = [:]
        map = nil
        if let topology, let m = try? PlacementMap(topology: topology, processorCount: allP.count, policy: policy) {
            map = m
            let realNodes = topology.source != .override && topology.nodes.count > 1
            // On one node there is no locality to keep: binding would only take CPU choice
            // away from the OS (measured on this 2-CPU machine: syscall-heavy +20%, spawn
            // +10% with Ms pinned), so compact and spread place nothing there.
            let binds = m.bindsThreads && topology.nodesWithCPUs.count > 1
            for (i, p) in allP.enumerated() {
                let entry = m.processors[i]
                p.cpus = binds ? entry.cpus.cpus.map { Int32($0) } : []
                p.node = Int32(entry.node ?? 0)
                p.memoryNode = realNodes && binds && entry.node != nil ? Int32(entry.node!) : -1
            }
            let order = StealOrder(placement: m, topology: topology)
            victimGroups = order.victimGroups.map { $0.map { $0.map { Int32($0) } } }
            wakeOrders = [:]
            if order.wakeNodeOrder.count > 1 {
                for (node, nodes) in order.wakeNodeOrder { wakeOrders[Int32(node)] = nodes.map { Int32($0) } }
            }
        } else {
            for p in allP { p.cpus = []; p.node = 0; p.memoryNode = -1 }
        }
    }

    /// Nodes holding Ps, from `node` outward (nil: no placement, one node).
    func wakeOrder(from node: Int32) -> [Int32]? {
        wakeOrders[node]
    }

    /// The node of the P that will get id `id` (for node-local memory at P creation).
    func node(forProcessor id: Int, count: Int) -> Int? {
        guard let topology, policy != .none,
              let m = try? PlacementMap(topology: topology, processorCount: count, policy: policy),
              id < m.processors.count else { return nil }
        return m.processors[id].node
    }

    /// Binds `m`'s thread to `p`'s CPUs; the affinity call is made only when the binding
    /// changes.
    func bind(_ m: Machine, to p: Processor) {
        if p.cpus == m.boundCPUs { return }
        m.boundCPUs = p.cpus
        applyThreadAffinity(p.cpus)
    }

    /// Calls `visit` with every other P in steal order (own node first, in a random
    /// order within each group: a random start and a stride coprime to the group size);
    /// stops when `visit` returns true.
    @inline(__always)
    func forEachVictim(of p: Processor, allP: [Processor], _ visit: (Processor) -> Bool) {
        p.stealRandom ^= p.stealRandom << 13
        p.stealRandom ^= p.stealRandom >> 7
        p.stealRandom ^= p.stealRandom << 17
        let r = p.stealRandom
        if p.id < victimGroups.count, victimGroups.count == allP.count {
            for group in victimGroups[p.id] {
                let n = group.count
                if n == 0 { continue }
                let start = Int(r % UInt64(n))
                let stride = coprimeStride(n, r >> 32)
                var i = start
                for _ in 0..<n {
                    if visit(allP[Int(group[i])]) { return }
                    i = (i + stride) % n
                }
            }
            return
        }
        // No placement: Go's order over all Ps.
        let n = allP.count
        let start = Int(r % UInt64(n))
        let stride = coprimeStride(n, r >> 32)
        var i = start
        for _ in 0..<n {
            let v = allP[i]
            if v !== p, visit(v) { return }
            i = (i + stride) % n
        }
    }

    /// A stride in 1..<n+1 coprime to n, picked by `r` (Go's randomOrder).
    @inline(__always)
    private func coprimeStride(_ n: Int, _ r: UInt64) -> Int {
        if n <= 2 { return 1 }
        var s = Int(r % UInt64(n)) + 1
        while gcd(s, n) != 1 { s = s % n + 1 }
        return s
    }

    private func gcd(_ a: Int, _ b: Int) -> Int {
        var a = a, b = b
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }
}

/// Sets the calling thread's CPU affinity (empty: the process's mask at start).
func applyThreadAffinity(_ cpus: [Int32]) {
    let list = cpus.isEmpty ? (processAffinityAtStart ?? []) : cpus
    if list.isEmpty { return }
    // A refused binding (the CPUs are not online here) leaves the thread where it is.
    try? ThreadAffinity.set(CPUSet(list.map { Int($0) }))
}

/// The process's affinity mask when the runtime started, to unbind threads again.
nonisolated(unsafe) var processAffinityAtStart: [Int32]? = nil
