// Fuzzes the placement parser that the runtime, `gobench topology` and run/sweep/tune share
// (GobenchSettings' PlacementPolicy): a node list keeps the order named, names each node
// once and within range, and every policy's canonical text reads back the same.
import FuzzSupport
import GobenchSettings

/// The whole input is the flag's text: read as one placement and as a `--placements` list.
@main
enum PlacementFuzz {
    static func main() {
        FuzzDriver.run(name: "placement", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        let input = decodedText(bytes)
        single(input)
        list(input)
    }

    static func single(_ input: String) {
        do {
            let policy = try PlacementPolicy(parsing: input)
            if case .nodes(let nodes) = policy {
                require(!nodes.isEmpty, "a node list names a node")
                require(Set(nodes).count == nodes.count, "a node list names each node once: \(nodes)")
                require(nodes.allSatisfy { (0...PlacementPolicy.maximumNode).contains($0) }, "node numbers are in range: \(nodes)")
                // The order named is kept: the digits of the input, in order.
                let named = input.trimmingSettingWhitespace().dropFirst("nodes=".count)
                    .split(separator: ",").map { Int($0) }
                require(named == nodes.map { Optional($0) }, "the nodes are kept in the order named: \(nodes) from '\(input)'")
            }
            require((try? PlacementPolicy(parsing: policy.description)) == policy, "placement \(policy) reads back the same")
        } catch let error as SettingsError {
            require(error.description.contains("placement"), "the error names the setting: \(error.description)")
            if isOneLine(input) { require(isOneLine(error.description), "the error is one line: \(error.description)") }
        } catch { require(false, "PlacementPolicy throws only SettingsError, threw \(error)") }
    }

    static func list(_ input: String) {
        do {
            let policies = try PlacementPolicy.parseList(input)
            require(!policies.isEmpty, "a placement list that parses is not empty")
            require(Set(policies).count == policies.count, "a placement list has no duplicates")
            for policy in policies {
                require((try? PlacementPolicy(parsing: policy.description)) == policy, "placement \(policy) reads back the same")
            }
            let joined = policies.map(\.description).joined(separator: ",")
            require((try? PlacementPolicy.parseList(joined)) == policies, "placement list \(joined) reads back the same")
        } catch let error as SettingsError {
            require(error.description.contains("placement"), "the error names the setting: \(error.description)")
            if isOneLine(input) { require(isOneLine(error.description), "the error is one line: \(error.description)") }
        } catch { require(false, "parseList throws only SettingsError, threw \(error)") }
    }
}
