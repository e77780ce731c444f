// deep-recursion on this runtime: recursion to a depth on a goroutine whose stack is as
// large as the limit, and the overflow case, run in a child process (the overflow ends
// the process the way Go's does: Go's lines on standard error, exit status 2).
import Foundation
import GobenchKit
import Runtime

enum StackWorkloads {
    /// Go's default maximum stack on 64-bit systems (runtime/proc.go).
    static let goDefaultMaxStackBytes = 1_000_000_000
    /// The overflow child stores its depth here (a shared mapping of a file).
    static let depthFileVariable = "GOBENCH_OVERFLOW_DEPTH_FILE"

    static func deepRecursion(_ p: WorkloadParameters, procs: Int) -> WorkloadOutcome {
        let frame = FrameClass.nearest(p.int("frame"))
        let maxMB = p.int("maxstack_mb")
        if p.string("mode") == "overflow" {
            return overflowParent(frame: frame, maxStackBytes: (maxMB == 0 ? 64 : maxMB) << 20)
        }
        let depth = p.int("depth")
        // Depth mode: the recursion runs on a goroutine whose stack is the limit
        // (maxstack_mb, like Go's debug.SetMaxStack; 0: Go's default, 1 GB), as the main
        // goroutine's would be.
        let limit = maxMB == 0 ? goDefaultMaxStackBytes : maxMB << 20
        let frameBytes = measureFrameBytes(frame)
        let need = depth * frameBytes + 64 * 1024
        if need > limit {
            return .error("deep-recursion: depth=\(depth) with \(frameBytes)-byte frames needs a \(need >> 20) MB stack, above the \(limit >> 20) MB limit (raise maxstack_mb or use mode=overflow)")
        }
        // The measured section, as the Go peer's: create the goroutine (here: with its
        // stack reserved at the limit; Go: an 8 KB stack that grows by copying), run the
        // recursion to depth, receive its result on main.
        let done = Channel<UInt64>(capacity: 1)
        let clock = SectionClock()
        Runtime.spawn(stackBytes: limit) {
            done.send(frame.recurse(depth))
        }
        let sink = done.receive()!
        let section = clock.stop()
        Sink.shared.add(sink)
        Sink.shared.print()
        var metrics = standardMetrics(ops: depth, section: section)
        metrics.append(RunMetric("depth_reached", Double(depth), "count", .higher))
        metrics.append(RunMetric("frame_bytes", Double(frameBytes), "bytes", .none))
        return .ok(ops: depth, metrics: metrics + runtimeMetrics())
    }

    /// Stack bytes per frame, from the addresses of two frames 1000 apart.
    static func measureFrameBytes(_ frame: FrameClass) -> Int {
        let ch = Channel<Int>(capacity: 1)
        Runtime.spawn(stackBytes: 64 << 20) {
            ch.send(frame.measure())
        }
        return ch.receive()!
    }

