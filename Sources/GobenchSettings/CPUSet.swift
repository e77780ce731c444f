// A set of CPU numbers, read from and written as the kernel's cpulist format ("0-3,8").

/// A set of CPU numbers, kept sorted and without duplicates.
///
/// The text form is the kernel's cpulist format as `/sys/devices/system/node/nodeN/cpulist`
/// and `Cpus_allowed_list` write it: comma-separated numbers and inclusive ranges, `0-3,8`.
/// The empty string is the empty set (a memory-only node's cpulist is empty).
public struct CPUSet: Hashable, Sendable, Sequence, CustomStringConvertible {
    /// The largest CPU number accepted from text or a mask. Linux's NR_CPUS is at most
    /// 8192 on distribution kernels; 65,535 leaves room while refusing typos such as
    /// `0-99999999` that would otherwise allocate gigabytes.
    public static let maximumCPUNumber = 65_535

    /// The CPU numbers in increasing order.
    public let cpus: [Int]

    public init<S: Sequence>(_ cpus: S) where S.Element == Int {
        self.cpus = Array(Set(cpus)).sorted()
    }

    public static let empty = CPUSet([Int]())

    /// Parses a cpulist such as `0-3,8`. Surrounding white space (the newline that sysfs
    /// files end with) is ignored. Throws a `SettingsError` naming the bad part.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingSettingWhitespace()
        switch CPUSet.parse(trimmed) {
        case .success(let set): self = set
        case .failure(let bad):
            throw SettingsError("malformed CPU list '\(trimmed)': bad part '\(bad.part)' (expected numbers and ranges like 0-3,8)")
        }
    }

    /// The part of a cpulist that does not parse.
    struct BadPart: Error { var part: String }

    /// The set of a trimmed cpulist, or its first bad part.
    static func parse(_ trimmed: String) -> Result<CPUSet, BadPart> {
        if trimmed.isEmpty { return .success(.empty) }
        var numbers: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = part.trimmingSettingWhitespace()
            func number(_ digits: Substring) -> Int? {
                guard digits.isASCIIDigits, let value = Int(digits), value <= CPUSet.maximumCPUNumber else { return nil }
                return value
            }
            let bounds = piece.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let value = number(bounds[0]) else { return .failure(BadPart(part: piece)) }
                numbers.append(value)
            case 2:
                guard let low = number(bounds[0]), let high = number(bounds[1]), low <= high else {
                    return .failure(BadPart(part: piece))
                }
                numbers.append(contentsOf: low...high)
            default:
                return .failure(BadPart(part: piece))
            }
        }
        return .success(CPUSet(numbers))
    }

    /// Builds the set from a kernel affinity bitmask: bit `i % 64` of word `i / 64` is CPU i.
    public init(maskWords: [UInt64]) {
        var numbers: [Int] = []
        for (wordIndex, word) in maskWords.enumerated() where word != 0 {
            for bit in 0..<64 where word & (UInt64(1) << UInt64(bit)) != 0 {
                numbers.append(wordIndex * 64 + bit)
            }
        }
        self.init(numbers)
    }

    /// The kernel affinity bitmask of this set, at least `minimumWordCount` words long.
    public func maskWords(minimumWordCount: Int = 1) -> [UInt64] {
        let needed = (cpus.last.map { $0 / 64 + 1 }) ?? 1
        var words = [UInt64](repeating: 0, count: Swift.max(needed, minimumWordCount))
        for cpu in cpus { words[cpu / 64] |= UInt64(1) << UInt64(cpu % 64) }
        return words
    }

    public var count: Int { cpus.count }
    public var isEmpty: Bool { cpus.isEmpty }
    public func contains(_ cpu: Int) -> Bool { binarySearch(cpu) }
    public func makeIterator() -> IndexingIterator<[Int]> { cpus.makeIterator() }

    public func intersection(_ other: CPUSet) -> CPUSet { CPUSet(cpus.filter { other.contains($0) }) }
    public func union(_ other: CPUSet) -> CPUSet { CPUSet(cpus + other.cpus) }
    public func subtracting(_ other: CPUSet) -> CPUSet { CPUSet(cpus.filter { !other.contains($0) }) }
    public func isSubset(of other: CPUSet) -> Bool { cpus.allSatisfy { other.contains($0) } }

    /// The cpulist text, with runs folded into ranges: `0-3,8`.
    public var cpulist: String {
        var parts: [String] = []
        var index = 0
        while index < cpus.count {
            var end = index
            while end + 1 < cpus.count && cpus[end + 1] == cpus[end] + 1 { end += 1 }
            parts.append(end == index ? "\(cpus[index])" : "\(cpus[index])-\(cpus[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    public var description: String { cpulist }

    private func binarySearch(_ cpu: Int) -> Bool {
        var low = 0, high = cpus.count - 1
        while low <= high {
            let middle = (low + high) / 2
            if cpus[middle] == cpu { return true }
            if cpus[middle] < cpu { low = middle + 1 } else { high = middle - 1 }
        }
        return false
    }
}
