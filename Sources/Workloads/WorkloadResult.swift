// What a workload measured, as the child result (docs/PROTOCOL.md section 2, GobenchKit's
// RunContract.swift) that carries it to the sweep.
import Foundation
import GobenchKit
import Synchronization
import Histogram
import Runtime

/// The outcome of one run of a workload.
public enum WorkloadOutcome: Sendable {
    case ok(ops: Int, metrics: [RunMetric])
    case notApplicable(String)
    case error(String)

    /// The result the child prints (ChildResult.line).
    public func result(workload: String, engine: String) -> ChildResult {
        switch self {
        case .ok(let ops, let metrics):
            return ChildResult(status: .ok, workload: workload, engine: engine, ops: Int64(ops), metrics: metrics)
        case .notApplicable(let reason):
            return ChildResult(status: .notApplicable, workload: workload, engine: engine, reason: reason)
        case .error(let message):
            return ChildResult(status: .error, workload: workload, engine: engine, error: message)
        }
    }
}

/// What the clocks read over a measured section: wall time (CLOCK_MONOTONIC) and the CPU
/// time of the whole process, user and system, every thread (CLOCK_PROCESS_CPUTIME_ID).
struct Section: Sendable {
    var wallNanoseconds: Int64
    var cpuNanoseconds: Int64
}

/// The clocks of a measured section (PROTOCOL.md section 1): `SectionClock()` is the
/// section's start, `stop()` its end. The CPU clock is read before the wall clock at the
/// start and after it at the stop, so the CPU reading covers the whole wall interval.
struct SectionClock: Sendable {
    let cpuStart: Int64
    let wallStart: Int64

    init() {
        cpuStart = processCPUNanoseconds()
        wallStart = now()
    }

    func stop() -> Section {
        let wallEnd = now()
        let cpuEnd = processCPUNanoseconds()
        return Section(wallNanoseconds: wallEnd - wallStart, cpuNanoseconds: cpuEnd - cpuStart)
    }
}

/// The CPU time the process has used, user and system, all threads.
func processCPUNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// The standard metrics of a measured section of `ops` operations (PROTOCOL.md section 2):
/// wall time per op, and the process CPU time spent in the section, per op and as a
/// fraction of the wall time (2.0: two CPUs busy throughout).
func standardMetrics(ops: Int, section: Section) -> [RunMetric] {
    let wall = Double(max(1, section.wallNanoseconds))
    let cpu = Double(max(0, section.cpuNanoseconds))
    return [
        RunMetric("wall_seconds", wall / 1e9, "s", .lower),
        RunMetric("ops", Double(ops), "count", .none),
        RunMetric("ns_per_op", wall / Double(max(1, ops)), "ns", .lower),
        RunMetric("ops_per_sec", Double(ops) / (wall / 1e9), "ops/s", .higher),
        RunMetric("cpu_ns_per_op", cpu / Double(max(1, ops)), "ns", .lower),
        RunMetric("cpu_utilisation", cpu / wall, "ratio", .none),
        RunMetric("final_rss_bytes", Double(ProcessMemory.residentBytes()), "bytes", .lower),
    ]
}

/// Latency percentiles from a histogram of nanoseconds.
func latencyMetrics(_ h: Histogram<UInt64>) -> [RunMetric] {
    [RunMetric("latency_p50_ns", Double(h.valueAtPercentile(50)), "ns", .lower),
     RunMetric("latency_p99_ns", Double(h.valueAtPercentile(99)), "ns", .lower),
     RunMetric("latency_p999_ns", Double(h.valueAtPercentile(99.9)), "ns", .lower)]
}

func newLatencyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
}

/// The histogram of `count` latencies (ns) recorded into an array during a measurement
/// (filled after it, as the Go peer computes its percentiles after the run).
func latencyHistogram(_ samples: UnsafePointer<Int64>, count: Int) -> Histogram<UInt64> {
    var h = newLatencyHistogram()
    for i in 0..<count { _ = h.record(UInt64(max(1, samples[i]))) }
    return h
}

/// The runtime's statistics as metrics (swift engine).
func runtimeMetrics() -> [RunMetric] {
    let st = Runtime.statistics()
    var out = st.metrics.map { RunMetric($0.name, Double($0.value), $0.unit.rawValue, .none) }
    out.append(RunMetric("threads_created", Double(st[.machinesCreated] + 1), "count", .lower))
    return out
}

/// Resident memory and threads of this process, from /proc.
public enum ProcessMemory {
    public static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = s.split(separator: " ")
        guard parts.count > 1, let pages = Int(parts[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    public static func threadCount() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("Threads:") {
            return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        return 0
    }
}

@inline(__always) func now() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// The compute kernel of PROTOCOL.md section 1 (xorshift), `rounds` times from `seed`.
@inline(never)
public func computeKernel(seed: UInt64, rounds: Int) -> UInt64 {
    var x = seed
    for _ in 0..<rounds {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
    }
    return x
}

/// Keeps results alive so the compiler cannot remove the work: an atomic sum, as the Go
/// peer's (one atomic add, no lock: a lock here would be work Go does not do), printed as
/// "sink N" before the result line (PROTOCOL.md section 1).
final class Sink: Sendable {
    static let shared = Sink()
    private let value = Atomic<UInt64>(0)
    func add(_ v: UInt64) { value.wrappingAdd(v, ordering: .relaxed) }
    var total: UInt64 { value.load(ordering: .acquiring) }
    func print() { Swift.print("sink \(total)") }
}

/// A workload body's reads of its resolved parameters (WorkloadSpec.resolvedParameters
/// fills every parameter the catalog declares, checked: an integer parameter is an integer).
extension WorkloadParameters {
    func int(_ key: String) -> Int { integer(key) ?? 0 }
    func string(_ key: String) -> String { self[key] ?? "" }
}
