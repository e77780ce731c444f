// runtime-scenarios: runs one named scenario (argv[1]) in a fresh runtime, for the
// behaviours that end the process (deadlock, panic, stack overflow, bad settings), which
// RuntimeTests checks from the outside: the exact lines on standard error and the status.
import Runtime
#if canImport(Glibc)
import Glibc
#endif

/// Writes `text` and a newline to standard error at once (unbuffered), so that its order
/// against the runtime's own fatal lines is the order of the calls.
func writeStandardError(_ text: String) {
    let line = text + "\n"
    line.withCString { pointer in
        var left = strlen(pointer)
        var at = pointer
        while left > 0 {
            let written = write(2, at, left)
            if written < 0 { if errno == EINTR { continue }; return }
            left -= written
            at += written
        }
    }
}

/// Writes `text` and a newline to standard output and flushes it.
func writeStandardOutput(_ text: String) {
    print(text)
    fflush(stdout)
}

/// A configuration that ends the process when main returns, as Go's programs do.
func goConfiguration(procs: Int = 2) -> RuntimeConfiguration {
    var configuration = RuntimeConfiguration(procs: procs)
    configuration.exitProcessWhenMainReturns = true
    return configuration
}

/// The environment's configuration, ending the process when main returns.
func goConfigurationFromEnvironment() -> RuntimeConfiguration {
    var configuration = RuntimeConfiguration.fromEnvironment()
    configuration.exitProcessWhenMainReturns = true
    return configuration
}

/// CLOCK_MONOTONIC in milliseconds.
func monotonicMilliseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

/// Recursion that the optimizer can neither turn into a loop nor inline: the frame's
/// address goes to a function it cannot see into, before and after the call, so every
/// frame stays (an optimized build folded the earlier `x + a - a` form into a tail call,
/// and the scenario looped for ever instead of overflowing).
@inline(never)
func recurse(depth: Int, until limit: Int) -> Int {
    if depth >= limit { return depth }
    var frame = (UInt64(depth), UInt64(depth) &* 3, UInt64(depth) &* 7, UInt64(depth) &* 11)
    return withUnsafeMutablePointer(to: &frame) { pointer -> Int in
        touchFrame(pointer)
        let below = recurse(depth: depth + 1, until: limit)
        touchFrame(pointer)
        return below
    }
}

/// An opaque use of a frame (out of line and not inlinable: its effect is unknown to
/// the caller's optimizer). `@_optimize(none)`: the stores into the frame are kept, so
/// every recursion level really uses its stack.
@inline(never) @_optimize(none)
func touchFrame(_ pointer: UnsafeMutablePointer<(UInt64, UInt64, UInt64, UInt64)>) {
    pointer.pointee.1 = pointer.pointee.1 &+ pointer.pointee.0
}

/// One scenario: its name, what it shows, and what it runs.
struct Scenario {
    let name: String
    let summary: String
    let body: () -> Void
}

