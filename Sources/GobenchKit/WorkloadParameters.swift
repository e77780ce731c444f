/// A run's workload parameters (RunSettings.params): every key with its value's canonical
/// text, kept as pairs, not as the CSV's `k=v;k=v` column. The column is this value's
/// `canonical` text (PROTOCOL.md section 3: keys sorted, `;` between pairs); the child's
/// command line carries each pair as one `--param K=V` word (RunSettings.childArguments),
/// so a run's parameters go from the catalog to the child and back without a text form.
///
/// A key is non-empty and holds none of `=`, `;`, a line break or NUL; a value holds no
/// `;`, line break or NUL (the column and the command line could not carry them).
public struct WorkloadParameters: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Key to canonical value text.
    public private(set) var values: [String: String]

    /// No parameters.
    public init() { values = [:] }

    /// The given pairs; throws for a key or value the protocol cannot carry.
    public init(_ values: [String: String]) throws {
        for (key, value) in values { try WorkloadParameters.check(key: key, value: value) }
        self.values = values
    }

    /// The given pairs with every character the protocol cannot carry replaced by `_` (an
    /// empty key becomes `_`): for names read from elsewhere, Go benchmark levels.
    public init(replacingForbidden values: [String: String]) {
        func clean(_ text: String, also: Unicode.Scalar? = nil) -> String {
            String(String.UnicodeScalarView(text.unicodeScalars.map {
                WorkloadParameters.forbidden.contains($0) || $0 == also ? "_" : $0
            }))
        }
        var result: [String: String] = [:]
        for (key, value) in values {
            var k = clean(key, also: "=")
            if k.isEmpty { k = "_" }
            result[k] = clean(value)
        }
        self.values = result
    }

    /// The pairs of the CSV column's text (`k=v;k=v`, any order; "" for none). Throws for
    /// a pair without `=`, an empty or repeated key, or a character the protocol cannot carry.
    public init(canonical text: String) throws {
        var values: [String: String] = [:]
        // Split on scalars, not Characters: a combining mark after `;` or `=` would join
        // it into one Character and hide the separator.
        let parts = text.isEmpty ? [] : text.unicodeScalars.split(separator: ";", omittingEmptySubsequences: false)
        for part in parts {
            guard let (key, value) = WorkloadParameters.splitAssignment(String(part)) else {
                throw SettingsError("params '\(ChildRunner.escapingControlCharacters(text))': '\(ChildRunner.escapingControlCharacters(String(part)))' is not KEY=VALUE")
            }
            guard values[key] == nil else { throw SettingsError("params '\(ChildRunner.escapingControlCharacters(text))': \(key) given twice") }
            values[key] = value
        }
        try self.init(values)
    }

    /// The canonical text: the CSV's `params` column.
    public var canonical: String {
        pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    }

    public var description: String { canonical }

    /// The pairs sorted by key.
    public var pairs: [(key: String, value: String)] {
        values.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    public var isEmpty: Bool { values.isEmpty }

    public subscript(key: String) -> String? { values[key] }

    /// The value of `key` as an integer, nil when absent or not one.
    public func integer(_ key: String) -> Int? { values[key].flatMap { Int($0) } }

    /// These parameters with `key` set to `value`.
    public func setting(_ key: String, to value: String) throws -> WorkloadParameters {
        try WorkloadParameters.check(key: key, value: value)
        var copy = self
        copy.values[key] = value
        return copy
    }

    /// These parameters without `key`, and the value it had.
    public func removing(_ key: String) -> (value: String?, rest: WorkloadParameters) {
        var copy = self
        let value = copy.values.removeValue(forKey: key)
        return (value, copy)
    }

    /// By the canonical text, as the CSV sorts rows.
    public static func < (a: WorkloadParameters, b: WorkloadParameters) -> Bool { a.canonical < b.canonical }

    static let forbidden: Set<Unicode.Scalar> = [";", "\n", "\r", "\0"]

    /// `KEY=VALUE` split at its first `=` (a scalar, whatever follows it), nil when there is
    /// no `=` or the key is empty. The one split of every `--param` word and params pair.
    public static func splitAssignment(_ text: String) -> (key: String, value: String)? {
        let scalars = text.unicodeScalars
        guard let eq = scalars.firstIndex(of: "="), eq != scalars.startIndex else { return nil }
        return (String(scalars[..<eq]), String(scalars[scalars.index(after: eq)...]))
    }

    static func check(key: String, value: String) throws {
        guard !key.isEmpty, !key.unicodeScalars.contains("="), !key.unicodeScalars.contains(where: forbidden.contains) else {
            throw SettingsError("param key '\(ChildRunner.escapingControlCharacters(key))' is empty or holds '=', ';', a line break or NUL")
        }
        guard !value.unicodeScalars.contains(where: forbidden.contains) else {
            throw SettingsError("param '\(key)': the value '\(ChildRunner.escapingControlCharacters(value))' holds ';', a line break or NUL")
        }
    }
}
