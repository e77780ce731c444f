// A self-check of NUMA placement inside a running runtime: every P's M runs on the P's
// CPUs, and every P's run queue, goroutine stacks and cached free goroutines live on the
// P's node. The multi-node VM check
// (scripts/numa-vm-check.sh) runs it through `gobench placement-check`.
import CRuntime

public struct PlacementCheckResult: Sendable {
    public var processors: [(id: Int, node: Int, cpus: [Int], threadCPUs: [Int], queueNode: Int, stackNode: Int)] = []
    /// Per P: the free Gs in its cache and how many of them are on its node (memory of
    /// the G objects, asked of the kernel page by page).
    public var freeGoroutines: [(id: Int, cached: Int, onNode: Int)] = []
    public var problems: [String] = []
    public init() {}
}

extension Runtime {
    /// Runs goroutines on every P until each P has been seen, and compares each M's
    /// thread affinity and each run queue's memory node with the placement. Call it from
    /// the main goroutine.
    public static func placementCheck() -> PlacementCheckResult {
        var result = PlacementCheckResult()
        guard let s = sched else { result.problems.append("runtime not running"); return result }
        let lock = GoMutex()
        var seen: [Int: [Int]] = [:]
        var stackNodes: [Int: Int] = [:]
        var freeCounts: [Int: (cached: Int, onNode: Int)] = [:]
        let deadline = gb_nanotime() + 5_000_000_000
        while seen.count < s.gomaxprocs && gb_nanotime() < deadline {
            let wg = WaitGroup()
            for _ in 0..<(4 * s.gomaxprocs) {
                wg.add(1)
                go {
                    // Busy for a moment so that the other Ps take work.
                    var x: UInt64 = 1
                    for _ in 0..<200_000 { x = x &* 6364136223846793005 &+ 1 }
                    guard let m = Machine.current, let p = m.p else { wg.done(); return }
                    let cpus = (try? ThreadAffinity.current().cpus) ?? []
                    // Where this goroutine's stack lives (a local of this frame).
                    let stackNode = withUnsafeMutablePointer(to: &x) {
                        Int(gb_numa_query_page_node(UnsafeMutableRawPointer($0)))
                    }
                    // This P's free-G cache (ours to read: we run on the P).
                    var cached = 0, onNode = 0
                    if p.memoryNode >= 0 {
                        for i in 0..<min(p.freeList.count, 64) {
                            cached += 1
                            let node = gb_numa_query_page_node(UnsafeMutableRawPointer(bitPattern: p.freeList[i]))
                            if node == p.memoryNode { onNode += 1 }
                        }
                    }
                    lock.lock()
                    if cached > (freeCounts[p.id]?.cached ?? 0) { freeCounts[p.id] = (cached, onNode) }
                    if seen[p.id] == nil { seen[p.id] = cpus }
                    if p.memoryNode >= 0 && stackNodes[p.id] == nil { stackNodes[p.id] = stackNode }
                    lock.unlock()
                    if x == 42 { print(x) }
                    wg.done()
                }
            }
            wg.wait()
        }
        for p in s.allP {
            let want = p.cpus.map { Int($0) }.sorted()
            let got = seen[p.id] ?? []
            let queueNode = Int(gb_numa_query_page_node(p.runQueue.slotsAddress))
            let stackNode = stackNodes[p.id] ?? -1
            result.processors.append((p.id, Int(p.node), want, got, queueNode, stackNode))
            if p.memoryNode >= 0 && stackNode >= 0 && stackNode != Int(p.memoryNode) {
                result.problems.append("P\(p.id): a goroutine's stack on node \(stackNode), the P is on node \(p.memoryNode)")
            }
            if let f = freeCounts[p.id] {
                result.freeGoroutines.append((p.id, f.cached, f.onNode))
                // Fresh pages of a bound thread come from its node; a reused malloc chunk
                // may not: most, not all, must be local.
                if f.cached >= 4 && f.onNode * 10 < f.cached * 9 {
                    result.problems.append("P\(p.id): \(f.onNode) of \(f.cached) cached free goroutines on its node \(p.memoryNode)")
                }
            }
            if seen[p.id] == nil {
                result.problems.append("P\(p.id): no goroutine ran on it")
            } else if !want.isEmpty && got != want {
                result.problems.append("P\(p.id): its M runs on CPUs \(got), the placement says \(want)")
            }
            // A simulated topology (GOBENCH_TOPOLOGY) has no real nodes to compare with.
            let realNodes = s.placement.topology?.source != .override
            if realNodes && !want.isEmpty && queueNode >= 0 && queueNode != Int(p.node) {
                result.problems.append("P\(p.id): run queue on node \(queueNode), the P is on node \(p.node)")
            }
        }
        return result
    }
}