    /// Runs the overflow in a child: its time to failure, the depth it reached and its
    /// exit status.
    static func overflowParent(frame: FrameClass, maxStackBytes: Int) -> WorkloadOutcome {
        let path = NSTemporaryDirectory() + "gobench-depth-\(getpid())"
        // Two Int64s: the depth the child reached, and when its recursion started
        // (CLOCK_MONOTONIC, the same clock in both processes).
        guard FileManager.default.createFile(atPath: path, contents: Data(count: 16)) else {
            return .error("deep-recursion: cannot create \(path)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: exe)
        var overflow = RunSettings(workload: "deep-recursion", engine: .swift, procs: 1, scavenge: .off, placement: .none,
                                   params: WorkloadParameters())
        do {
            overflow.params = try Catalog.workload(named: "deep-recursion").resolvedParameters(
                ["mode": "overflow", "frame": "\(frame.bytes)", "maxstack_mb": "\(maxStackBytes >> 20)"])
            proc.arguments = ["child"] + (try overflow.childArguments())
        } catch { return .error("deep-recursion: \(error)") }
        var env = ProcessInfo.processInfo.environment
        env[depthFileVariable] = path
        proc.environment = env
        let errPipe = Pipe()
        proc.standardError = errPipe
        proc.standardOutput = FileHandle.nullDevice
        let childrenCPUBefore = childrenCPUNanoseconds()
        let start = now()
        do { try Runtime.blockingSyscall { try proc.run() } } catch {
            return .error("deep-recursion: cannot start the overflow child: \(error)")
        }
        let stderrData = Runtime.blockingSyscall { errPipe.fileHandleForReading.readDataToEndOfFile() }
        Runtime.blockingSyscall { proc.waitUntilExit() }
        let end = now()
        // The overflow child's CPU time, its whole life (the Go peer: its ProcessState).
        let childCPU = childrenCPUNanoseconds() - childrenCPUBefore
        let status = proc.terminationStatus
        let text = String(decoding: stderrData, as: UTF8.self)
        let shared = FileManager.default.contents(atPath: path) ?? Data(count: 16)
        // The child counts down from Int64.max (recursion without bound).
        let stored = shared.withUnsafeBytes { $0.loadUnaligned(as: Int64.self) }
        let depth = stored == 0 ? 0 : Int64.max - stored + 1
        let recursionStart = shared.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int64.self) }
        // From the start of the recursion (as the Go peer measures), not of the process.
        let elapsed = end - (recursionStart > 0 ? recursionStart : start)
        guard text.contains("fatal error: stack overflow"), text.contains("runtime: goroutine stack exceeds") else {
            return .error("deep-recursion: the overflow child exited \(status) without Go's stack overflow report: \(text.split(separator: "\n").first ?? "")")
        }
        var metrics = standardMetrics(ops: Int(depth), section: Section(wallNanoseconds: elapsed, cpuNanoseconds: childCPU))
        metrics.append(RunMetric("depth_reached", Double(depth), "count", .higher))
        metrics.append(RunMetric("time_to_failure_ns", Double(elapsed), "ns", .lower))
        metrics.append(RunMetric("exit_status", Double(status), "count", .none))
        metrics.append(RunMetric("frame_bytes", Double(measureFrameBytes(frame)), "bytes", .none))
        return .ok(ops: Int(depth), metrics: metrics)
    }

    /// User and system CPU time of the waited-for child processes (RUSAGE_CHILDREN).
    static func childrenCPUNanoseconds() -> Int64 {
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        func ns(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_usec) * 1000 }
        return ns(usage.ru_utime) + ns(usage.ru_stime)
    }

    /// In the overflow child: recurse without bound on a goroutine with the limit as its
    /// stack, storing the depth in the shared file at every frame. Never returns.
    static func overflowChild(frame: FrameClass, maxStackBytes: Int, depthFile: String) -> Never {
        let fd = open(depthFile, O_RDWR)
        guard fd >= 0, let map = mmap(nil, 16, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            FileHandle.standardError.write("deep-recursion: cannot map \(depthFile)\n".data(using: .utf8)!)
            exit(1)
        }
        let depthCell = map.assumingMemoryBound(to: Int64.self)
        let done = Channel<UInt64>()
        Runtime.spawn(stackBytes: maxStackBytes) {
            (depthCell + 1).pointee = now()
            done.send(frame.recurseForever(depthCell))
        }
        _ = done.receive()
        exit(1) // not reached: the recursion ends the process
    }
}

/// Recursive functions with frames of fixed sizes (Swift cannot size a frame at run
/// time without moving it to the heap). Each keeps a local array the compiler cannot
/// remove, and does work after the call, so there is no tail call.
enum FrameClass: Sendable {
    case small, medium, large

    var bytes: Int {
        switch self { case .small: return 64; case .medium: return 150; case .large: return 512 }
    }

    static func nearest(_ bytes: Int) -> FrameClass {
        [FrameClass.small, .medium, .large].min { abs($0.bytes - bytes) < abs($1.bytes - bytes) }!
    }

