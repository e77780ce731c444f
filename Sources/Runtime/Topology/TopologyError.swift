// The errors of topology discovery, overrides, quotas and placement, each one clear line.
// (A setting's text that does not parse is GobenchSettings' SettingsError.)

/// Why a topology, override, quota or placement could not be built. The description is
/// one line that names the bad part, ready to print after "error: ".
public enum TopologyError: Error, Equatable, CustomStringConvertible {
    case malformedOverride(text: String, reason: String)
    case duplicateCPU(cpu: Int, firstNode: Int, secondNode: Int)
    case duplicateNode(node: Int)
    case malformedDistances(reason: String)
    case unreadableFile(path: String)
    case malformedFile(path: String, reason: String)
    case emptyAffinity(affinity: String)
    case cpuNotInTopology(cpus: String)
    case nonexistentNode(node: Int, existing: String)
    case nodeWithoutCPUs(node: Int)
    case malformedProcessorCount(text: String, origin: String)
    case noUsableCPUs
    case affinityCall(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case let .malformedOverride(text, reason):
            return "malformed topology override '\(text)': \(reason)"
        case let .duplicateCPU(cpu, firstNode, secondNode):
            return "CPU \(cpu) is in both node \(firstNode) and node \(secondNode)"
        case let .duplicateNode(node):
            return "node \(node) is listed twice"
        case let .malformedDistances(reason):
            return "malformed distance matrix: \(reason)"
        case let .unreadableFile(path):
            return "cannot read \(path)"
        case let .malformedFile(path, reason):
            return "malformed \(path): \(reason)"
        case let .emptyAffinity(affinity):
            return affinity.isEmpty
                ? "the CPU affinity mask is empty"
                : "the CPU affinity mask \(affinity) shares no CPU with the topology"
        case let .cpuNotInTopology(cpus):
            return "CPU \(cpus) in the affinity mask does not exist in the topology"
        case let .nonexistentNode(node, existing):
            return "node \(node) does not exist (nodes with usable CPUs: \(existing.isEmpty ? "none" : existing))"
        case let .nodeWithoutCPUs(node):
            return "node \(node) has no CPU in the affinity mask"
        case let .malformedProcessorCount(text, origin):
            return "\(origin) must be an integer from 1 to \(DefaultProcessorCount.maximumProcessors), got '\(text)'"
        case .noUsableCPUs:
            return "the topology has no usable CPU"
        case let .affinityCall(operation, errno):
            return "\(operation) failed with errno \(errno)"
        }
    }
}
