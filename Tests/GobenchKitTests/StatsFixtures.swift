// Synthetic results rows for the statistics, compare and tune tests.
import Foundation
@testable import GobenchKit

enum StatsFixtures {
    static let machine = MachineInfo(host: "bench1", cpuModel: "Test CPU", cores: 8, numaNodes: 1,
                                     kernel: "6.1.0", swiftVersion: "6.3.1", goVersion: "go1.27",
                                     gobenchVersion: "0.1.0", gobenchCommit: "abc1234")

    /// One `ok` row per value, each its own run.
    static func rows(_ values: [Double], workload: String = "chan-pingpong", engine: String = "swift",
                     procs: Int = 4, placement: String = "none", params: String = "",
                     metric: String = "ns_per_op", unit: String = "ns", direction: String = "lower",
                     machine: MachineInfo = StatsFixtures.machine, runPrefix: String = "r") -> [ResultRow] {
        values.enumerated().map { i, v in
            ResultRow(runID: "\(runPrefix)-\(workload)-\(procs)-\(placement)-\(i)",
                      timestamp: "2025-01-01T00:00:00Z", workload: workload, engine: engine,
                      procs: procs, scavenge: "off", placement: placement, params: params, rep: i,
                      status: "ok", metric: metric, value: v, unit: unit, direction: direction,
                      machine: machine)
        }
    }

    /// A failed run's single row.
    static func failedRun(status: String, workload: String = "chan-pingpong", procs: Int = 4,
                          id: String) -> ResultRow {
        ResultRow(runID: id, timestamp: "2025-01-01T00:00:00Z", workload: workload, engine: "swift",
                  procs: procs, scavenge: "off", placement: "none", params: "", rep: 0,
                  status: status, error: "child exited on signal 11", metric: "", value: nil,
                  unit: "", direction: "", machine: machine)
    }

    /// `count` values around `center` with a deterministic spread of about ±`spreadPercent`.
    static func noisy(_ center: Double, count: Int = 10, spreadPercent: Double = 1, seed: UInt64 = 1) -> [Double] {
        var x = seed &* 0x9E3779B97F4A7C15 | 1
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            let u = Double(x % 10_000) / 10_000 * 2 - 1  // -1 ..< 1
            return center * (1 + u * spreadPercent / 100)
        }
    }
}
