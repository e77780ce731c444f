// Builds a Topology of the running machine from libnuma, or one node when NUMA is unavailable.
import CRuntime

/// Reads the running machine's NUMA layout through libnuma (`numa_node_of_cpu`,
/// `numa_distance`, `numa_node_size64`). Where libnuma says NUMA is unavailable (a kernel
/// without it, or a sandbox that blocks get_mempolicy) the machine is one node 0 holding
/// every online CPU and the memory of /proc/meminfo; that is not an error.
public enum LibnumaTopologyReader {
    public static func read(sysRoot: String = "/sys", procRoot: String = "/proc") throws -> Topology {
        let online = try onlineCPUs(sysRoot: sysRoot)
        guard gb_numa_available() == 1 else {
            let memory = SystemFile.readText(procRoot + "/meminfo").map(SysfsTopologyReader.parseMeminfo)
            return try Topology(
                nodes: [NUMANode(id: 0, cpus: online, memoryTotalBytes: memory?.total, memoryFreeBytes: memory?.free)],
                source: .singleNode)
        }
        let maximumNode = Int(gb_numa_max_node())
        let nodeIDs = (0...max(0, maximumNode)).filter { gb_numa_node_exists(Int32($0)) == 1 }
        var cpusByNode: [Int: [Int]] = [:]
        for cpu in online {
            let node = Int(gb_numa_node_of_cpu(Int32(cpu)))
            if node >= 0 { cpusByNode[node, default: []].append(cpu) }
        }
        let nodes = nodeIDs.map { id -> NUMANode in
            var freeBytes: Int64 = -1
            let totalBytes = gb_numa_node_memory_bytes(Int32(id), &freeBytes)
            return NUMANode(
                id: id, cpus: CPUSet(cpusByNode[id] ?? []),
                memoryTotalBytes: totalBytes >= 0 ? totalBytes : nil,
                memoryFreeBytes: totalBytes >= 0 && freeBytes >= 0 ? freeBytes : nil)
        }
        // libnuma answers 0 for a distance it could not read; then use Linux's defaults.
        var distances: [[Int]]? = nodeIDs.map { from in nodeIDs.map { to in Int(gb_numa_distance(Int32(from), Int32(to))) } }
        if distances!.joined().contains(where: { $0 <= 0 }) { distances = nil }
        return try Topology(nodes: nodes, distances: distances, source: .libnuma)
    }

    /// The online CPUs from `<sysRoot>/devices/system/cpu/online`, else the calling
    /// thread's affinity mask (a container may hide /sys).
    static func onlineCPUs(sysRoot: String) throws -> CPUSet {
        let path = sysRoot + "/devices/system/cpu/online"
        if let text = SystemFile.readText(path) {
            return try SysfsTopologyReader.parseCPUList(text, path: path)
        }
        return try ThreadAffinity.current()
    }
}
