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
    /// files end with) is ignored. Throws `TopologyError.malformedCPUList` naming the bad part.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingWhitespace()
        if trimmed.isEmpty {
            self = .empty
            return
        }
        var numbers: [Int] = []
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = String(part).trimmingWhitespace()
            func number(_ digits: Substring) throws -> Int {
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                      let value = Int(digits), value <= CPUSet.maximumCPUNumber else {
                    throw TopologyError.malformedCPUList(text: trimmed, part: piece)
                }
                return value
            }
            let bounds = piece.split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                numbers.append(try number(bounds[0]))
            case 2:
                let low = try number(bounds[0]), high = try number(bounds[1])
                guard low <= high else { throw TopologyError.malformedCPUList(text: trimmed, part: piece) }
                numbers.append(contentsOf: low...high)
            default:
                throw TopologyError.malformedCPUList(text: trimmed, part: piece)
            }
        }
        self.init(numbers)
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

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (no Foundation).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
