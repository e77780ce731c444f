// The swift-concurrency engine: Swift's own Task pool, for the workloads that have an
// equal there (spawn, yield, channels, a mutex, parallel work). Swift's cooperative pool
// has one thread per CPU and no way to set its width, so a run at another GOMAXPROCS is
// "not applicable" rather than a figure that does not mean what its label says.
import Foundation
import GobenchKit
import Synchronization

enum ConcurrencyWorkloads {
    typealias Body = (WorkloadParameters, Int) async -> WorkloadOutcome

    /// The workloads that have an equal on the Task pool, keyed by catalog name as
    /// `WorkloadRunner.swiftWorkloads` is; every other workload is not applicable here.
    static let workloads: [String: Body] = [
        "spawn-storm": spawnStorm,
        "gosched-pingpong": goschedPingPong,
        "chan-pingpong": chanPingPong,
        "chan-prodcons": chanProdCons,
        "mutex-contention": mutexContention,
        "parallel-compute": parallelCompute,
    ]

    static var implementedNames: [String] { workloads.keys.sorted() }

    static var poolWidth: Int { ProcessInfo.processInfo.activeProcessorCount }

    static func run(_ workload: String, _ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        guard let body = workloads[workload] else {
            return .notApplicable("\(workload) has no equal on Swift's Task pool")
        }
        if procs != poolWidth {
            return .notApplicable("Swift's cooperative pool has \(poolWidth) threads; GOMAXPROCS=\(procs) cannot be set")
        }
        let box = OutcomeBox()
        let sem = DispatchSemaphore(value: 0)
        Task.detached {
            // One child task started and awaited before the workload, as the other engines
            // spawn and wait for one goroutine (docs/PROTOCOL.md).
            await Task.detached {}.value
            box.outcome = await body(p, procs)
            sem.signal()
        }
        sem.wait()
        return box.outcome ?? .error("\(workload): no result")
    }

    final class OutcomeBox: @unchecked Sendable { var outcome: WorkloadOutcome? }

    static func spawnStorm(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        // The three modes as on the other engines: one spawner, one per pool thread
        // (each with its own group), or a chain where each task starts the next one
        // and the last to finish resumes the waiter.
        let n = p.int("n")
        let clock = SectionClock()
        switch p.string("mode") {
        case "all":
            await withDiscardingTaskGroup { spawners in
                for s in 0..<procs {
                    let count = n / procs + (s < n % procs ? 1 : 0)
                    spawners.addTask {
                        await withDiscardingTaskGroup { group in
                            for _ in 0..<count { group.addTask { } }
                        }
                    }
                }
            }
        case "chain":
            final class Left: Sendable {
                let count: Atomic<Int>
                init(_ n: Int) { count = Atomic(n) }
            }
            let left = Left(n)
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                @Sendable func link(_ remaining: Int) {
                    if remaining > 1 { Task { link(remaining - 1) } }
                    if left.count.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
                }
                Task { link(n) }
            }
        default:
            await withDiscardingTaskGroup { group in
                for _ in 0..<n { group.addTask { } }
            }
        }
        let section = clock.stop()
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + threadMetric())
    }

    static func goschedPingPong(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        // Two tasks per pool thread (mode=pairs) or two in all (mode=lone), as the
        // goroutines of the other engines.
        let n = p.int("n")
        let tasks = SwitchWorkloads.goschedGoroutines(mode: p.string("mode"), procs: procs)
        let clock = SectionClock()
        await withDiscardingTaskGroup { group in
            for _ in 0..<tasks {
                group.addTask { for _ in 0..<n { await Task.yield() } }
            }
        }
        let section = clock.stop()
        return .ok(ops: tasks * n, metrics: standardMetrics(ops: tasks * n, section: section) + threadMetric())
    }

    static func chanPingPong(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        let n = p.int("n")
        let ping = AsyncChannel<Int>(capacity: 0), pong = AsyncChannel<Int>(capacity: 0)
        let echo = Task { while let v = await ping.receive() { await pong.send(v) } }
        // One clock reading per round trip, as the other engines.
        let latencies = UnsafeMutablePointer<Int64>.allocate(capacity: n)
        defer { latencies.deallocate() }
        let clock = SectionClock()
        var previous = clock.wallStart
        for i in 0..<n {
            await ping.send(i)
            _ = await pong.receive()
            let t = now()
            latencies[i] = t - previous
            previous = t
        }
        let section = clock.stop()
        ping.close()
        await echo.value
        let h = latencyHistogram(latencies, count: n)
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + latencyMetrics(h) + threadMetric())
    }

    static func chanProdCons(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        // PROTOCOL.md: one op is one item sent and received, nothing else; the
        // consumers count what they got.
        let n = p.int("n"), buffer = p.int("buffer")
        let pairs = p.int("pairs") == 0 ? procs : p.int("pairs")
        let c = AsyncChannel<Int>(capacity: buffer)
        let clock = SectionClock()
        let total = await withTaskGroup(of: Int.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { producers in
                    for k in 0..<pairs {
                        let count = n / pairs + (k < n % pairs ? 1 : 0)
                        producers.addTask {
                            for i in 0..<count { await c.send(i) }
                        }
                    }
                }
                c.close()
                return 0
            }
            for _ in 0..<pairs {
                group.addTask {
                    var got = 0
                    while await c.receive() != nil { got += 1 }
                    return got
                }
            }
            return await group.reduce(0, +)
        }
        let section = clock.stop()
        if total != n { return .error("chan-prodcons: consumers received \(total) items, want \(n)") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + threadMetric())
    }

    static func mutexContention(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        let n = p.int("n")
        let tasks = p.int("goroutines") == 0 ? 4 * procs : p.int("goroutines")
        let counter = Mutex(0)
        let clock = SectionClock()
        await withDiscardingTaskGroup { group in
            for k in 0..<tasks {
                let count = n / tasks + (k < n % tasks ? 1 : 0)
                group.addTask { for _ in 0..<count { counter.withLock { $0 += 1 } } }
            }
        }
        let section = clock.stop()
        let total = counter.withLock { $0 }
        if total != n { return .error("mutex-contention: counter \(total) != \(n)") }
        return .ok(ops: n, metrics: standardMetrics(ops: n, section: section) + threadMetric())
    }

    static func parallelCompute(_ p: WorkloadParameters, procs: Int) async -> WorkloadOutcome {
        let work = p.int("work"), tasks = p.int("tasks")
        let clock = SectionClock()
        await withDiscardingTaskGroup { group in
            for t in 0..<tasks {
                let share = work / tasks + (t < work % tasks ? 1 : 0)
                group.addTask {
                    var x = UInt64(t + 1)
                    var left = share
                    while left > 0 {
                        let step = min(left, 100_000)
                        x = computeKernel(seed: x, rounds: step)
                        left -= step
                        await Task.yield()
                    }
                    Sink.shared.add(x)
                }
            }
        }
        let section = clock.stop()
        Sink.shared.print()
        return .ok(ops: work, metrics: standardMetrics(ops: work, section: section) + threadMetric())
    }

    static func threadMetric() -> [RunMetric] {
        [RunMetric("threads_created", Double(ProcessMemory.threadCount()), "count", .lower)]
    }
}

