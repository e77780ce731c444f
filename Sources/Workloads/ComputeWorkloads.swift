// mutex-contention, timer-storm and parallel-compute on this runtime.
import GobenchKit
import Foundation
import Runtime

enum ComputeWorkloads {
    /// `goroutines` goroutines (0: 4 x GOMAXPROCS) taking one Mutex n times in all.
    static func mutexContention(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n")
        let goroutines = p.int("goroutines") == 0 ? 4 * procs : p.int("goroutines")
        let mu = GoMutex()
        var counter = 0
        let wg = WaitGroup()
        wg.add(goroutines)
        let clock = SectionClock()
        for k in 0..<goroutines {
            let count = n / goroutines + (k < n % goroutines ? 1 : 0)
            go {
                for _ in 0..<count {
                    mu.lock()
                    counter += 1
                    mu.unlock()
                }
                wg.done()
            }
        }
        wg.wait()
        let section = clock.stop()
        if counter != n { return .error("mutex-contention: counter \(counter) != \(n): lost updates") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + runtimeMetrics())
    }

    /// n goroutines each sleeping `sleep_us` `rounds` times; latency = oversleep. Each
    /// goroutine keeps its samples in its own array; the histogram is built after the
    /// timed section (as the Go peer does).
    static func timerStorm(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let n = p.int("n"), sleepUs = p.int("sleep_us"), rounds = p.int("rounds")
        let wg = WaitGroup()
        wg.add(n)
        let samples = UnsafeMutablePointer<UInt64>.allocate(capacity: n * rounds)
        defer { samples.deallocate() }
        let clock = SectionClock()
        for g in 0..<n {
            go {
                let mine = samples + g * rounds
                // One clock reading per sleep, as the Go peer: a sleep's oversleep is the
                // time since the previous wake-up minus the sleep.
                var previous = now()
                for r in 0..<rounds {
                    Runtime.sleep(nanoseconds: Int64(sleepUs) * 1000)
                    let t = now()
                    mine[r] = UInt64(max(1, t - previous - Int64(sleepUs) * 1000))
                    previous = t
                }
                wg.done()
            }
        }
        wg.wait()
        let section = clock.stop()
        var h = newLatencyHistogram()
        for i in 0..<(n * rounds) { _ = h.record(samples[i]) }
        let ops = n * rounds
        return .ok(ops: ops, metrics: standardMetrics(ops: ops, section: section) + latencyMetrics(h) + runtimeMetrics())
    }

    /// `work` kernel iterations split over `tasks` goroutines (ops = work).
    /// GOBENCH_INJECT_WORK_PERCENT=P makes every task do P% more iterations than it
    /// reports: a real slowdown of that size, for measuring what compare detects
    /// (scripts/quality.sh). Never set in a sweep meant to measure the runtime.
    static func parallelCompute(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let tasks = p.int("tasks")
        let reported = p.int("work")
        let extraPercent: Int
        switch injectedWorkPercent(ProcessInfo.processInfo.environment) {
        case .success(let percent): extraPercent = percent
        case .failure(let error): return .error(error.description)
        }
        let work = reported + reported * extraPercent / 100
        let wg = WaitGroup()
        wg.add(tasks)
        let clock = SectionClock()
        for t in 0..<tasks {
            let share = work / tasks + (t < work % tasks ? 1 : 0)
            go {
                // In slices, with a preemption point between them (cooperative preemption).
                var x = UInt64(t + 1)
                var left = share
                while left > 0 {
                    let step = min(left, 100_000)
                    x = computeKernel(seed: x, rounds: step)
                    left -= step
                    Runtime.preemptionPoint()
                }
                Sink.shared.add(x)
                wg.done()
            }
        }
        wg.wait()
        let section = clock.stop()
        Sink.shared.print()
        return .ok(ops: reported, metrics: standardMetrics(ops: reported, section: section) + runtimeMetrics())
    }

    static let injectWorkVariable = "GOBENCH_INJECT_WORK_PERCENT"

    /// GOBENCH_INJECT_WORK_PERCENT: unset or empty is 0; otherwise a whole number of
    /// percent from 0 to 10,000. Anything else is an error of the run (a typo must not
    /// silently measure the unslowed workload).
    static func injectedWorkPercent(_ environment: [String: String]) -> Result<Int, ParameterError> {
        guard let text = environment[injectWorkVariable], !text.isEmpty else { return .success(0) }
        guard let percent = Int(text), (0...10_000).contains(percent) else {
            return .failure(ParameterError(
                "\(injectWorkVariable)=\"\(text)\" is not valid: expected a whole number of percent from 0 to 10000"))
        }
        return .success(percent)
    }
}

/// A bad workload setting from outside the parameters (an environment hook): one line.
struct ParameterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
