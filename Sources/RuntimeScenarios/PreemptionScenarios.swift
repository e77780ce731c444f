// Scenarios for asynchronous preemption and untracked blocking (Runtime/Preemption.swift):
// goroutines that spin without a runtime call, or block in the kernel without
// Runtime.syscall. Each could hang the process without the feature, so RuntimeTests runs
// them in a child process with a time limit (PreemptionTests.swift).
import Runtime
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Spinners stop when this turns true (an atomic load: no runtime call).
let spinnersStop = Atomic<Bool>(false)
/// Iterations of all spinners (they publish now and then, so that the loop is not dead).
let spinnerWork = Atomic<UInt64>(0)

/// A loop with no runtime call, until `spinnersStop` (or for ever).
@inline(never)
func spin() {
    var x: UInt64 = 0
    while !spinnersStop.load(ordering: .relaxed) {
        x &+= 1
        if x & 0xFFFFF == 0 { spinnerWork.add(1, ordering: .relaxed) }
    }
}

/// A loop with no runtime call for `milliseconds` (clock_gettime through the vDSO).
@inline(never)
func spin(milliseconds: Int) {
    let end = monotonicMilliseconds() + milliseconds
    var x: UInt64 = 0
    while monotonicMilliseconds() < end {
        x &+= 1
        if x & 0xFFFF == 0 { spinnerWork.add(1, ordering: .relaxed) }
    }
}

/// The milliseconds `body` took.
func elapsedMilliseconds(_ body: () -> Void) -> Int {
    let start = monotonicMilliseconds()
    body()
    return monotonicMilliseconds() - start
}

