// PlacementBinding: where each P runs (its CPUs and NUMA node) and the order in which a
// P looks at the others when it steals. The policy maps come from Topology/ (the
// placement policies); this type applies them to the scheduler.
import CRuntime

struct PlacementBinding {
    /// Per P: its CPUs (empty: no binding, the OS decides) and its node.
    var cpusOfP: [[Int32]] = []
    var nodeOfP: [Int32] = []
    /// Node distances, for the steal order across nodes (nil: one node).
    var distance: [[Int]]? = nil

    init(configuration: RuntimeConfiguration) {}

    /// Gives each P its CPUs and node (after a GOMAXPROCS change).
    func apply(to allP: [Processor]) {
        for p in allP {
            p.cpus = p.id < cpusOfP.count ? cpusOfP[p.id] : []
            p.node = p.id < nodeOfP.count ? nodeOfP[p.id] : 0
        }
    }

    /// Binds `m`'s thread to `p`'s CPUs; the affinity call is made only when the binding
    /// changes.
    func bind(_ m: Machine, to p: Processor) {
        if p.cpus == m.boundCPUs { return }
        m.boundCPUs = p.cpus
        applyThreadAffinity(p.cpus)
    }

    /// Go's stealOrder: a random start and a stride coprime to the number of Ps visit
    /// every P once; with several nodes, the P's own node comes first, then the others
    /// by increasing distance (each group in that random order).
    func stealOrder(for p: Processor, allP: [Processor]) -> [Processor] {
        let n = allP.count
        p.stealRandom ^= p.stealRandom << 13
        p.stealRandom ^= p.stealRandom >> 7
        p.stealRandom ^= p.stealRandom << 17
        let r = p.stealRandom
        let start = Int(r % UInt64(n))
        let strides = coprimes(n)
        let stride = strides[Int((r >> 32) % UInt64(strides.count))]
        var order: [Processor] = []
        order.reserveCapacity(n)
        var i = start
        for _ in 0..<n {
            order.append(allP[i])
            i = (i + stride) % n
        }
        guard let distance, distance.count > 1 else { return order }
        let home = Int(p.node)
        return order.enumerated().sorted { a, b in
            let da = distance[home][Int(a.element.node)], db = distance[home][Int(b.element.node)]
            return da != db ? da < db : a.offset < b.offset
        }.map(\.element)
    }

    private func coprimes(_ n: Int) -> [Int] {
        var out: [Int] = []
        for i in 1...max(1, n) where gcd(i, n) == 1 { out.append(i) }
        return out
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}

/// Sets the calling thread's CPU affinity (empty: the process's mask at start).
func applyThreadAffinity(_ cpus: [Int32]) {
    let list = cpus.isEmpty ? (processAffinityAtStart ?? []) : cpus
    if list.isEmpty { return }
    var words = [UInt64](repeating: 0, count: 16) // 1024 CPUs
    for c in list where c >= 0 && Int(c) < words.count * 64 {
        words[Int(c) / 64] |= 1 << UInt64(Int(c) % 64)
    }
    _ = words.withUnsafeBufferPointer { gb_sched_setaffinity(0, $0.baseAddress, $0.count) }
}

/// The process's affinity mask when the runtime started, to unbind threads again.
nonisolated(unsafe) var processAffinityAtStart: [Int32]? = nil
