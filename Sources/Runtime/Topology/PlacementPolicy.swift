// The placement policies that map Ps to CPUs: none, compact, spread, nodes=0,2.

/// How Ps are placed on the machine's CPUs (the `placement` setting of a run).
public enum PlacementPolicy: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// No binding: every P may run on every CPU of the affinity mask, as in Go.
    case none
    /// Fill one node's CPUs before the next node's (nodes by number, CPUs ascending).
    case compact
    /// Round-robin over the nodes: P0 on node 0, P1 on node 1, ... then the next CPU of each.
    case spread
    /// Only the named nodes, then compact within them, in the order named.
    case nodes([Int])

    /// Parses `none`, `compact`, `spread` or `nodes=0,2` (node numbers, no repeats).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        switch trimmed {
        case "none": self = .none
        case "compact": self = .compact
        case "spread": self = .spread
        default:
            guard trimmed.hasPrefix("nodes=") else {
                throw TopologyError.malformedPlacement(text: text, reason: "unknown policy")
            }
            let list = trimmed.dropFirst("nodes=".count)
            guard !list.isEmpty else { throw TopologyError.malformedPlacement(text: text, reason: "no node listed") }
            var nodes: [Int] = []
            for part in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }), let node = Int(part), node <= 4096 else {
                    throw TopologyError.malformedPlacement(text: text, reason: "'\(part)' is not a node number")
                }
                guard !nodes.contains(node) else {
                    throw TopologyError.malformedPlacement(text: text, reason: "node \(node) is listed twice")
                }
                nodes.append(node)
            }
            self = .nodes(nodes)
        }
    }

    /// The text form, which `init(parsing:)` reads back: `nodes=0,2`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .compact: return "compact"
        case .spread: return "spread"
        case let .nodes(list): return "nodes=" + list.map(String.init).joined(separator: ",")
        }
    }
}