let scenarios: [Scenario] = [
    Scenario(name: "deadlock", summary: "main blocks on a channel nobody sends to") {
        Runtime.run(goConfiguration()) {
            let never = Channel<Int>()
            _ = never.receive()
            writeStandardOutput("unreachable: received")
        }
    },
    Scenario(name: "sleepers-then-deadlock", summary: "goroutines sleep on every P, then end; main blocks on a channel nobody sends to") {
        // Not a deadlock while they sleep (their timers are in several Ps' heaps), one
        // once the last has ended.
        Runtime.run(goConfiguration(procs: 4)) {
            let woke = Channel<Int>(capacity: 8)
            for i in 0..<8 {
                go {
                    Runtime.sleep(nanoseconds: Int64(10 + 5 * i) * 1_000_000)
                    woke.send(i)
                }
            }
            var seen = 0
            for _ in 0..<8 { if woke.receive() != nil { seen += 1 } }
            writeStandardOutput("\(seen) sleepers woke")
            let never = Channel<Int>()
            _ = never.receive()
            writeStandardOutput("unreachable: received")
        }
    },
    Scenario(name: "select-no-cases", summary: "main blocks in select {} with nothing else alive") {
        Runtime.run(goConfiguration()) {
            Runtime.select([])
            writeStandardOutput("unreachable: select returned")
        }
    },
    Scenario(name: "select-choices", summary: "64 blocking selects, each with two ready partners: the cases chosen") {
        // With the random source seeded from the OS, two runs print different lines.
        Runtime.run(goConfiguration(procs: 1)) {
            let a = Channel<Int>(), b = Channel<Int>()
            go { while true { a.send(0) } }
            go { while true { b.send(1) } }
            var line = ""
            for _ in 0..<64 {
                while a.waitingSenderCount == 0 || b.waitingSenderCount == 0 { Runtime.gosched() }
                line += String(Runtime.select(.receive(a), .receive(b)))
            }
            writeStandardOutput(line)
        }
    },
    Scenario(name: "main-goexit", summary: "main calls Goexit while another goroutine finishes") {
        Runtime.run(goConfiguration()) {
            go {
                Runtime.sleep(nanoseconds: 20_000_000)
                writeStandardOutput("worker finished")
            }
            Runtime.defer { writeStandardOutput("main deferred") }
            Runtime.goexit()
        }
    },
    Scenario(name: "goexit-in-panic", summary: "Go's GoexitInPanic: a panicking goroutine's defer calls Goexit, main Goexits") {
        Runtime.run(goConfiguration()) {
            go {
                Runtime.defer { Runtime.goexit() }
                Runtime.panic("hello")
            }
            Runtime.goexit()
        }
    },
    Scenario(name: "goexit-in-panic-main-returns", summary: "a panicking goroutine's defer calls Goexit, then main returns") {
        Runtime.run(goConfiguration()) {
            let done = Channel<Int>()
            go {
                Runtime.defer { done.close() }
                Runtime.defer { Runtime.goexit() }
                Runtime.panic("hello")
            }
            _ = done.receiveWithOK()
            writeStandardOutput("main returning")
        }
    },
    Scenario(name: "panic-after-goexit", summary: "Go's PanicAfterGoexit: a defer run by Goexit panics") {
        Runtime.run(goConfiguration()) {
            Runtime.defer { Runtime.panic("hello") }
            Runtime.goexit()
        }
    },
    Scenario(name: "main-returns", summary: "main returns while a goroutine is blocked: exit 0 at once") {
        Runtime.run(goConfiguration()) {
            go {
                let never = Channel<Int>()
                _ = never.receive()
            }
            Runtime.gosched()
            writeStandardOutput("main returning")
        }
    },
    Scenario(name: "goroutine-panic", summary: "a goroutine panics after deferring a print") {
        Runtime.run(goConfiguration()) {
            let done = WaitGroup()
            done.add(1)
            go {
                Runtime.defer { writeStandardError("deferred 1 ran") }
                Runtime.defer { writeStandardError("deferred 2 ran") }
                Runtime.panic("boom in goroutine")
            }
            done.wait()
            writeStandardOutput("unreachable: main continued")
        }
    },
    Scenario(name: "main-panic", summary: "the main goroutine panics") {
        Runtime.run(goConfiguration()) {
            Runtime.defer { writeStandardError("main deferred ran") }
            Runtime.panic("boom in main")
        }
    },
    Scenario(name: "stack-overflow-main", summary: "unbounded recursion on main with a 256 KiB maximum stack") {
        Runtime.setMaxStack(256 * 1024)
        Runtime.run(goConfiguration()) {
            writeStandardOutput("depth \(recurse(depth: 0, until: .max))")
        }
    },
    Scenario(name: "stack-overflow-goroutine", summary: "unbounded recursion in a goroutine spawned with a 64 KiB stack") {
        Runtime.run(goConfiguration()) {
            let done = WaitGroup()
            done.add(1)
            Runtime.spawn(stackBytes: 64 * 1024) {
                writeStandardOutput("depth \(recurse(depth: 0, until: .max))")
                done.done()
            }
            done.wait()
        }
    },
    Scenario(name: "stack-overflow-standard", summary: "unbounded recursion in a go { } goroutine (standard stack)") {
        Runtime.run(goConfiguration()) {
            let done = WaitGroup()
            done.add(1)
            go {
                writeStandardOutput("depth \(recurse(depth: 0, until: .max))")
                done.done()
            }
            done.wait()
        }
    },
    Scenario(name: "deep-recursion", summary: "1,000,000 frames on the main goroutine (1 GB maximum stack)") {
        Runtime.run(goConfiguration()) {
            writeStandardOutput("depth \(recurse(depth: 0, until: 1_000_000))")
        }
    },
    Scenario(name: "environment", summary: "a runtime configured from the environment prints its settings") {
        Runtime.run(.fromEnvironment()) {
            writeStandardOutput("procs \(Runtime.gomaxprocs(0)) maxstack \(Runtime.maxStackBytes)")
        }
    },
    Scenario(name: "goexit-outside", summary: "Goexit called outside any goroutine") {
        Runtime.goexit()
    },
    Scenario(name: "stack-below-minimum", summary: "a goroutine spawned with a 4 KiB stack") {
        Runtime.run(goConfiguration()) {
            Runtime.spawn(stackBytes: 4096) {}
            writeStandardOutput("unreachable: spawned")
        }
    },
    Scenario(name: "max-stack-below-minimum", summary: "SetMaxStack below the minimum stack") {
        Runtime.setMaxStack(1024)
        writeStandardOutput("unreachable: set")
    },
    Scenario(name: "close-closed-channel", summary: "closing a channel twice") {
        Runtime.run(goConfiguration()) {
            let channel = Channel<Int>(capacity: 1)
            channel.close()
            channel.close()
            writeStandardOutput("unreachable: closed twice")
        }
    },
    Scenario(name: "send-closed-channel", summary: "sending on a closed channel") {
        Runtime.run(goConfiguration()) {
            let channel = Channel<Int>(capacity: 1)
            channel.close()
            channel.send(1)
            writeStandardOutput("unreachable: sent")
        }
    },
    Scenario(name: "send-closed-while-blocked", summary: "a blocked sender whose channel is closed") {
        Runtime.run(goConfiguration()) {
            let channel = Channel<Int>()
            go {
                Runtime.sleep(nanoseconds: 10_000_000)
                channel.close()
            }
            channel.send(1)
            writeStandardOutput("unreachable: sent")
        }
    },
    Scenario(name: "unlock-unlocked-mutex", summary: "unlocking a Mutex that is not locked") {
        Runtime.run(goConfiguration()) {
            let mutex = GoMutex()
            mutex.unlock()
            writeStandardOutput("unreachable: unlocked")
        }
    },
    Scenario(name: "schedtrace", summary: "300 ms of yielding and sleeping goroutines under the environment's settings; the runtime returns, then 100 ms more") {
        // Library mode: Runtime.run must stop sysmon, and with it the trace, before it
        // returns; the marker line on standard error lets the test check no trace follows.
        var configuration = RuntimeConfiguration.fromEnvironment()
        configuration.exitProcessWhenMainReturns = false
        Runtime.run(configuration) {
            let done = WaitGroup()
            let end = monotonicMilliseconds() + 300
            for i in 0..<4 {
                done.add(1)
                go {
                    while monotonicMilliseconds() < end {
                        if i % 2 == 0 { Runtime.gosched() } else { Runtime.sleep(nanoseconds: 1_000_000) }
                    }
                    done.done()
                }
            }
            done.wait()
        }
        writeStandardError("schedtrace: runtime returned")
        usleep(100_000)
        writeStandardOutput("done")
    },
    Scenario(name: "schedtrace-local-queue", summary: "GOMAXPROCS 1: main spawns 50 goroutines, then runs 60 ms without yielding") {
        // The new goroutine takes runnext and pushes the one before to the local queue:
        // 49 in the queue, 1 in runnext, which Go's trace does not count.
        Runtime.run(goConfigurationFromEnvironment()) {
            Runtime.sleep(nanoseconds: 5_000_000) // the scavenger (if on) runs and parks first
            let done = WaitGroup()
            for _ in 0..<50 {
                done.add(1)
                go { done.done() }
            }
            let end = monotonicMilliseconds() + 60
            while monotonicMilliseconds() < end {}
            done.wait()
            writeStandardOutput("done")
        }
    },
    Scenario(name: "startup-trace", summary: "two init functions, main, and the start-up steps in order") {
        Runtime.registerInit { writeStandardOutput("init A") }
        Runtime.registerInit { writeStandardOutput("init B") }
        var configuration = RuntimeConfiguration(procs: 2)
        configuration.exitProcessWhenMainReturns = false
        Runtime.run(configuration) {
            writeStandardOutput("main")
        }
        for step in Runtime.startupTrace { writeStandardOutput("trace: \(step)") }
    },
] + preemptionScenarios

