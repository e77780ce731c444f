// spawn-storm, live-goroutines, steal-imbalance and scavenger-burst on this runtime.
import Foundation
import Runtime

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

    /// n goroutines that all park on one channel; returns when every one is parked, with
    /// the channel and a WaitGroup that reaches zero once they have all exited after it is
    /// closed.
    private static func parkBurst(_ n: Int) -> (release: Channel<Int>, finished: WaitGroup) {
        let release = Channel<Int>()
        let finished = WaitGroup()
        finished.add(n)
        for _ in 0..<n {
            go {
                _ = release.receive()
                finished.done()
            }
        }
        while release.waitingReceivers < n { Runtime.gosched() }
        return (release, finished)
    }

    /// n goroutines parked on one channel at once: resident bytes per goroutine.
    static func liveGoroutines(_ p: Parameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let before = ProcessMemory.residentBytes()
        let start = now()
        let (release, finished) = parkBurst(n)
        let elapsed = now() - start
        let during = ProcessMemory.residentBytes()
        let perGoroutine = Double(during - before) / Double(n)
        release.close()
        finished.wait()
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
        let (release, finished) = parkBurst(n)
        let peak = ProcessMemory.residentBytes()
        release.close()
        finished.wait()
        let burstNs = now() - start
        var samples: [Int] = []
        let idleEnd = now() + Int64(idleMs) * 1_000_000
        while now() < idleEnd {
            Runtime.sleep(nanoseconds: Int64(sampleMs) * 1_000_000)
            samples.append(ProcessMemory.residentBytes())
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
