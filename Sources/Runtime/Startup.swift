// Start-up and shut-down, in the order of Go's runtime.main (proc.go):
//
//   m0 and its g0 → the main goroutine (G1) runs on m0 and: sets the maximum stack size
//   → starts sysmon → locks itself to m0 with a deferred unlock → checks that it runs on
//   m0 → creates the scavenger as goroutine 2 → runs the registered init functions →
//   clears the deferred unlock and unlocks → runs main → checks for a panicking
//   goroutine → exits.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Settings of one runtime, usually from the environment.
public struct RuntimeConfiguration: Sendable {
    /// Go's maxstacksize on 64-bit systems: 1,000,000,000 bytes (runtime/proc.go).
    public static let defaultMaxStackBytes = 1_000_000_000
    /// The stack of `go { }`: committed page by page, so a goroutine pays for what it uses.
    public static let defaultStandardStackBytes = 256 * 1024
    /// The seed's scavenger period: 2 minutes.
    public static let defaultScavengeIntervalNanoseconds: Int64 = 120_000_000_000

    public var procs: Int
    /// Why `procs` has its value (Go 1.25's rule, or the GOMAXPROCS variable).
    public var procsRule: String
    public var standardStackBytes = RuntimeConfiguration.defaultStandardStackBytes
    public var maxStackBytes = RuntimeConfiguration.defaultMaxStackBytes
    /// nil: the scavenger is off.
    public var scavengeIntervalNanoseconds: Int64? = RuntimeConfiguration.defaultScavengeIntervalNanoseconds
    /// Resident bytes of free stacks the scavenger keeps.
    public var scavengeRetainBytes = 4 << 20
    /// Free goroutines (G objects, about 600 bytes each with what hangs on them) the
    /// scavenger keeps on the global free list for reuse; it frees the rest. Each P keeps
    /// up to 63 more (Go's gfput spills at 64).
    public var scavengeRetainGoroutines = 1024
    /// The stack pacer's GOGC (Scavenger.swift, "The stack pacer"): a compaction pass of
    /// parked goroutines' stacks each time the stack bytes held grow by this percentage;
    /// GOBENCH_STACKGC=off (nil) turns it off.
    public var stackPacerPercent: Int? = 100
    /// Print a line per scavenger run on standard error (GODEBUG=scavtrace=1).
    public var scavengeTrace = false
    /// Print Go's schedtrace line on standard error every this many milliseconds, from
    /// sysmon (GOBENCH_SCHEDTRACE=MS, or Go's GODEBUG=schedtrace=MS); 0: off.
    public var schedtraceMilliseconds = 0
    /// Go's GODEBUG=scheddetail=1: each schedtrace line becomes the detailed trace (every
    /// P, M and G, Schedtrace.swift), and a SIGQUIT's dump includes it
    /// (SigquitDump.swift), as it does whenever schedtrace is on.
    public var schedDetail = false
    /// Forced (signal) preemption of goroutines that run 10 ms without a runtime call
    /// (Preemption.swift); GODEBUG=asyncpreemptoff=1 turns it off, as in Go.
    public var asyncPreemption = true
    public var contextBackend: ContextBackend = .assembly
    /// How Ps are placed on CPUs (GOBENCH_PLACEMENT).
    public var placement: PlacementPolicy = .none
    /// Ends the process with exit(0) when main returns, as Go does; otherwise Runtime.run
    /// returns (for tests and embedding).
    public var exitProcessWhenMainReturns = false

    public enum ContextBackend: String, Sendable {
        case assembly = "asm"
        case ucontext
    }

    public init(procs: Int? = nil) {
        let cpus = max(1, RuntimeConfiguration.affinityCPUCount())
        self.procs = procs ?? cpus
        self.procsRule = procs == nil ? "CPUs in the affinity mask (\(cpus))" : "set by the caller"
    }