/// A Go-like channel for Tasks: bounded (capacity 0 is a rendezvous), with close.
/// Suspended senders and receivers wait on continuations; one Mutex guards the state.
final class AsyncChannel<T: Sendable>: @unchecked Sendable {
    private struct State {
        var buffer: [T] = []
        var head = 0
        var receivers: [CheckedContinuation<T?, Never>] = []
        var senders: [(T, CheckedContinuation<Void, Never>)] = []
        var closed = false
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    private enum SendAction { case done, resume(CheckedContinuation<T?, Never>), wait }
    private enum SendThen { case handTo(CheckedContinuation<T?, Never>), buffered, queued }
    private enum ReceiveAction { case value(T?, CheckedContinuation<Void, Never>?), wait }

    func send(_ value: T) async {
        let action: SendAction = state.withLock { s in
            if s.closed { fatalError("send on closed channel") }
            if !s.receivers.isEmpty { return .resume(s.receivers.removeFirst()) }
            if s.buffer.count - s.head < capacity { s.buffer.append(value); return .done }
            return .wait
        }
        switch action {
        case .done: return
        case .resume(let c): c.resume(returning: value)
        case .wait:
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let then: SendThen = state.withLock { s in
                    // Re-check under the lock: a receiver may have come meanwhile.
                    if !s.receivers.isEmpty { return .handTo(s.receivers.removeFirst()) }
                    if s.buffer.count - s.head < capacity { s.buffer.append(value); return .buffered }
                    s.senders.append((value, c))
                    return .queued
                }
                switch then {
                case .handTo(let r): r.resume(returning: value); c.resume()
                case .buffered: c.resume()
                case .queued: break
                }
            }
        }
    }

    func receive() async -> T? {
        let action: ReceiveAction = state.withLock { s in
            if s.head < s.buffer.count {
                let v = s.buffer[s.head]
                s.head += 1
                if s.head > 64 && s.head * 2 > s.buffer.count { s.buffer.removeFirst(s.head); s.head = 0 }
                var woken: CheckedContinuation<Void, Never>? = nil
                if !s.senders.isEmpty {
                    let (sv, sc) = s.senders.removeFirst()
                    s.buffer.append(sv)
                    woken = sc
                }
                return .value(v, woken)
            }
            if !s.senders.isEmpty {
                let (sv, sc) = s.senders.removeFirst()
                return .value(sv, sc)
            }
            if s.closed { return .value(nil, nil) }
            return .wait
        }
        switch action {
        case .value(let v, let c):
            c?.resume()
            return v
        case .wait:
            return await withCheckedContinuation { (c: CheckedContinuation<T?, Never>) in
                let immediate: (T?, CheckedContinuation<Void, Never>?)? = state.withLock { s in
                    if !s.senders.isEmpty {
                        let (sv, sc) = s.senders.removeFirst()
                        return (sv, sc)
                    }
                    if s.head < s.buffer.count {
                        let v = s.buffer[s.head]; s.head += 1
                        return (v, nil)
                    }
                    if s.closed { return (nil, nil) }
                    s.receivers.append(c)
                    return nil
                }
                if let (v, sc) = immediate {
                    sc?.resume()
                    c.resume(returning: v)
                }
            }
        }
    }

    func close() {
        let waiting: [CheckedContinuation<T?, Never>] = state.withLock { s in
            s.closed = true
            let r = s.receivers
            s.receivers = []
            return r
        }
        for c in waiting { c.resume(returning: nil) }
    }
}
