// Fuzzes the topology inputs: cpulists, GOBENCH_TOPOLOGY overrides and the cgroup v2 cpu.max /
// v1 cfs files. Parsed values are valid and their text reads back the same. (Placement
// policies: fuzz-placement.)
import FuzzSupport
import Runtime

/// The first input byte picks the parser (modulo the count); the rest is the text.
@main
enum TopologyFuzz {
    static func main() {
        FuzzDriver.run(name: "topology", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        guard let (selector, input) = selectorAndText(bytes) else { return }
        switch selector {
        case UInt8(ascii: "c"): cpuList(input)
        case UInt8(ascii: "t"): override(input)
        case UInt8(ascii: "m"): cpuMax(input)
        case UInt8(ascii: "f"): cfs(input)
        default:
            let parsers = [cpuList, override, cpuMax, cfs]
            parsers[Int(selector) % parsers.count](input)
        }
    }

    static func cpuList(_ input: String) {
        do {
            let set = try CPUSet(parsing: input)
            require(set.cpus == set.cpus.sorted() && Set(set.cpus).count == set.count, "CPUs are sorted and unique")
            require(set.cpus.allSatisfy { $0 >= 0 && $0 <= CPUSet.maximumCPUNumber }, "CPUs are in range")
            require((try? CPUSet(parsing: set.cpulist)) == set, "cpulist \(set.cpulist) reads back the same")
            require(CPUSet(maskWords: set.maskWords()) == set, "the affinity mask holds the same CPUs")
        } catch let error as SettingsError {
            oneLineError(error, input: input)
        } catch { require(false, "CPUSet throws only SettingsError, threw \(error)") }
    }

    static func override(_ input: String) {
        do {
            let topology = try TopologyOverride.parse(input)
            let nodes = topology.nodes
            require(!nodes.isEmpty, "an override has nodes")
            require(nodes.map(\.id) == Array(0..<nodes.count), "override nodes are numbered 0... in order")
            var seen = Set<Int>()
            for node in nodes {
                require(!node.cpus.isEmpty, "node \(node.id) has CPUs")
                for cpu in node.cpus { require(seen.insert(cpu).inserted, "CPU \(cpu) is in one node") }
            }
            let distances = topology.distances
            require(distances.count == nodes.count && distances.allSatisfy { $0.count == nodes.count }, "distances are N x N")
            require(distances.joined().allSatisfy { (1...255).contains($0) }, "distances are in 1...255")
            // The override written back reads back to the same topology.
            let text = nodes.map(\.cpus.cpulist).joined(separator: ":") + "/"
                + distances.map { $0.map(String.init).joined(separator: ",") }.joined(separator: ":")
            require((try? TopologyOverride.parse(text)) == topology, "override \(text) reads back the same")
        } catch let error as SettingsError {
            oneLineError(error, input: input)
        } catch let error as TopologyError {
            oneLineError(error, input: input)
        } catch { require(false, "TopologyOverride throws only SettingsError or TopologyError, threw \(error)") }
    }

    static func cpuMax(_ input: String) {
        do {
            let (quota, period) = try CgroupQuota.parseCPUMax(input)
            require(period > 0 && (quota ?? 1) > 0, "quota and period are positive")
            let text = "\(quota.map(String.init) ?? "max") \(period)\n"
            let again = try? CgroupQuota.parseCPUMax(text)
            require(again?.quota == quota && again?.period == period, "cpu.max \(text) reads back the same")
            if let quota {
                let limit = CgroupQuota(quotaMicroseconds: quota, periodMicroseconds: period, version: .v2, directory: "/")
                require(limit.cpuLimitRoundedUp >= 1, "a quota allows at least one CPU rounded up")
                require(Double(limit.cpuLimitRoundedUp) >= limit.cpuLimit.rounded(.down), "rounding up is not below the limit")
            }
        } catch let error as TopologyError {
            oneLineError(error, input: input)
        } catch { require(false, "parseCPUMax throws only TopologyError, threw \(error)") }
    }

    /// `QUOTA|PERIOD`: the two v1 files' contents.
    static func cfs(_ input: String) {
        let parts = input.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let quotaText = parts[0], periodText = parts.count > 1 ? parts[1] : ""
        do {
            let (quota, period) = try CgroupQuota.parseCFS(quotaText: quotaText, periodText: periodText, directory: "/sys/fs/cgroup/cpu")
            require(period > 0 && (quota ?? 1) > 0, "quota and period are positive")
            let again = try? CgroupQuota.parseCFS(quotaText: quota.map(String.init) ?? "-1", periodText: "\(period)\n")
            require(again?.quota == quota && again?.period == period, "cfs files read back the same")
        } catch let error as TopologyError {
            oneLineError(error, input: input)
        } catch { require(false, "parseCFS throws only TopologyError, threw \(error)") }
    }

    /// A topology error for one-line input is one line.
    static func oneLineError(_ error: CustomStringConvertible, input: String) {
        require(!error.description.isEmpty, "an error says why")
        if isOneLine(input) {
            require(isOneLine(error.description), "the error for one-line input is one line: \(error.description)")
        }
    }
}
