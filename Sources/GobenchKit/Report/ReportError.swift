// The error of the report command: one line that names the file and what is wrong.

/// A reason the report cannot be written; `description` is the whole message.
public struct ReportError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
