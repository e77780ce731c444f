// The settings that the runtime and the harness both read, each with one parser and one
// canonical text: durations and sizes, the scavenge interval, placement policies, CPU sets
// and topology overrides. No Foundation and no runtime inside, so that the runtime
// (Sources/Runtime), the harness (GobenchKit, gobench, Workloads) and the fuzz targets
// share the same grammar.

/// A setting that does not parse: one line naming the bad part.
public struct SettingsError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, carriage returns and newlines.
    public func trimmingSettingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }

    /// Whether the text is one or more ASCII digits.
    var isASCIIDigits: Bool { !isEmpty && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
}
