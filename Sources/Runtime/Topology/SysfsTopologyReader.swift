// Builds a Topology from a sysfs-like directory: devices/system/node/nodeN and cpu/online.

/// Reads the NUMA layout from a directory laid out like `/sys`:
///
///     <root>/devices/system/cpu/online             the online CPUs, a cpulist
///     <root>/devices/system/node/nodeN/cpulist     node N's CPUs
///     <root>/devices/system/node/nodeN/distance    distances to every node, by node order
///     <root>/devices/system/node/nodeN/meminfo     "Node N MemTotal: 16384 kB" and MemFree
///
/// Tests point it at fixtures; on a machine it reads `/sys`. Without node directories
/// (a kernel built without NUMA) every online CPU is one node 0.
public enum SysfsTopologyReader {
    public static func read(sysRoot: String = "/sys") throws -> Topology {
        let onlinePath = sysRoot + "/devices/system/cpu/online"
        guard let onlineText = SystemFile.readText(onlinePath) else { throw TopologyError.unreadableFile(path: onlinePath) }
        let online = try parseCPUList(onlineText, path: onlinePath)
        let nodeDirectory = sysRoot + "/devices/system/node"
        let nodeIDs = (SystemFile.directoryEntries(nodeDirectory) ?? []).compactMap { name -> Int? in
            guard name.hasPrefix("node") else { return nil }
            let digits = name.dropFirst(4)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(digits)
        }.sorted()
        if nodeIDs.isEmpty {
            return try Topology(nodes: [NUMANode(id: 0, cpus: online)], source: .sysfs)
        }
        var nodes: [NUMANode] = []
        var distances: [[Int]] = []
        var everyNodeHasDistances = true
        for id in nodeIDs {
            let directory = "\(nodeDirectory)/node\(id)"
            let cpulistPath = directory + "/cpulist"
            guard let cpulistText = SystemFile.readText(cpulistPath) else { throw TopologyError.unreadableFile(path: cpulistPath) }
            // A node's cpulist can name CPUs that are offline; only online ones can run Ps.
            let cpus = try parseCPUList(cpulistText, path: cpulistPath).intersection(online)
            let memory = SystemFile.readText(directory + "/meminfo").map(parseMeminfo)
            nodes.append(NUMANode(id: id, cpus: cpus, memoryTotalBytes: memory?.total, memoryFreeBytes: memory?.free))
            let distancePath = directory + "/distance"
            if let distanceText = SystemFile.readText(distancePath) {
                let fields = distanceText.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
                let row = try fields.map { field -> Int in
                    guard let value = Int(field) else {
                        throw TopologyError.malformedFile(path: distancePath, reason: "'\(field)' is not an integer")
                    }
                    return value
                }
                guard row.count == nodeIDs.count else {
                    throw TopologyError.malformedFile(
                        path: distancePath, reason: "\(row.count) distances for \(nodeIDs.count) nodes")
                }
                distances.append(row)
            } else {
                everyNodeHasDistances = false
            }
        }
        do {
            return try Topology(nodes: nodes, distances: everyNodeHasDistances ? distances : nil, source: .sysfs)
        } catch let error as TopologyError {
            throw TopologyError.malformedFile(path: nodeDirectory, reason: error.description)
        }
    }

    static func parseCPUList(_ text: String, path: String) throws -> CPUSet {
        do {
            return try CPUSet(parsing: text)
        } catch let error as SettingsError {
            throw TopologyError.malformedFile(path: path, reason: error.description)
        }
    }

    /// Total and free bytes from a node's meminfo ("Node 0 MemTotal:  16384 kB"); a missing
    /// field is nil.
    static func parseMeminfo(_ text: String) -> (total: Int64?, free: Int64?) {
        var total: Int64? = nil, free: Int64? = nil
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // Node files: Node N Key: value kB. /proc/meminfo: Key: value kB.
            guard let keyIndex = fields.firstIndex(where: { $0.hasSuffix(":") }), keyIndex + 1 < fields.count,
                  let value = Int64(fields[keyIndex + 1]) else { continue }
            let unitMultiplier: Int64 = keyIndex + 2 < fields.count && fields[keyIndex + 2] == "kB" ? 1024 : 1
            switch fields[keyIndex] {
            case "MemTotal:": total = value * unitMultiplier
            case "MemFree:": free = value * unitMultiplier
            default: break
            }
        }
        return (total, free)
    }
}
