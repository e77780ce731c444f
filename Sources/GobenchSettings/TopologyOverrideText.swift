// The text of GOBENCH_TOPOLOGY / --topology, a simulated machine such as `0-3:4-7`.

/// A topology given as text instead of read from the machine: the nodes' CPUs and,
/// optionally, their distances. The runtime builds its `Topology` from it
/// (TopologyOverride), which also checks what needs the whole machine (no CPU in two nodes,
/// a symmetric matrix with local distances smallest).
///
/// Grammar: `NODES[/DISTANCES]`.
/// - `NODES`: one cpulist per node, separated by `:`; node i is the i-th list. Every node
///   needs at least one CPU: `0-3:4-7`, `0,2:1,3`.
/// - `DISTANCES` (optional): one row per node, separated by `:`, each row N integers in
///   1...255 separated by `,`: `0-3:4-7/10,21:21,10`. Without it: 10 local, 20 remote.
public struct TopologyOverrideText: Equatable, Sendable, CustomStringConvertible {
    /// Node i's CPUs.
    public var nodes: [CPUSet]
    /// Row i, column j: the distance from node i to node j; nil when not given.
    public var distances: [[Int]]?

    public init(nodes: [CPUSet], distances: [[Int]]?) { self.nodes = nodes; self.distances = distances }

    /// The error of a malformed override, one line.
    public static func malformed(_ text: String, _ reason: String) -> SettingsError {
        SettingsError("malformed topology override '\(text)': \(reason)")
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingSettingWhitespace()
        guard !trimmed.isEmpty else { throw TopologyOverrideText.malformed(text, "it is empty") }
        func bad(_ reason: String) -> SettingsError { TopologyOverrideText.malformed(trimmed, reason) }
        let halves = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { throw bad("more than one '/' (expected NODES/DISTANCES)") }
        var nodes: [CPUSet] = []
        for (index, list) in halves[0].split(separator: ":", omittingEmptySubsequences: false).enumerated() {
            switch CPUSet.parse(list.trimmingSettingWhitespace()) {
            case .success(let cpus):
                guard !cpus.isEmpty else { throw bad("node \(index) has no CPUs") }
                nodes.append(cpus)
            case .failure(let part):
                throw bad("node \(index): bad CPU list part '\(part.part)'")
            }
        }
        var distances: [[Int]]? = nil
        if halves.count == 2 {
            let rowTexts = halves[1].split(separator: ":", omittingEmptySubsequences: false)
            guard rowTexts.count == nodes.count else {
                throw bad("\(rowTexts.count) distance rows for \(nodes.count) nodes")
            }
            distances = try rowTexts.enumerated().map { rowIndex, rowText in
                let values = rowText.split(separator: ",", omittingEmptySubsequences: false)
                guard values.count == nodes.count else {
                    throw bad("distance row \(rowIndex) has \(values.count) values for \(nodes.count) nodes")
                }
                return try values.map { value -> Int in
                    let digits = value.trimmingSettingWhitespace()
                    guard digits.isASCIIDigits, let number = Int(digits), (1...255).contains(number) else {
                        throw bad("distance '\(value)' in row \(rowIndex) is not an integer in 1...255")
                    }
                    return number
                }
            }
        }
        self.init(nodes: nodes, distances: distances)
    }

    /// The canonical text: `0-3:4-7`, `0-3:4-7/10,21:21,10`.
    public var description: String {
        var text = nodes.map(\.cpulist).joined(separator: ":")
        if let distances {
            text += "/" + distances.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ":")
        }
        return text
    }
}