// MARK: - gosem: tracebacks, panic chains, template thread, setMaxStack, Mutex starvation

/// A named frame for the traceback scenarios (not inlined, so it is a frame of its own).
@inline(never)
func tracebackPanicker(_ message: String) -> Never {
    Runtime.panic(message)
}

/// The frame main parks in, for the deadlock traceback.
@inline(never)
func tracebackParkMain() {
    let never = Channel<Int>()
    _ = never.receive()
    writeStandardOutput("unreachable: received")
}

/// A goroutine's parked frame, for GOTRACEBACK=all.
@inline(never)
func tracebackParkedWorker(_ started: WaitGroup) {
    let never = Channel<Int>()
    started.done()
    _ = never.receive()
}

/// The calling thread's working directory.
func currentDirectory() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    guard getcwd(&buffer, buffer.count) != nil else { return "?" }
    return String(cString: buffer)
}

/// unshare(2), which Glibc's module does not export to Swift.
func unshareThread(_ flags: Int32) -> Int32 {
    guard let symbol = dlsym(nil, "unshare") else { return -1 }
    return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)(flags)
}

let gosemScenarios: [Scenario] = [
    Scenario(name: "traceback-panic", summary: "main panics in a named function while a goroutine waits on a channel") {
        Runtime.run(goConfiguration()) {
            let started = WaitGroup()
            started.add(1)
            go { tracebackParkedWorker(started) }
            started.wait()
            tracebackPanicker("traced")
        }
    },
    Scenario(name: "traceback-deadlock", summary: "main parks in a named function; a goroutine parks too: deadlock") {
        Runtime.run(goConfiguration()) {
            let started = WaitGroup()
            started.add(1)
            go { tracebackParkedWorker(started) }
            started.wait()
            tracebackParkMain()
        }
    },
    Scenario(name: "traceback-locked", summary: "main locks its thread, then panics") {
        Runtime.run(goConfiguration()) {
            Runtime.lockOSThread()
            tracebackPanicker("locked")
        }
    },
    Scenario(name: "mutex-starvation", summary: "GOMAXPROCS 1: three waiters queue in order on a GoMutex that main holds for 2 ms at a time and takes back at once after each unlock") {
        Runtime.run(goConfiguration(procs: 1)) {
            let mu = GoMutex()
            var owners: [String] = [] // written under mu
            mu.lock()
            let done = WaitGroup()
            for name in ["w1", "w2", "w3"] {
                done.add(1)
                go {
                    mu.lock()
                    owners.append("\(name)\(mu.isStarving ? "(starving)" : "")")
                    mu.unlock()
                    done.done()
                }
                Runtime.sleep(nanoseconds: 500_000) // the waiter runs and parks: FIFO order
            }
            owners.append("main")
            for _ in 0..<4 {
                Runtime.sleep(nanoseconds: 2_000_000) // holding it: every waiter waits > 1 ms
                mu.unlock()
                mu.lock() // normal mode: takes it before the woken waiter runs
                owners.append("main")
            }
            mu.unlock()
            done.wait()
            writeStandardOutput(owners.joined(separator: " "))
            writeStandardOutput("starving at the end: \(mu.isStarving)")
        }
    },
    Scenario(name: "setmaxstack-main", summary: "main lowers the maximum stack to 256 KiB while running, then recurses without end") {
        Runtime.run(goConfiguration()) {
            Runtime.setMaxStack(256 * 1024)
            writeStandardOutput("depth \(recurse(depth: 0, until: .max))")
        }
    },
    Scenario(name: "setmaxstack-parked", summary: "a goroutine with an 8 MiB stack parks; main lowers the maximum to 128 KiB; the goroutine then recurses without end") {
        Runtime.run(goConfiguration()) {
            let go1 = Channel<Int>()
            let done = WaitGroup()
            done.add(1)
            Runtime.spawn(stackBytes: 8 << 20) {
                _ = go1.receive()
                writeStandardOutput("depth \(recurse(depth: 0, until: .max))")
                done.done()
            }
            Runtime.gosched()
            Runtime.sleep(nanoseconds: 5_000_000) // parked in receive
            Runtime.setMaxStack(128 * 1024)
            go1.send(1)
            done.wait()
        }
    },
    Scenario(name: "setmaxstack-raise", summary: "main lowers the maximum to 64 KiB, raises it to 64 MiB, then recurses 20,000 frames deep") {
        Runtime.run(goConfiguration()) {
            Runtime.setMaxStack(64 * 1024)
            Runtime.setMaxStack(64 << 20)
            writeStandardOutput("depth \(recurse(depth: 0, until: 20_000))")
        }
    },
    Scenario(name: "template-thread", summary: "GOMAXPROCS 1: a locked goroutine unshares its thread's working directory, changes it, queues four goroutines and exits; they check theirs") {
        Runtime.run(goConfiguration(procs: 1)) {
            Runtime.lockOSThread() // main keeps m0: the goroutine below runs on another M
            let original = currentDirectory()
            let reports = Channel<String>(capacity: 16)
            let done = WaitGroup()
            done.add(1)
            var altered = ""
            go {
                Runtime.lockOSThread()
                let lockedThread = Runtime.threadID
                var template = Array("/tmp/gobench-template-XXXXXX".utf8CString)
                guard unshareThread(0x0000_0200 /* CLONE_FS */) == 0, let dir = mkdtemp(&template), chdir(dir) == 0 else {
                    reports.send("setup failed: errno \(errno)")
                    done.done()
                    return
                }
                altered = currentDirectory()
                // Work for the P once this goroutine has ended: its thread ends with it and
                // hands the P off, and no M is idle, so a new M's thread is made for them.
                for _ in 0..<4 {
                    done.add(1)
                    go {
                        let cwd = currentDirectory()
                        let which = cwd == original ? "original" : (cwd == altered ? "altered" : "other \(cwd)")
                        reports.send("child: \(which) directory, \(Runtime.threadID == lockedThread ? "same" : "other") thread")
                        done.done()
                    }
                }
                reports.send("locked: \(altered != original ? "altered" : "unchanged") directory")
                done.done()
            }
            done.wait()
            reports.close()
            var lines: [String] = []
            while let line = reports.receive() { lines.append(line) }
            for line in lines.sorted() { writeStandardOutput(line) }
            if !altered.isEmpty { rmdir(altered) }
        }
    },
    Scenario(name: "sigquit-target", summary: "goroutines blocked on a channel and a long sleep, main waits; prints ready, then waits for a SIGQUIT") {
        // The runtime's SIGQUIT dump (SigquitDump.swift) has something of each kind to list:
        // main in a WaitGroup, one goroutine per kind of wait, and one that spins.
        Runtime.run(goConfigurationFromEnvironment()) {
            let never = Channel<Int>()
            let wg = WaitGroup()
            wg.add(3)
            go { _ = never.receive(); wg.done() }
            go { Runtime.sleep(nanoseconds: 3_600_000_000_000); wg.done() }
            go {
                var x: UInt64 = 1
                while x != 0 { x = x &* 6364136223846793005 &+ 1442695040888963407; Runtime.preemptionPoint() }
                wg.done()
            }
            Runtime.sleep(nanoseconds: 20_000_000)
            writeStandardOutput("ready")
            wg.wait()
        }
    },
    Scenario(name: "panic-chain", summary: "a panic whose deferred functions panic twice") {
        Runtime.run(goConfiguration()) {
            Runtime.defer { Runtime.panic("third") }
            Runtime.defer { writeStandardError("deferred ran") }
            Runtime.defer { Runtime.panic("second") }
            Runtime.panic("first")
        }
    },
]

let arguments = CommandLine.arguments
let usage = "usage: runtime-scenarios NAME (one of: \((scenarios + gosemScenarios).map(\.name).joined(separator: ", ")))"
if arguments.count == 2 && (arguments[1] == "--list" || arguments[1] == "-l") {
    for scenario in scenarios + gosemScenarios { writeStandardOutput("\(scenario.name)\t\(scenario.summary)") }
    exit(0)
}
guard arguments.count == 2 else {
    writeStandardError(usage)
    exit(64)
}
let allScenarios = scenarios + gosemScenarios
guard let scenario = allScenarios.first(where: { $0.name == arguments[1] }) else {
    writeStandardError("runtime-scenarios: unknown scenario \"\(arguments[1])\"; \(usage)")
    exit(64)
}
scenario.body()
