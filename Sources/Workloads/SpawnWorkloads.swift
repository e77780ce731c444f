// spawn-storm, live-goroutines, steal-imbalance and scavenger-burst on this runtime.
import Foundation
import Runtime
import Synchronization

enum SpawnWorkloads {
    /// n goroutines that each signal a WaitGroup; from one spawner, one per P, or a chain.
    static func spawnStorm(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let wg = WaitGroup()
        let start = now()
        switch p.string("mode") {
        case "all":
            let spawners = procs
            wg.add(n)
            let outer = WaitGroup()
            outer.add(spawners)
            for s in 0..<spawners {
                let count = n / spawners + (s < n % spawners ? 1 : 0)
                go {
                    for _ in 0..<count { go { wg.done() } }
                    outer.done()
                }
            }
            outer.wait()
        case "chain":
            wg.add(1)
            func link(_ left: Int) {
                if left == 0 { wg.done(); return }
                go { link(left - 1) }
            }
            link(n)
        default:
            wg.add(n)
            for _ in 0..<n { go { wg.done() } }
        }
        wg.wait()
        let elapsed = now() - start
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + runtimeMetrics())
    }

    /// What the goroutines of a burst found on their stacks when they resumed.
    final class BurstCheck: @unchecked Sendable {
        let indexSum = Atomic<Int>(0)
        let corrupted = Atomic<Int>(0)

        /// nil when every goroutine resumed with its own values intact, else what was wrong.
        func failure(_ n: Int) -> String? {
            let sum = indexSum.load(ordering: .acquiring), bad = corrupted.load(ordering: .acquiring)
            if bad == 0 && sum == n * (n - 1) / 2 { return nil }
            return "\(bad) goroutines resumed with a corrupted stack; index sum \(sum), expected \(n * (n - 1) / 2)"
        }
    }

    /// n goroutines that all park on one channel, each with its index and values derived
    /// from it on its stack across the park (checked when it resumes: a stack that the
    /// scavenger compacted must come back intact); returns when every one is parked, with
    /// the channel, a WaitGroup that reaches zero once they have all exited after it is
    /// closed, and what they found.
    private static func parkBurst(_ n: Int) -> (release: Channel<Int>, finished: WaitGroup, check: BurstCheck) {
        let release = Channel<Int>()
        let finished = WaitGroup()
        let check = BurstCheck()
        finished.add(n)
        for i in 0..<n {
            go {
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 4) { slot in
                    slot[0] = i
                    slot[1] = ~i
                    slot[2] = i &* 0x9E37_79B9
                    slot[3] = n &- i
                    _ = release.receive()
                    if slot[0] != i || slot[1] != ~i || slot[2] != i &* 0x9E37_79B9 || slot[3] != n &- i {
                        check.corrupted.add(1, ordering: .relaxed)
                    }
                    check.indexSum.add(slot[0], ordering: .relaxed)
                }
                finished.done()
            }
        }
        while release.waitingReceivers < n { Runtime.gosched() }
        return (release, finished, check)
    }

    /// n goroutines parked on one channel at once: resident bytes per goroutine. With
    /// `scavenge=1`, one scavenger pass (Runtime.scavenge, Go's debug.FreeOSMemory) runs
    /// over the parked goroutines before the measurement.
    static func liveGoroutines(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let before = ProcessMemory.residentBytes()
        let start = now()
        let (release, finished, check) = parkBurst(n)
        let elapsed = now() - start
        if p.int("scavenge") != 0 { Runtime.scavenge() }
        let during = ProcessMemory.residentBytes()
        let perGoroutine = Double(during - before) / Double(n)
        release.close()
        finished.wait()
        if let failure = check.failure(n) { return .error("live-goroutines: \(failure)") }
        var metrics = standardMetrics(ops: n, wallNanoseconds: elapsed)
        metrics.append(Metric("bytes_per_goroutine", perGoroutine, "bytes", "lower"))
        metrics.append(Metric("rss_with_goroutines_bytes", Double(during), "bytes", "lower"))
        return .ok(ops: n, metrics: metrics + runtimeMetrics())
    }

    /// One goroutine spawns n workers, each `work` rounds of the kernel; the other Ps
    /// must steal them (Go's CreateGoroutinesSingle).
    static func stealImbalance(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), work = p.int("work")
        let wg = WaitGroup()
        wg.add(n)
        let start = now()
        go {
            for i in 0..<n {
                go {
                    Sink.shared.add(computeKernel(seed: UInt64(i + 1), rounds: work) & 1)
                    wg.done()
                }
            }
        }
        wg.wait()
        let elapsed = now() - start
        return .ok(ops: n, metrics: standardMetrics(ops: n, wallNanoseconds: elapsed) + runtimeMetrics())
    }

    /// A burst of n goroutines that all exist at once and then exit; then idle, sampling
    /// resident memory: what the scavenger gives back.
    static func scavengerBurst(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), idleMs = p.int("idle_ms"), sampleMs = max(1, p.int("sample_ms"))
        let before = ProcessMemory.residentBytes()
        let start = now()
        let (release, finished, check) = parkBurst(n)
        let peak = ProcessMemory.residentBytes()
        release.close()
        finished.wait()
        if let failure = check.failure(n) { return .error("scavenger-burst: \(failure)") }
        let burstNs = now() - start
        // Each sample is also printed as "rss MILLISECONDS BYTES" (time since the burst
        // ended) before the result line, as the Go peer does, for a plot over time.
        var samples: [Int] = []
        let idleStart = now()
        let idleEnd = idleStart + Int64(idleMs) * 1_000_000
        while now() < idleEnd {
            Runtime.sleep(nanoseconds: Int64(sampleMs) * 1_000_000)
            samples.append(ProcessMemory.residentBytes())
            print("rss \((now() - idleStart) / 1_000_000) \(samples.last!)")
        }
        let after = ProcessMemory.residentBytes()
        let grown = Double(max(1, peak - before))
        var metrics = standardMetrics(ops: n, wallNanoseconds: burstNs)
        metrics.append(Metric("bytes_per_goroutine", Double(peak - before) / Double(n), "bytes", "lower"))
        metrics.append(Metric("rss_peak_bytes", Double(peak), "bytes", "lower"))
        metrics.append(Metric("rss_after_idle_bytes", Double(after), "bytes", "lower"))
        metrics.append(Metric("rss_released_fraction", max(0, Double(peak - after)) / grown, "ratio", "higher"))
        if let half = samples.firstIndex(where: { Double(peak - $0) >= grown / 2 }) {
            metrics.append(Metric("time_to_half_release_ms", Double((half + 1) * sampleMs), "ms", "lower"))
        }
        return .ok(ops: n, metrics: metrics + runtimeMetrics())
    }
}
