// The placement policies that map Ps to CPUs: none, compact, spread, nodes=0,2.

/// How Ps are placed on the machine's CPUs (the `placement` setting of a run).
///
/// Grammar: `none`, `compact`, `spread`, or `nodes=` and node numbers separated by commas
/// (ASCII digits, at most `maximumNode`, each named once); surrounding white space is
/// ignored. The order of a node list is kept: it is the order in which the nodes' CPUs are
/// filled, so `nodes=1,0` and `nodes=0,1` are different placements. The canonical text is
/// `description`.
public enum PlacementPolicy: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// No binding: every P may run on every CPU of the affinity mask, as in Go.
    case none
    /// Fill one node's CPUs before the next node's (nodes by number, CPUs ascending).
    case compact
    /// Round-robin over the nodes: P0 on node 0, P1 on node 1, ... then the next CPU of each.
    case spread
    /// Only the named nodes, then compact within them, in the order named.
    case nodes([Int])

    /// The largest node number a list may name.
    public static let maximumNode = 4096

    /// Parses `none`, `compact`, `spread` or `nodes=0,2`.
    public init(parsing text: String) throws {
        func bad(_ reason: String) -> SettingsError {
            SettingsError("malformed placement '\(text)': \(reason) (expected none, compact, spread or nodes=0,2)")
        }
        let trimmed = text.trimmingSettingWhitespace()
        switch trimmed {
        case "none": self = .none
        case "compact": self = .compact
        case "spread": self = .spread
        default:
            guard trimmed.hasPrefix("nodes=") else { throw bad("unknown policy") }
            let list = trimmed.dropFirst("nodes=".count)
            guard !list.isEmpty else { throw bad("no node listed") }
            var nodes: [Int] = []
            for part in list.split(separator: ",", omittingEmptySubsequences: false) {
                guard part.isASCIIDigits, let node = Int(part), node <= PlacementPolicy.maximumNode else {
                    throw bad("'\(part)' is not a node number")
                }
                guard !nodes.contains(node) else { throw bad("node \(node) is listed twice") }
                nodes.append(node)
            }
            self = .nodes(nodes)
        }
    }

    /// The canonical text, which `init(parsing:)` reads back: `nodes=2,0`.
    public var description: String {
        switch self {
        case .none: return "none"
        case .compact: return "compact"
        case .spread: return "spread"
        case let .nodes(list): return "nodes=" + list.map(String.init).joined(separator: ",")
        }
    }

    /// A list of policies, `none,compact,nodes=0,1,spread`: a number after `nodes=` belongs
    /// to that item. Order kept, duplicates dropped.
    public static func parseList(_ text: String) throws -> [PlacementPolicy] {
        var items: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = part.trimmingSettingWhitespace()
            if let last = items.last, last.hasPrefix("nodes="), piece.isASCIIDigits {
                items[items.count - 1] += "," + piece
            } else {
                items.append(piece)
            }
        }
        var result: [PlacementPolicy] = []
        for item in items {
            guard !item.isEmpty else { throw SettingsError("placement list '\(text)' has an empty item") }
            let placement = try PlacementPolicy(parsing: item)
            if !result.contains(placement) { result.append(placement) }
        }
        return result
    }
}
