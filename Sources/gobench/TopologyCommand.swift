// `gobench topology`: the NUMA nodes, affinity, cgroup quota, default GOMAXPROCS and placement map.
import ArgumentParser
import Foundation
import Runtime

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show the NUMA topology, affinity mask, cgroup CPU quota, default GOMAXPROCS and a placement map.",
        discussion: """
        The topology comes from libnuma (one node when NUMA is unavailable), or from an \
        override: --topology or the GOBENCH_TOPOLOGY variable, nodes separated by ':' each a \
        cpulist, optionally '/' and distance rows: 0-3:4-7 or 0-3:4-7/10,21:21,10. An \
        override stands for the whole machine: its affinity mask is all of its CPUs unless \
        --affinity narrows it. The default GOMAXPROCS follows Go 1.25: min(CPUs in the \
        affinity mask, max(2, ceil(quota/period))); the GOMAXPROCS variable wins.
        """
    )

    @Option(help: "A topology override instead of the machine's, e.g. 0-3:4-7 or 0-3:4-7/10,21:21,10.")
    var topology: String?

    @Option(help: "CPUs to use instead of this process's affinity mask (a cpulist such as 0-3,8).")
    var affinity: String?

    @Option(help: "The number of Ps to place (default: the default GOMAXPROCS).")
    var procs: String?

    @Option(help: "The placement policy: none, compact, spread or nodes=0,2.")
    var placement: String = "none"

    @Option(help: "The output format: text or json.")
    var format: Format = .text

    enum Format: String, CaseIterable, ExpressibleByArgument {
        case text, json
        init?(argument: String) {
            guard let format = OptionRefusal.parse(argument, { text -> Format in
                guard let format = Format(rawValue: text) else {
                    throw TopologyCommandError("unknown format '\(text)' (expected text or json)")
                }
                return format
            }) else { return nil }
            self = format
        }
        static var allValueStrings: [String] { [] }
    }

    @Flag(help: .hidden)
    var selfCheck: Bool = false

    func run() throws {
        do {
            let affinityOverride = try affinity.map { text -> CPUSet in
                let cpus = try CPUSet(parsing: text)
                guard !cpus.isEmpty else { throw TopologyCommandError("--affinity is empty") }
                return cpus
            }
            let snapshot = try TopologySnapshot.discover(overrideText: topology, affinityOverride: affinityOverride)
            let processorCount = try procs.map { try DefaultProcessorCount.parseProcessorCount($0, origin: "--procs") }
                ?? snapshot.defaultProcessors.value
            let policy = try PlacementPolicy(parsing: placement)
            let map = try PlacementMap(topology: snapshot.narrowedTopology, processorCount: processorCount, policy: policy)
            let stealOrder = StealOrder(placement: map, topology: snapshot.narrowedTopology)
            let outcomes = selfCheck ? TopologySelfCheck.run(snapshot: snapshot, placement: map) : nil
            let report = TopologyReport(snapshot: snapshot, placement: map, stealOrder: stealOrder, selfCheck: outcomes)
            print(format == .json ? try report.json() : report.text())
            if let outcomes, outcomes.contains(where: { $0.status == .failed }) {
                FileHandle.standardError.write(Data("gobench topology: self-check failed\n".utf8))
                TopologyCommand.exit(withError: ExitCode(3))
            }
        } catch let error as TopologyError {
            fail(error.description)
        } catch let error as SettingsError {
            fail(error.description)
        } catch let error as TopologyCommandError {
            fail(error.message)
        }
    }

    /// One error line on standard error and exit status 1.
    private func fail(_ message: String) -> Never { CommandErrors.fail("topology", message) }
}

/// A usage error of `gobench topology` that is not a topology error.
struct TopologyCommandError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
    init(_ message: String) { self.message = message }
}

/// What `gobench topology` prints, as text or JSON.
struct TopologyReport {
    let snapshot: TopologySnapshot
    let placement: PlacementMap
    let stealOrder: StealOrder
    let selfCheck: [SelfCheckOutcome]?

