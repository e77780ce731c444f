// Fuzzes the command-line settings only the harness reads (procs, shards, workload lists),
// the catalog's parameter validation and the params column (WorkloadParameters): every parsed
// value is in range and its canonical text parses back to the same value. Durations, scavenge and placement: fuzz-duration and
// fuzz-placement.
import FuzzSupport
import GobenchKit

/// The first input byte picks the parser (modulo the count); the rest is the flag's text.
/// The seed corpus uses the letters below so that its files read as `dFLAG-TEXT`.
@main
enum SettingsFuzz {
    static func main() {
        FuzzDriver.run(name: "settings", check: check)
    }

    static func check(_ bytes: UnsafeRawBufferPointer) {
        guard let (selector, input) = selectorAndText(bytes) else { return }
        switch selector {
        case UInt8(ascii: "r"): procs(input)
        case UInt8(ascii: "h"): shard(input)
        case UInt8(ascii: "a"): parameters(input)
        case UInt8(ascii: "w"): workloadList(input)
        case UInt8(ascii: "c"): paramsColumn(input)
        default:
            // Any other byte: spread over the parsers so that no input is wasted.
            let parsers = [procs, shard, parameters, workloadList, paramsColumn]
            parsers[Int(selector) % parsers.count](input)
        }
    }

    /// Whether the input can be passed as one flag value and so must give a one-line error.
    static func singleLine(_ input: String) -> Bool { isOneLine(input) }

    static func procs(_ input: String) {
        do {
            let values = try ProcsList.parse(input)
            require(!values.isEmpty, "a procs list that parses is not empty")
            require(values == values.sorted() && Set(values).count == values.count, "procs are sorted and unique")
            require(values.allSatisfy { $0 >= 1 && $0 <= ProcsList.maximum }, "procs are in 1...\(ProcsList.maximum)")
            let joined = values.map(String.init).joined(separator: ",")
            require((try? ProcsList.parse(joined)) == values, "procs \(joined) read back the same")
        } catch let error as SettingsError {
            oneLineError(error.description, input: input, mentions: "procs")
        } catch { require(false, "procs throws only SettingsError, threw \(error)") }
    }

    static func shard(_ input: String) {
        do {
            let shard = try ShardSetting.parse(input)
            require(shard.index >= 1 && shard.index <= shard.count, "1 <= index <= count")
            require((try? ShardSetting.parse(shard.description)) == shard, "shard \(shard) reads back the same")
            // Every position belongs to exactly one shard of the same count.
            if shard.count <= 64 {
                for position in 0..<(2 * shard.count) {
                    let owners = (1...shard.count).filter {
                        ShardSetting(index: $0, count: shard.count).contains(position: position)
                    }
                    require(owners.count == 1, "position \(position) belongs to one shard of \(shard.count)")
                }
            }
        } catch let error as SettingsError {
            oneLineError(error.description, input: input, mentions: "shard")
        } catch { require(false, "shard throws only SettingsError, threw \(error)") }
    }