    /// The CPUs in the process's affinity mask.
    public static func affinityCPUCount() -> Int {
        if let mask = try? ThreadAffinity.current() { return mask.count }
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    public struct Error: Swift.Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads GOMAXPROCS, GOBENCH_SCAVENGE, GOBENCH_STACKGC, GOBENCH_MAXSTACK, GOBENCH_STACK_SIZE,
    /// GOBENCH_CONTEXT, GOBENCH_PLACEMENT, GOBENCH_SCHEDTRACE and GODEBUG's scavtrace,
    /// schedtrace, scheddetail and asyncpreemptoff over `self`.
    public mutating func applyEnvironment(_ env: [String: String]) throws {
        if let v = env["GOMAXPROCS"] {
            guard let n = Int(v.trimmingASCII(" ")), n > 0 else {
                throw Error(description: "runtime: invalid GOMAXPROCS value \"\(v)\": must be a positive integer")
            }
            procs = n
            procsRule = "GOMAXPROCS=\(n) in the environment"
        }
        if let v = env["GOBENCH_SCAVENGE"] {
            scavengeIntervalNanoseconds = try RuntimeConfiguration.parseInterval(v, name: "GOBENCH_SCAVENGE")
        }
        if let v = env["GOBENCH_STACKGC"] {
            let n = Int(v.trimmingASCII(" "))
            guard v.trimmingASCII(" ") == "off" || (n != nil && n! >= 1 && n! <= 1_000_000) else {
                throw Error(description: "runtime: invalid GOBENCH_STACKGC \"\(v)\": expected off or a percentage from 1 to 1000000")
            }
            stackPacerPercent = n
        }
        if let v = env["GOBENCH_MAXSTACK"] {
            let n = try RuntimeConfiguration.parseBytes(v, name: "GOBENCH_MAXSTACK")
            if n < StackAllocator.minimumStackBytes {
                throw Error(description: "runtime: invalid GOBENCH_MAXSTACK \"\(v)\": below the minimum stack of \(StackAllocator.minimumStackBytes) bytes")
            }
            maxStackBytes = n
        }
        if let v = env["GOBENCH_STACK_SIZE"] {
            let n = try RuntimeConfiguration.parseBytes(v, name: "GOBENCH_STACK_SIZE")
            if n < StackAllocator.minimumStackBytes {
                throw Error(description: "runtime: invalid GOBENCH_STACK_SIZE \"\(v)\": below the minimum stack of \(StackAllocator.minimumStackBytes) bytes")
            }
            standardStackBytes = StackAllocator.roundUp(n, StackAllocator.pageBytes)
        }
        if let v = env["GOBENCH_CONTEXT"] {
            guard let b = ContextBackend(rawValue: v) else {
                throw Error(description: "runtime: invalid GOBENCH_CONTEXT \"\(v)\": expected asm or ucontext")
            }
            contextBackend = b
        }
        if let v = env["GOBENCH_PLACEMENT"] {
            // The syntax here; the nodes against the topology in fromEnvironment and
            // Runtime.run (checkPlacement), which know the topology.
            do { placement = try PlacementPolicy(parsing: v) } catch {
                throw Error(description: "runtime: invalid GOBENCH_PLACEMENT \"\(v)\": \(error)")
            }
        }
        if let v = env["GODEBUG"] {
            // Go's parsedebugvars: comma-separated key=value pairs, the last one of a key
            // wins, keys the runtime does not know are ignored. A value of a known key that
            // is not a whole number is bad input here (Go ignores it silently).
            for part in v.split(separator: ",", omittingEmptySubsequences: true) {
                guard let eq = part.firstIndex(of: "=") else { continue }
                let key = part[..<eq], value = part[part.index(after: eq)...]
                guard ["scavtrace", "schedtrace", "scheddetail", "asyncpreemptoff"].contains(key) else { continue }
                guard let n = Int32(value) else {
                    throw Error(description: "runtime: invalid GODEBUG \"\(v)\": \(key)=\(value) is not a whole number")
                }
                switch key {
                case "scavtrace": scavengeTrace = n != 0
                case "schedtrace": schedtraceMilliseconds = max(0, Int(n)) // X <= 0 is off
                case "scheddetail": schedDetail = n > 0
                default: asyncPreemption = n == 0
                }
            }
        }
        if let v = env["GOBENCH_SCHEDTRACE"] { // wins over GODEBUG=schedtrace
            schedtraceMilliseconds = try RuntimeConfiguration.parseSchedtrace(v)
        }
        if standardStackBytes > maxStackBytes { standardStackBytes = maxStackBytes }
    }

    /// The configuration from the process environment; bad values end the process with
    /// one line on standard error and status 2.
    public static func fromEnvironment() -> RuntimeConfiguration {
        var c = RuntimeConfiguration()
        let env = processEnvironment()
        do {
            let topologyVariable = TopologyOverride.environmentVariable
            if let v = env[topologyVariable], !v.isEmpty {
                do { _ = try TopologyOverride.parse(v) } catch {
                    throw Error(description: "runtime: invalid \(topologyVariable) \"\(v)\": \(error)")
                }
            }
            // Go 1.25's default: the affinity mask and the cgroup quota (Topology/).
            let snapshot = try TopologySnapshot.discover(overrideText: env[topologyVariable])
            c.procs = snapshot.defaultProcessors.value
            c.procsRule = snapshot.defaultProcessors.rule
            try c.applyEnvironment(env)
            if env["GOBENCH_PLACEMENT"] != nil {
                try c.checkPlacement(against: snapshot.narrowedTopology, name: "GOBENCH_PLACEMENT")
            }
        } catch {
            let text = "\(error)"
            fatalUsage(text.hasPrefix("runtime: ") ? text : "runtime: " + text)
        }
        return c
    }

    /// Checks `placement` against `topology` (the machine's, or GOBENCH_TOPOLOGY's, narrowed
    /// to the affinity mask): `nodes=` naming only nodes that exist and have a CPU in the
    /// mask. `name` is what the error line calls the setting
    /// (`GOBENCH_PLACEMENT`, `placement`).
    public func checkPlacement(against topology: Topology, name: String = "placement") throws {
        if placement == .none { return }
        do {
            _ = try PlacementMap(topology: topology, processorCount: max(1, procs), policy: placement)
        } catch {
            throw Error(description: "runtime: invalid \(name) \"\(placement)\": \(error)")
        }
    }

    /// Checks `placement` against the topology this process's runtime would use
    /// (GOBENCH_TOPOLOGY, else the machine's through libnuma), as Runtime.run does; for
    /// callers that want a bad placement as an error rather than the exit of Runtime.run.
    public func checkPlacement(name: String = "placement") throws {
        if placement == .none { return }
        let snapshot: TopologySnapshot
        do { snapshot = try TopologySnapshot.discover() } catch {
            throw Error(description: "runtime: invalid \(name) \"\(placement)\": \(error)")
        }
        try checkPlacement(against: snapshot.narrowedTopology, name: name)
    }

    /// `off`, or a duration with its unit: `500us`, `10ms`, `1.5s`, `2m`, `1h` (the
    /// grammar of GobenchSettings' ScavengeSetting, which gobench reads too). nil: off.
    public static func parseInterval(_ text: String, name: String) throws -> Int64? {
        do { return try ScavengeSetting.parse(text, what: name).intervalNanoseconds } catch {
            throw Error(description: "runtime: invalid \(name) \"\(text)\": expected off or a positive duration such as 10ms, 2m")
        }
    }

    /// GOBENCH_SCHEDTRACE: whole milliseconds between trace lines, as Go's
    /// GODEBUG=schedtrace=X (an int32 there too); 0 is off.
    public static func parseSchedtrace(_ text: String) throws -> Int {
        let t = text.trimmingASCII(" ")
        guard !t.isEmpty, t.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int32(t) else {
            throw Error(description: "runtime: invalid GOBENCH_SCHEDTRACE \"\(text)\": expected a whole number of milliseconds such as 1000, or 0 for off")
        }
        return Int(n)
    }

    /// The largest size a stack setting may name: ByteSize's 1 TiB.
    public static let maximumSizeBytes = ByteSize.maximumBytes

    /// Bytes with an optional K, M, G suffix (powers of 1024), or a plain number, at most
    /// `maximumSizeBytes` (the grammar of GobenchSettings' ByteSize).
    public static func parseBytes(_ text: String, name: String) throws -> Int {
        do { return try ByteSize.bytes(text, what: name) } catch {
            throw Error(description: "runtime: invalid \(name) \"\(text)\": expected a positive size up to 1T such as 65536, 64K, 1G")
        }
    }
}

func processEnvironment() -> [String: String] {
    var out: [String: String] = [:]
    var p = environ
    while let entry = p.pointee {
        let s = String(cString: entry)
        if let eq = s.firstIndex(of: "=") {
            out[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        p += 1
    }
    return out
}

/// Init functions registered before Runtime.run, run by the main goroutine in order.
nonisolated(unsafe) var registeredInits: [() -> Void] = []
nonisolated(unsafe) var startupTraceEvents: [String] = []

extension Runtime {
    /// Registers a package init function (run by the main goroutine before main).
    public static func registerInit(_ f: @escaping () -> Void) {
        registeredInits.append(f)
    }

    /// The start-up steps of the last Runtime.run, in the order they happened.
    public static var startupTrace: [String] { startupTraceEvents }

    /// Runs `main` as the main goroutine of a fresh runtime on the calling thread (m0).
    /// Returns when main returns (or exits the process, when so configured); the
    /// goroutines still alive then are abandoned, as Go's are when main returns. The
    /// result is 0, main's exit status: a program that fails ends the process itself
    /// (a panic or fatal error exits 2, os.Exit's counterpart is exit()).
    @discardableResult
    public static func run(_ configuration: RuntimeConfiguration = .fromEnvironment(),
                           main: @escaping () -> Void) -> Int32 {
        if sched != nil { fatalUsage("runtime: Runtime.run called while a runtime is running") }
        startupTraceEvents = []
        Statistics.shared.reset()
        gb_preempt_refusals_reset()
        if gb_context_set_backend(configuration.contextBackend == .assembly ? Int32(GB_CONTEXT_ASM) : Int32(GB_CONTEXT_UCONTEXT)) != 0 {
            fatalUsage("runtime: unknown context back end")
        }
        gb_signals_install()
        installPreemption()
        _ = gb_sigquit_install() // Go's SIGQUIT dump (SigquitDump.swift)
        _ = gb_signal_stack_install()
        Traceback.configureFromEnvironment() // GOTRACEBACK (Traceback.swift)
        var config = configuration
        if let pending = pendingMaxStackBytes { config.maxStackBytes = pending; pendingMaxStackBytes = nil }
        let s = Scheduler(configuration: config, placement: makePlacementBinding(config))
        sched = s
        schedRef = Unmanaged.passUnretained(s)
        gb_sigquit_set_active(1)
        // m0 and its g0: this thread and its own stack.
        let m0 = Machine(id: 0, isM0: true)
        m0.attachToThread()
        s.m0 = m0
        s.lock.lock()
        s.synced.allM.append(m0)
        s.synced.machineCount = 1
        startupTraceEvents.append("m0")
        _ = s.resizeProcessors(config.procs, caller: m0)
        s.lock.unlock()
        // The main goroutine: goroutine 1, with a stack as large as the maximum.
        let p0 = m0.p!
        let mainG = s.newGoroutine(on: p0)
        mainG.id = s.nextGoid(p0)
        mainG.isMain = true
        mainG.pinned = true // this frame holds it until shutdown: never freed
        mainG.requestedStackBytes = config.maxStackBytes
        mainG.entry = GoroutineEntry(run: { runtimeMain(main) })
        _ = gb_add_i64(s.words.liveUserGoroutines, 1)
        mainG.setStatus(.runnable)
        s.runqPut(p0, mainG, next: true)

        schedule(m0)

        // Shut down: wait (bounded) for the other Ms to end their threads.
        s.lock.lock()
        s.synced.machineCount -= 1
        s.lock.unlock()
        let deadline = gb_nanotime() + 5_000_000_000
        while gb_nanotime() < deadline {
            s.lock.lock()
            let left = s.synced.machineCount
            let machines = s.synced.allM // (appended to under the lock)
            s.lock.unlock()
            if left == 0 { break }
            for m in machines { m.park.wakeup() }
            usleep(200)
        }
        s.lock.lock()
        let clean = s.synced.machineCount == 0
        s.lock.unlock()
        gb_sigquit_set_active(0)
        gb_sigquit_uninstall()
        s.timers.removeAll()
        if clean { s.releaseAllMemory() }
        gb_set_machine(nil)
        sched = nil
        retiredSchedulers.append(s) // threads that did not end in time may still read it
        return 0
    }
}

nonisolated(unsafe) var retiredSchedulers: [Scheduler] = []

/// The placement policy and topology of a run; a policy the topology lacks nodes for, or a bad topology override, is an
/// error of the program's input (one line, exit 2).
func makePlacementBinding(_ config: RuntimeConfiguration) -> PlacementBinding {
    let policy = config.placement
    let snapshot: TopologySnapshot
    do {
        snapshot = try TopologySnapshot.discover(overrideText: processEnvironment()["GOBENCH_TOPOLOGY"])
    } catch {
        if policy != .none { fatalUsage("runtime: placement \(policy): \(error)") }
        return PlacementBinding(policy: policy, topology: nil)
    }
    // A node list naming nodes the topology lacks is bad input too (gobench topology
    // rejects it the same way), not a silent run without placement.
    do { try config.checkPlacement(against: snapshot.narrowedTopology) } catch { fatalUsage("\(error)") }
    processAffinityAtStart = snapshot.affinity.cpus.map { Int32($0) }
    return PlacementBinding(policy: policy, topology: snapshot.narrowedTopology)
}

/// The main goroutine's body (Go's runtime.main).
func runtimeMain(_ main: @escaping () -> Void) {
    let s = sched!
    s.mainStarted = true
    // 1. The maximum stack size (1 GB on 64-bit).
    startupTraceEvents.append("maxstack \(s.maxStackBytes)")
    // 2. sysmon, on its own M without a P.
    startSysmon()
    startupTraceEvents.append("sysmon")
    // 3. Lock to m0 during initialisation, with a deferred unlock that also runs if
    //    initialisation ends the goroutine early.
    Runtime.lockOSThreadInternal()
    var needUnlock = true
    Runtime.defer {
        if needUnlock {
            startupTraceEvents.append("deferred unlock")
            Runtime.unlockOSThreadInternal()
        }
    }
    startupTraceEvents.append("lock m0")
    // 4. This must be m0.
    guard let m = Machine.current, m === s.m0 else {
        fatalThrow("runtime.main not on m0")
    }
    startupTraceEvents.append("m0 check")
    // 5. The scavenger, goroutine 2, spawned like any go statement.
    startScavenger()
    startupTraceEvents.append("scavenger g\(s.scavengerID)")
    // 6. The init functions.
    let inits = registeredInits
    let gp = currentGoroutine()!
    for (i, f) in inits.enumerated() {
        runAsUserCode(gp, f)
        startupTraceEvents.append("init \(i)")
    }
    // 7. The deferred unlock is no longer needed: unlock now.
    needUnlock = false
    Runtime.unlockOSThreadInternal()
    startupTraceEvents.append("unlock m0")
    startupTraceEvents.append("main")
    runAsUserCode(gp, main)
    startupTraceEvents.append("main returned")
    // 8. A goroutine that is panicking is printing its message: let it finish.
    while gb_load_acquire_i64(s.words.panickingCount) > 0 { Runtime.gosched() }
    startupTraceEvents.append("exit")
    if s.configuration.exitProcessWhenMainReturns {
        flushStandardStreams()
        exit(0)
    }
    initiateShutdown()
}

/// Main returned (library mode): stop every M and return from Runtime.run on m0.
func initiateShutdown() {
    let s = sched!
    s.lock.lock()
    gb_store_release_u32(s.words.shuttingDown, 1)
    let machines = s.synced.allM
    s.lock.unlock()
    for m in machines { m.park.wakeup() }
    s.timers.waiterNote.wakeup()
    s.stopNote.wakeup()
    s.sysmonState.note.wakeup()
}

/// The main goroutine ended through Goexit: the program goes on until the others end.
func mainGoroutineExited(_ m: Machine) {
    let s = sched!
    if s.isShuttingDown { return }
    s.lock.lock()
    s.synced.mainGoexited = true
    s.lock.unlock()
}

extension Scheduler {
    /// Unmaps every stack (shutdown, when no thread can still run on one).
    func releaseAllMemory() {
        for gp in allGoroutines {
            if let st = gp.stack, st.dedicated { stacks.release(st) }
            gp.stack = nil
            if let c = gp.compactedStack { c.deallocateRecord() } // parked at shutdown
            gp.compactedStack = nil
        }
        stacks.unmapAll()
    }
}