    func text() -> String {
        let machine = snapshot.machineTopology, narrowed = snapshot.narrowedTopology
        var lines: [String] = []
        lines.append("topology: \(machine.source.rawValue), \(machine.nodes.count) node\(machine.nodes.count == 1 ? "" : "s"), CPUs \(machine.allCPUs.cpulist)")
        for (node, allowed) in zip(machine.nodes, narrowed.nodes) {
            var line = "  node \(node.id): CPUs \(node.cpus.cpulist.isEmpty ? "none" : node.cpus.cpulist)"
            if allowed.cpus != node.cpus { line += " (allowed: \(allowed.cpus.cpulist.isEmpty ? "none" : allowed.cpus.cpulist))" }
            if let total = node.memoryTotalBytes {
                line += ", memory \(Self.gibibytes(total))"
                if let free = node.memoryFreeBytes { line += " (\(Self.gibibytes(free)) free)" }
            } else {
                line += ", memory unknown"
            }
            lines.append(line)
        }
        lines.append("distances:")
        let width = max(5, (machine.distances.joined().map { String($0).count }.max() ?? 2) + 1)
        func pad(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        lines.append("  " + pad("") + machine.nodes.map { pad("n\($0.id)") }.joined())
        for (node, row) in zip(machine.nodes, machine.distances) {
            lines.append("  " + pad("n\(node.id)") + row.map { pad(String($0)) }.joined())
        }
        lines.append("affinity mask: \(snapshot.affinity.cpulist) (\(snapshot.affinity.count) CPUs)")
        if let quota = snapshot.quota {
            lines.append("cgroup CPU quota: \(quota.version.rawValue) \(quota.quotaMicroseconds)us per \(quota.periodMicroseconds)us = "
                + String(format: "%.2f", quota.cpuLimit) + " CPUs (\(quota.directory))")
        } else {
            lines.append("cgroup CPU quota: none")
        }
        if let problem = snapshot.quotaProblem { lines.append("  warning: quota ignored: \(problem)") }
        lines.append("default GOMAXPROCS: \(snapshot.defaultProcessors.value) (\(snapshot.defaultProcessors.rule))")
        lines.append("placement: \(placement.policy), \(placement.processorCount) Ps")
        for (entry, groups) in zip(placement.processors, stealOrder.victimGroups) {
            let node = entry.node.map { "node \($0)" } ?? "no node"
            let steal = groups.map { "[" + $0.map { "P\($0)" }.joined(separator: " ") + "]" }.joined(separator: " ")
            lines.append("  P\(entry.processor): CPUs \(entry.cpus.cpulist), \(node); steals from \(steal.isEmpty ? "nobody" : steal)")
        }
        for node in stealOrder.wakeNodeOrder.keys.sorted() {
            lines.append("  a spawn on node \(node) wakes nodes \(stealOrder.wakeNodeOrder[node]!.map(String.init).joined(separator: ", ")) in order")
        }
        if let selfCheck {
            lines.append("self-check:")
            for outcome in selfCheck { lines.append("  \(outcome.status.rawValue.uppercased()) \(outcome.name): \(outcome.detail)") }
        }
        return lines.joined(separator: "\n")
    }

    func json() throws -> String {
        let machine = snapshot.machineTopology, narrowed = snapshot.narrowedTopology
        var object: [String: Any] = [
            "source": machine.source.rawValue,
            "nodes": zip(machine.nodes, narrowed.nodes).map { node, allowed -> [String: Any] in
                [
                    "id": node.id,
                    "cpus": node.cpus.cpulist,
                    "allowed_cpus": allowed.cpus.cpulist,
                    "memory_total_bytes": node.memoryTotalBytes.map { $0 as Any } ?? NSNull(),
                    "memory_free_bytes": node.memoryFreeBytes.map { $0 as Any } ?? NSNull(),
                ]
            },
            "distances": machine.distances,
            "topology_signature": machine.overrideText,
            "affinity": snapshot.affinity.cpulist,
            "affinity_cpu_count": snapshot.affinity.count,
            "cgroup_quota": snapshot.quota.map { quota -> Any in
                [
                    "version": quota.version.rawValue,
                    "quota_us": quota.quotaMicroseconds,
                    "period_us": quota.periodMicroseconds,
                    "cpus": quota.cpuLimit,
                    "directory": quota.directory,
                ] as [String: Any]
            } ?? NSNull(),
            "cgroup_quota_problem": snapshot.quotaProblem.map { $0 as Any } ?? NSNull(),
            "default_gomaxprocs": snapshot.defaultProcessors.value,
            "default_gomaxprocs_rule": snapshot.defaultProcessors.rule,
            "placement": placement.policy.description,
            "procs": placement.processorCount,
            "placement_map": zip(placement.processors, stealOrder.victimGroups).map { entry, groups -> [String: Any] in
                [
                    "p": entry.processor,
                    "cpus": entry.cpus.cpulist,
                    "node": entry.node.map { $0 as Any } ?? NSNull(),
                    "steal_groups": groups,
                ]
            },
            "wake_order": Dictionary(uniqueKeysWithValues: stealOrder.wakeNodeOrder.map { (String($0.key), $0.value) }),
        ]
        if let selfCheck {
            object["self_check"] = selfCheck.map { ["name": $0.name, "status": $0.status.rawValue, "detail": $0.detail] }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func gibibytes(_ bytes: Int64) -> String { String(format: "%.1f GiB", Double(bytes) / 1_073_741_824) }
}
