// The engines a workload runs on in-process (the Go engine is a separate binary, peers/go).
public enum InProcessEngine: String, CaseIterable, Sendable {
    case swift
    case swiftConcurrency = "swift-concurrency"
}