let preemptionScenarios: [Scenario] = [
    Scenario(name: "spinner-sleeper-pingpong-timer",
             summary: "GOMAXPROCS 1: a goroutine spins with no runtime call; main sleeps, a ping-pong runs, a timer fires") {
        Runtime.run(goConfiguration(procs: 1)) {
            go { spin() }
            // The spinner takes the only P at the yield; main is back only once it is preempted.
            let back = elapsedMilliseconds { Runtime.gosched() }
            writeStandardError("main back from its yield after \(back) ms (the first forced preemption)")
            let slept = elapsedMilliseconds { Runtime.sleep(nanoseconds: 20_000_000) }
            writeStandardOutput("sleeper woke")
            writeStandardError("sleep 20 ms took \(slept) ms")
            let ping = Channel<Int>(), pong = Channel<Int>()
            go { for i in 0..<100 { ping.send(i); _ = pong.receive() } }
            var rounds = 0
            let pingpong = elapsedMilliseconds {
                for _ in 0..<100 { _ = ping.receive(); pong.send(0); rounds += 1 }
            }
            writeStandardOutput("pingpong \(rounds)")
            writeStandardError("100 round trips took \(pingpong) ms")
            let timer = Channel<Int>(capacity: 1)
            go { Runtime.sleep(nanoseconds: 5_000_000); timer.send(1) }
            let fired = elapsedMilliseconds { _ = timer.receive() }
            writeStandardOutput("timer fired")
            writeStandardError("a 5 ms timer took \(fired) ms")
            let st = Runtime.statistics()
            writeStandardOutput("forced preemptions \(st[.asyncPreemptions] > 0 ? "counted" : "missing")")
            writeStandardError("asyncPreemptions=\(st[.asyncPreemptions]) signals=\(st[.preemptionSignals]) refusals runtime=\(st[.asyncPreemptRefusalsInRuntime]) library=\(st[.asyncPreemptRefusalsInLibrary]) stale=\(st[.asyncPreemptRefusalsStale]) untrackedBlockingHandoffs=\(st[.untrackedBlockingHandoffs])")
            writeStandardOutput("max-ms \(max(back, slept, fired))")
        }
    },
    Scenario(name: "spinners-gomaxprocs-scavenge",
             summary: "a spinner on every P while main changes GOMAXPROCS and runs the scavenger") {
        Runtime.run(goConfiguration(procs: 2)) {
            for _ in 0..<3 { go { spin() } }
            Runtime.sleep(nanoseconds: 5_000_000)
            for n in [1, 3, 2, 1, 2] {
                let took = elapsedMilliseconds { Runtime.gomaxprocs(n) }
                writeStandardOutput("gomaxprocs \(n)")
                writeStandardError("gomaxprocs(\(n)) took \(took) ms")
                let scavenged = elapsedMilliseconds { Runtime.scavenge() }
                writeStandardError("scavenge took \(scavenged) ms")
            }
            writeStandardOutput("scavenged")
            spinnersStop.store(true, ordering: .relaxed)
            writeStandardOutput("done")
        }
    },
    Scenario(name: "spinner-holds-mutex",
             summary: "GOMAXPROCS 1: a spinner holds a Synchronization.Mutex while another goroutine waits for it") {
        Runtime.run(goConfiguration(procs: 1)) {
            let mutex = Mutex<Int>(0)
            let wg = WaitGroup()
            wg.add(2)
            let holderThread = Atomic<Int32>(0)
            go {
                mutex.withLock { value in
                    holderThread.store(Runtime.threadID, ordering: .relaxed)
                    spin(milliseconds: 100)
                    value += 1
                    // Still the thread that locked it: the owner must unlock it.
                    if Runtime.threadID != holderThread.load(ordering: .relaxed) { writeStandardOutput("holder moved") }
                }
                wg.done()
            }
            Runtime.gosched() // the holder takes the mutex and spins
            go {
                mutex.withLock { value in value += 10 }
                wg.done()
            }
            var ticks = 0
            let sleeper = elapsedMilliseconds { Runtime.sleep(nanoseconds: 10_000_000); ticks += 1 }
            writeStandardError("sleeper took \(sleeper) ms")
            wg.wait()
            writeStandardOutput("value \(mutex.withLock { $0 })")
            writeStandardOutput("sleeper ticks \(ticks)")
        }
    },
    Scenario(name: "spinner-locked",
             summary: "GOMAXPROCS 1: a goroutine locked to its thread spins; main sleeps; the spinner stays on its thread") {
        Runtime.run(goConfiguration(procs: 1)) {
            let result = Channel<String>(capacity: 1)
            go {
                Runtime.lockOSThread()
                let before = Runtime.threadID
                spin(milliseconds: 150)
                let after = Runtime.threadID
                result.send(after == before && Runtime.isLockedToThread ? "same thread, locked" : "moved \(before) -> \(after)")
                Runtime.unlockOSThread()
            }
            let slept = elapsedMilliseconds { Runtime.gosched(); Runtime.sleep(nanoseconds: 20_000_000) }
            writeStandardOutput("sleeper woke")
            writeStandardError("yield and sleep 20 ms took \(slept) ms")
            writeStandardOutput(result.receive()!)
            writeStandardOutput("forced preemptions \(Runtime.statistics()[.asyncPreemptions] > 0 ? "counted" : "missing")")
        }
    },
    Scenario(name: "preempt-refused-in-runtime",
             summary: "GOMAXPROCS 1: a goroutine spins 300 ms inside the runtime; the handler refuses and main waits") {
        Runtime.run(goConfiguration(procs: 1)) {
            let forcedDuringSpin = Channel<UInt64>(capacity: 1)
            go { forcedDuringSpin.send(Runtime._spinInsideRuntime(nanoseconds: 300_000_000)) }
            let slept = elapsedMilliseconds { Runtime.gosched(); Runtime.sleep(nanoseconds: 10_000_000) }
            let forced = forcedDuringSpin.receive()!
            let st = Runtime.statistics()
            writeStandardError("yield and sleep 10 ms took \(slept) ms; refusals in runtime \(st[.asyncPreemptRefusalsInRuntime]); forced during the spin \(forced), in all \(st[.asyncPreemptions])")
            writeStandardOutput(slept >= 250 ? "not preempted" : "preempted after \(slept) ms")
            writeStandardOutput(st[.asyncPreemptRefusalsInRuntime] > 0 ? "refusals counted" : "no refusal")
            writeStandardOutput("forced preemptions \(forced)")
        }
    },
    Scenario(name: "spinner-in-select-handler",
             summary: "GOMAXPROCS 1: select handlers (ready case, case fired after parking, default) spin 300 ms with no runtime call; main sleeps 10 ms each time") {
        Runtime.run(goConfiguration(procs: 1)) {
            // Each handler spins 300 ms; main's 10 ms sleep ends early only if the handler
            // is preempted (a handler inside the runtime mark would hold the P throughout).
            func measure(_ what: String, _ start: @escaping (Channel<Int>) -> Void) {
                let done = Channel<Int>(capacity: 1)
                go { start(done) }
                let slept = elapsedMilliseconds { Runtime.gosched(); Runtime.sleep(nanoseconds: 10_000_000) }
                _ = done.receive()
                writeStandardError("\(what): yield and sleep 10 ms took \(slept) ms")
                writeStandardOutput("\(what) \(slept < 250 ? "preempted" : "not preempted after \(slept) ms")")
            }
            measure("ready case") { done in
                let ready = Channel<Int>(capacity: 1)
                ready.send(1)
                Runtime.select(.receive(ready) { _, _ in spin(milliseconds: 300) })
                done.send(0)
            }
            measure("fired case") { done in
                let later = Channel<Int>()
                // The partner runs once this goroutine parks in the select.
                go { later.send(2) }
                Runtime.select(.receive(later) { _, _ in spin(milliseconds: 300) }, .receive(Channel<Int>()))
                done.send(0)
            }
            measure("default") { done in
                Runtime.select(.receive(Channel<Int>()), default: { spin(milliseconds: 300) })
                done.send(0)
            }
            writeStandardOutput("forced preemptions \(Runtime.statistics()[.asyncPreemptions] > 0 ? "counted" : "missing")")
        }
    },
    Scenario(name: "spinner-bounded",
             summary: "GOMAXPROCS 1: a goroutine spins 300 ms with no runtime call; main sleeps 10 ms (run with GODEBUG=asyncpreemptoff=1)") {
        Runtime.run({ var c = goConfigurationFromEnvironment(); c.procs = 1; return c }()) {
            go { spin(milliseconds: 300) }
            let slept = elapsedMilliseconds { Runtime.gosched(); Runtime.sleep(nanoseconds: 10_000_000) }
            let st = Runtime.statistics()
            writeStandardError("yield and sleep 10 ms took \(slept) ms; forced \(st[.asyncPreemptions]); signals \(st[.preemptionSignals])")
            writeStandardOutput(slept >= 250 ? "not preempted" : "preempted")
            writeStandardOutput("forced preemptions \(st[.asyncPreemptions])")
        }
    },
    Scenario(name: "untracked-blocking-read",
             summary: "GOMAXPROCS 1: a goroutine blocks in read(2) on a pipe without Runtime.syscall; others keep running") {
        Runtime.run(goConfiguration(procs: 1)) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { writeStandardOutput("pipe failed"); return }
            let got = Channel<UInt8>(capacity: 1)
            go {
                var byte: UInt8 = 0
                let n = read(fds[0], &byte, 1) // blocks this thread; the runtime is not told
                got.send(n == 1 ? byte : 0)
            }
            Runtime.gosched() // the reader blocks on the only P
            // Others keep running: a sleeper ticks and a ping-pong goes on.
            var ticks = 0
            let ping = Channel<Int>(), pong = Channel<Int>()
            go { for i in 0..<50 { ping.send(i); _ = pong.receive() } }
            let took = elapsedMilliseconds {
                for _ in 0..<5 { Runtime.sleep(nanoseconds: 2_000_000); ticks += 1 }
                for _ in 0..<50 { _ = ping.receive(); pong.send(0) }
            }
            writeStandardOutput("others ran \(ticks) ticks and 50 round trips")
            writeStandardError("took \(took) ms")
            var byte: UInt8 = 42
            _ = write(fds[1], &byte, 1)
            writeStandardOutput("reader got \(got.receive()!)")
            let st = Runtime.statistics()
            writeStandardOutput(st[.untrackedBlockingHandoffs] > 0 ? "blocking hand-off counted" : "no blocking hand-off")
            writeStandardError("untrackedBlockingHandoffs=\(st[.untrackedBlockingHandoffs]) signals=\(st[.preemptionSignals])")
        }
    },
    Scenario(name: "shutdown-with-preempted-goroutine",
             summary: "library mode, GOMAXPROCS 1: main returns while a spinner waits, preempted, for a P; Runtime.run returns") {
        var configuration = RuntimeConfiguration(procs: 1)
        configuration.exitProcessWhenMainReturns = false
        Runtime.run(configuration) {
            go {
                spin(milliseconds: 200) // preempted on m0 while main sleeps
                Runtime.gosched() // the runtime has shut down: abandoned here
                writeStandardOutput("abandoned goroutine resumed")
            }
            Runtime.sleep(nanoseconds: 30_000_000)
            writeStandardOutput("main returning")
        }
        writeStandardOutput("Runtime.run returned")
    },
]
