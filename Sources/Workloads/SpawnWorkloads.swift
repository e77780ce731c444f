// spawn-storm, live-goroutines, steal-imbalance and scavenger-burst on this runtime.
import Foundation
import GobenchKit
import Runtime
import Synchronization

enum SpawnWorkloads {
    /// n goroutines that each signal a WaitGroup; from one spawner, one per P, or a chain.
    static func spawnStorm(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let wg = WaitGroup()
        let clock = SectionClock()
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
            // Each goroutine spawns the next, then signals (the Go peer's link).
            wg.add(n)
            func link(_ left: Int) {
                if left > 1 { go { link(left - 1) } }
                wg.done()
            }
            go { link(n) }
        default:
            wg.add(n)
            for _ in 0..<n { go { wg.done() } }
        }
        wg.wait()
        let section = clock.stop()
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
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
    /// scavenger compacted must come back intact); returns when every one has signalled
    /// that it is about to park (a WaitGroup, as the Go peer's parkGoroutines), with the
    /// channel, a WaitGroup that reaches zero once they have all exited after it is
    /// closed, and what they found.
    private static func parkBurst(_ n: Int) -> (release: Channel<Int>, finished: WaitGroup, check: BurstCheck) {
        let release = Channel<Int>()
        let started = WaitGroup(), finished = WaitGroup()
        let check = BurstCheck()
        started.add(n)
        finished.add(n)
        for i in 0..<n {
            go {
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 4) { slot in
                    slot[0] = i
                    slot[1] = ~i
                    slot[2] = i &* 0x9E37_79B9
                    slot[3] = n &- i
                    started.done()
                    _ = release.receive()
                    if slot[0] != i || slot[1] != ~i || slot[2] != i &* 0x9E37_79B9 || slot[3] != n &- i {
                        check.corrupted.add(1, ordering: .relaxed)
                    }
                    check.indexSum.add(slot[0], ordering: .relaxed)
                }
                finished.done()
            }
        }
        started.wait()
        return (release, finished, check)
    }

    /// n goroutines parked on one channel at once: resident bytes per goroutine. With
    /// `scavenge=1`, one scavenger pass (Runtime.scavenge, Go's debug.FreeOSMemory) runs
    /// over the parked goroutines before the measurement.
    static func liveGoroutines(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let before = ProcessMemory.residentBytes()
        let clock = SectionClock()
        let (release, finished, check) = parkBurst(n)
        let section = clock.stop()
        if p.int("scavenge") != 0 { Runtime.scavenge() }
        let during = ProcessMemory.residentBytes()
        let perGoroutine = Double(during - before) / Double(n)
        release.close()
        finished.wait()
        if let failure = check.failure(n) { return .error("live-goroutines: \(failure)") }
        var metrics = standardMetrics(ops: n, section: section)
        metrics.append(RunMetric("bytes_per_goroutine", perGoroutine, "bytes", .lower))
        metrics.append(RunMetric("rss_with_goroutines_bytes", Double(during), "bytes", .lower))
        return .ok(ops: n, metrics: metrics + runtimeMetrics())
    }

    /// The main goroutine spawns n workers, each `work` rounds of the kernel; the other
    /// Ps must steal them (Go's CreateGoroutinesSingle). As the Go peer: every P's M is
    /// started first, outside the measurement (warmUpScheduler), and each worker adds its
    /// result to the sink with one atomic add.
    static func stealImbalance(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), work = p.int("work")
        warmUpScheduler(procs)
        let wg = WaitGroup()
        wg.add(n)
        let clock = SectionClock()
        for i in 0..<n {
            go {
                Sink.shared.add(computeKernel(seed: UInt64(i + 1), rounds: work))
                wg.done()
            }
        }
        wg.wait()
        let section = clock.stop()
        Sink.shared.print()
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }

    /// The Go peer's warmUpScheduler: `procs` goroutines that yield until all of them run
    /// at once (or 10 ms pass), so that every P has an M before the measurement.
    static func warmUpScheduler(_ procs: Int) {
        final class Ready: Sendable { let count = Atomic<Int>(0) }
        let ready = Ready()
        let wg = WaitGroup()
        wg.add(procs)
        for _ in 0..<procs {
            go {
                ready.count.add(1, ordering: .relaxed)
                let deadline = now() + 10_000_000
                while ready.count.load(ordering: .relaxed) < procs && now() < deadline { Runtime.gosched() }
                wg.done()
            }
        }
        wg.wait()
    }

    /// A burst of n goroutines that all exist at once and then exit; then idle, sampling
    /// resident memory: what the scavenger gives back.
    static func scavengerBurst(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), idleMs = p.int("idle_ms"), sampleMs = max(1, p.int("sample_ms"))
        let before = ProcessMemory.residentBytes()
        let clock = SectionClock()
        let (release, finished, check) = parkBurst(n)
        let peak = ProcessMemory.residentBytes()
        release.close()
        finished.wait()
        if let failure = check.failure(n) { return .error("scavenger-burst: \(failure)") }
        let section = clock.stop()
        // Each sample is also printed as "rss MILLISECONDS BYTES" (time since the burst
        // ended) before the result line, for a plot over time. As the Go peer: a sample
        // first, then sleeps of sample_ms, the last one cut to end at idle_ms.
        let idleStart = now()
        let idleEnd = idleStart + Int64(idleMs) * 1_000_000
        let grown = peak - before
        var after = peak
        var halfReleasedMs: Double? = nil
        while true {
            after = ProcessMemory.residentBytes()
            let elapsedMs = (now() - idleStart) / 1_000_000
            print("rss \(elapsedMs) \(after)")
            if halfReleasedMs == nil && grown > 0 && 2 * (peak - after) >= grown { halfReleasedMs = Double(elapsedMs) }
            let remaining = idleEnd - now()
            if remaining <= 0 { break }
            Runtime.sleep(nanoseconds: min(Int64(sampleMs) * 1_000_000, remaining))
        }
        // Released share of what the burst added, in [0, 1]; 0 when it added nothing.
        let released = grown > 0 ? max(0, min(1, Double(peak - after) / Double(grown))) : 0
        var metrics = standardMetrics(ops: n, section: section)
        metrics.append(RunMetric("bytes_per_goroutine", Double(grown) / Double(n), "bytes", .lower))
        metrics.append(RunMetric("rss_peak_bytes", Double(peak), "bytes", .lower))
        metrics.append(RunMetric("rss_after_idle_bytes", Double(after), "bytes", .lower))
        metrics.append(RunMetric("rss_released_fraction", released, "ratio", .higher))
        if let halfReleasedMs {
            metrics.append(RunMetric("time_to_half_release_ms", halfReleasedMs, "ms", .lower))
        }
        return .ok(ops: n, metrics: metrics + runtimeMetrics())
    }
}