    /// Lines of `K=V` as repeated `--param`, checked against a workload of the catalog (the
    /// first line names it, by position modulo the catalog's size when it is a number).
    static func parameters(_ input: String) {
        var lines = input.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.isEmpty ? "" : lines.removeFirst()
        let workloads = Catalog.workloads
        let spec = (try? Catalog.workload(named: first))
            ?? workloads[abs(first.unicodeScalars.reduce(0) { $0 &+ Int($1.value) }) % workloads.count]
        let assignments: [String: String]
        do {
            assignments = try ParameterAssignments.parse(lines)
        } catch let error as SettingsError {
            require(error.description.hasPrefix("param"), "a param error names the option: \(error.description)")
            return
        } catch { require(false, "param throws only SettingsError, threw \(error)"); return }
        for (key, value) in assignments {
            require(!value.isEmpty, "param \(key) has a value")
        }
        do {
            let resolved = try spec.resolvedParameters(assignments)
            require(Set(resolved.values.keys) == Set(spec.parameters.map(\.name)), "every parameter is resolved, no other")
            for parameter in spec.parameters {
                let value = resolved[parameter.name]!
                switch parameter.kind {
                case .integer(let minimum, let maximum):
                    require(Int(value).map { $0 >= minimum && $0 <= maximum } ?? false,
                            "\(parameter.name)=\(value) is an integer from \(minimum) to \(maximum)")
                    require(String(Int(value)!) == value, "\(parameter.name)=\(value) is canonical")
                case .choice(let words):
                    require(words.contains(value), "\(parameter.name)=\(value) is one of \(words)")
                }
            }
            // Resolving is idempotent, and the canonical text reads back as the resolved values.
            require((try? spec.resolvedParameters(resolved.values)) == resolved, "resolving resolved values changes nothing")
            let canonical = resolved.canonical
            let keys = resolved.pairs.map(\.key)
            require(keys == keys.sorted(), "canonical pairs are sorted by key")
            require((try? WorkloadParameters(canonical: canonical)) == resolved,
                    "canonical text \(canonical) holds the resolved values")
        } catch let error as CatalogError {
            require(error.description.hasPrefix(spec.name + ":"), "a parameter error names the workload: \(error.description)")
        } catch { require(false, "resolvedParameters throws only CatalogError, threw \(error)") }
    }

    /// A CSV params column read as WorkloadParameters: what reads back has a canonical text
    /// that is sorted, carriable and reads back the same; what does not is a one-line error.
    static func paramsColumn(_ input: String) {
        do {
            let parameters = try WorkloadParameters(canonical: input)
            let canonical = parameters.canonical
            require((try? WorkloadParameters(canonical: canonical)) == parameters, "params \(canonical) read back the same")
            let keys = parameters.pairs.map(\.key)
            require(keys == keys.sorted() && Set(keys).count == keys.count, "keys sorted and unique")
            require(isOneLine(canonical), "the canonical text is one line")
            require(canonical.utf8.count == input.utf8.count, "the canonical text is the input's pairs, reordered")
            for (key, value) in parameters.pairs {
                require(!key.isEmpty && !key.contains("=") && !key.contains(";") && !value.contains(";"),
                        "\(key)=\(value) holds no separator")
                require((try? parameters.setting(key, to: value)) == parameters, "setting a pair to itself changes nothing")
                require(parameters.removing(key).rest.values.count == keys.count - 1, "removing \(key) leaves the rest")
            }
        } catch let error as SettingsError {
            if isOneLine(input) { require(isOneLine(error.description), "the error is one line: \(error.description)") }
            require(error.description.hasPrefix("param"), "the error names the params: \(error.description)")
        } catch { require(false, "WorkloadParameters throws only SettingsError, threw \(error)") }
    }

    /// A `--workloads` list and an `--engine` name.
    static func workloadList(_ input: String) {
        do {
            let specs = try Catalog.workloads(fromList: input)
            require(!specs.isEmpty, "a workload list that parses is not empty")
            require(Set(specs.map(\.name)).count == specs.count, "a workload list has no duplicates")
            require(specs.allSatisfy { Catalog.names.contains($0.name) }, "every workload is in the catalog")
        } catch let error as CatalogError {
            oneLineError(error.description, input: input, mentions: "workload")
        } catch { require(false, "workloads(fromList:) throws only CatalogError, threw \(error)") }
        do {
            let engine = try BenchmarkEngine.parse(input)
            require(engine.rawValue == input, "an engine parses only from its own name")
        } catch let error as CatalogError {
            oneLineError(error.description, input: input, mentions: "engine")
        } catch { require(false, "BenchmarkEngine.parse throws only CatalogError, threw \(error)") }
    }

    /// An error for a one-line flag value is one line and names what was wrong.
    static func oneLineError(_ description: String, input: String, mentions word: String) {
        require(description.contains(word), "the error mentions \(word): \(description)")
        if singleLine(input) {
            require(isOneLine(description), "the error for a one-line value is one line: \(description)")
        }
    }
}