    func recurse(_ depth: Int) -> UInt64 {
        switch self {
        case .small: return recurseSmall(depth, nil)
        case .medium: return recurseMedium(depth, nil)
        case .large: return recurseLarge(depth, nil)
        }
    }

    func recurseForever(_ cell: UnsafeMutablePointer<Int64>) -> UInt64 {
        switch self {
        case .small: return recurseSmall(Int.max, cell)
        case .medium: return recurseMedium(Int.max, cell)
        case .large: return recurseLarge(Int.max, cell)
        }
    }

    func measure() -> Int {
        probeAddresses = (0, 0)
        probing = true
        _ = recurse(1100)
        probing = false
        return Int(probeAddresses.0 - probeAddresses.1) / 1000
    }
}

nonisolated(unsafe) var probing = false
nonisolated(unsafe) var probeAddresses: (UInt, UInt) = (0, 0)

@inline(__always)
private func visit(_ depth: Int, _ address: UnsafeRawPointer, _ cell: UnsafeMutablePointer<Int64>?) {
    if let cell { cell.pointee = Int64(depth) }
    if probing {
        if depth == 1100 { probeAddresses.0 = UInt(bitPattern: address) }
        if depth == 100 { probeAddresses.1 = UInt(bitPattern: address) }
    }
}

/// Eight words: the building block of the frames' local arrays.
private typealias Words8 = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
private let zero8: Words8 = (0, 0, 0, 0, 0, 0, 0, 0)

// The local arrays are sized so that each frame takes the stack bytes of the Go peer's
// frame of the same class (peers/go/frames.go, amd64, Go 1.27): 144, 224 and 592 bytes for
// the 64-, 150- and 512-byte classes (13, 23 and 69 words here; `frame_bytes` on both
// engines, which WorkloadShapeTests compares with the Go peer's). The array is the frame
// minus the return address, the saved registers and the alignment (40 bytes here).

@inline(never)
private func recurseSmall(_ depth: Int, _ cell: UnsafeMutablePointer<Int64>?) -> UInt64 {
    var a: (Words8, UInt64, UInt64, UInt64, UInt64, UInt64) = (zero8, 0, 0, 0, 0, 0)
    a.0.0 = UInt64(depth)
    return withUnsafeMutableBytes(of: &a) { raw in
        visit(depth, raw.baseAddress!, cell)
        if depth <= 1 { return raw.load(as: UInt64.self) }
        let r = recurseSmall(depth - 1, cell)
        return r &+ raw.load(fromByteOffset: 8 * (depth % 13), as: UInt64.self)
    }
}

@inline(never)
private func recurseMedium(_ depth: Int, _ cell: UnsafeMutablePointer<Int64>?) -> UInt64 {
    var a: (Words8, Words8, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (zero8, zero8, 0, 0, 0, 0, 0, 0, 0)
    a.0.0 = UInt64(depth)
    return withUnsafeMutableBytes(of: &a) { raw in
        visit(depth, raw.baseAddress!, cell)
        if depth <= 1 { return raw.load(as: UInt64.self) }
        let r = recurseMedium(depth - 1, cell)
        return r &+ raw.load(fromByteOffset: 8 * (depth % 23), as: UInt64.self)
    }
}

@inline(never)
private func recurseLarge(_ depth: Int, _ cell: UnsafeMutablePointer<Int64>?) -> UInt64 {
    var a: (Words8, Words8, Words8, Words8, Words8, Words8, Words8, Words8, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (zero8, zero8, zero8, zero8, zero8, zero8, zero8, zero8, 0, 0, 0, 0, 0)
    a.0.0 = UInt64(depth)
    return withUnsafeMutableBytes(of: &a) { raw in
        visit(depth, raw.baseAddress!, cell)
        if depth <= 1 { return raw.load(as: UInt64.self) }
        let r = recurseLarge(depth - 1, cell)
        return r &+ raw.load(fromByteOffset: 8 * (depth % 69), as: UInt64.self)
    }
}
