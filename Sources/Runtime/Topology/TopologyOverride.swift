// Parses GOBENCH_TOPOLOGY / --topology, a simulated machine such as `0-3:4-7`.

/// A topology given as text instead of read from the machine, for tests and for trying
/// placements of a machine one does not have.
///
/// Grammar: `NODES[/DISTANCES]`.
/// - `NODES`: one cpulist per node, separated by `:`; node i is the i-th list. Every node
///   needs at least one CPU and no CPU may be in two nodes: `0-3:4-7`, `0,2:1,3`.
/// - `DISTANCES` (optional): one row per node, separated by `:`, each row N integers in
///   1...255 separated by `,`: `0-3:4-7/10,21:21,10`. Without it: 10 local, 20 remote.
///
/// The override stands for the whole machine: the affinity mask is taken as all of its
/// CPUs unless the caller narrows it explicitly, and node memory is unknown.
public enum TopologyOverride {
    /// The environment variable that holds an override.
    public static let environmentVariable = "GOBENCH_TOPOLOGY"

    public static func parse(_ text: String) throws -> Topology {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw TopologyError.malformedOverride(text: text, reason: "it is empty") }
        let halves = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count <= 2 else {
            throw TopologyError.malformedOverride(text: trimmed, reason: "more than one '/' (expected NODES/DISTANCES)")
        }
        var nodes: [NUMANode] = []
        for (index, list) in halves[0].split(separator: ":", omittingEmptySubsequences: false).enumerated() {
            let cpus: CPUSet
            do {
                cpus = try CPUSet(parsing: String(list))
            } catch let error as TopologyError {
                if case let .malformedCPUList(_, part) = error {
                    throw TopologyError.malformedOverride(text: trimmed, reason: "node \(index): bad CPU list part '\(part)'")
                }
                throw error
            }
            guard !cpus.isEmpty else {
                throw TopologyError.malformedOverride(text: trimmed, reason: "node \(index) has no CPUs")
            }
            nodes.append(NUMANode(id: index, cpus: cpus))
        }
        var distances: [[Int]]? = nil
        if halves.count == 2 {
            let rowTexts = halves[1].split(separator: ":", omittingEmptySubsequences: false)
            guard rowTexts.count == nodes.count else {
                throw TopologyError.malformedOverride(
                    text: trimmed, reason: "\(rowTexts.count) distance rows for \(nodes.count) nodes")
            }
            distances = try rowTexts.enumerated().map { rowIndex, rowText in
                let values = rowText.split(separator: ",", omittingEmptySubsequences: false)
                guard values.count == nodes.count else {
                    throw TopologyError.malformedOverride(
                        text: trimmed, reason: "distance row \(rowIndex) has \(values.count) values for \(nodes.count) nodes")
                }
                return try values.map { value -> Int in
                    let digits = value.trimmingWhitespaceSubstring()
                    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                          let number = Int(digits), (1...255).contains(number) else {
                        throw TopologyError.malformedOverride(
                            text: trimmed, reason: "distance '\(value)' in row \(rowIndex) is not an integer in 1...255")
                    }
                    return number
                }
            }
        }
        do {
            return try Topology(nodes: nodes, distances: distances, source: .override)
        } catch let error as TopologyError {
            throw TopologyError.malformedOverride(text: trimmed, reason: error.description)
        }
    }
}

extension Substring {
    func trimmingWhitespaceSubstring() -> String { String(self).trimmingWhitespace() }
}
