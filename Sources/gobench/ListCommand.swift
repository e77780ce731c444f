// `gobench list`: the workload catalog (PROTOCOL.md section 1) with parameters and defaults.
import ArgumentParser
import Foundation
import GobenchKit

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the workloads, their parameters with defaults, engines and sweep dimensions."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @Option(help: "table or json.")
    var format: Format = .table

    func run() throws {
        switch format {
        case .table: print(ListCommand.table(), terminator: "")
        case .json: print(ListCommand.json())
        }
    }

    static func engines(_ spec: WorkloadSpec) -> String {
        spec.engines.map(\.rawValue).joined(separator: ",")
    }

    static func sweeps(_ spec: WorkloadSpec) -> String {
        var parts: [String] = []
        switch spec.procs {
        case .swept: parts.append("procs")
        case .forced(let value): parts.append("procs=\(value) always")
        case .unswept(let value): parts.append("procs=\(value) in sweeps")
        }
        if spec.sweepsScavenge { parts.append("scavenge") }
        if spec.sweepsPlacement { parts.append("placement") }
        return parts.joined(separator: ",")
    }

    static func table() -> String {
        var out = ""
        for spec in Catalog.workloads {
            out += "\(spec.name): \(spec.summary)\n"
            out += "  stresses: \(spec.mechanism)\n"
            out += "  engines:  \(engines(spec))\n"
            out += "  sweeps:   \(sweeps(spec))\n"
            if let reason = spec.notComparable { out += "  NOT COMPARABLE across engines: \(reason)\n" }
            if let caveat = spec.caveat { out += "  caveat:   \(caveat)\n" }
            if let caveat = spec.scavengeOffCaveat { out += "  caveat:   \(caveat)\n" }
            let width = spec.parameters.map { "\($0.name)=\($0.defaultValue)".count }.max() ?? 0
            for (i, p) in spec.parameters.enumerated() {
                let assignment = "\(p.name)=\(p.defaultValue)".padding(toLength: width, withPad: " ", startingAt: 0)
                var line = "\(i == 0 ? "  params:   " : "            ")\(assignment)  \(p.allowedDescription); \(p.summary)"
                if let sweepValue = spec.sweepParameters[p.name] { line += " (sweep default \(sweepValue))" }
                out += line + "\n"
            }
            out += "\n"
        }
        out += "Engines: swift (this runtime), go (peers/go), swift-concurrency (Swift's Task pool).\n"
        out += "Settings: procs, scavenge (off or an interval: 10ms, 2m), placement (none, compact, spread, nodes=0,1).\n"
        return out
    }

    static func json() -> String {
        let list: [[String: Any]] = Catalog.workloads.map { spec in
            var procs: Any = "swept"
            if let value = spec.procs.sweepValue { procs = value }
            return [
                "name": spec.name, "summary": spec.summary, "stresses": spec.mechanism,
                "engines": spec.engines.map(\.rawValue), "procs": procs,
                "procs_forced": { if case .forced = spec.procs { return true } else { return false } }(),
                "sweeps_scavenge": spec.sweepsScavenge, "sweeps_placement": spec.sweepsPlacement,
                "comparable": spec.notComparable == nil,
                "not_comparable_reason": spec.notComparable ?? NSNull(),
                "caveat": spec.caveat ?? NSNull(),
                "scavenge_off_caveat": spec.scavengeOffCaveat ?? NSNull(),
                "params": spec.parameters.map { p -> [String: Any] in
                    var entry: [String: Any] = ["name": p.name, "default": p.defaultValue, "summary": p.summary]
                    switch p.kind {
                    case .integer(let minimum, let maximum):
                        entry["type"] = "integer"; entry["minimum"] = minimum; entry["maximum"] = maximum
                    case .choice(let words): entry["type"] = "choice"; entry["choices"] = words
                    }
                    if let sweepValue = spec.sweepParameters[p.name] { entry["sweep_default"] = sweepValue }
                    return entry
                },
            ]
        }
        let data = try! JSONSerialization.data(withJSONObject: list, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self)
    }
}
