// Tracebacks as Go prints them: under each `goroutine N [STATUS]:` header, the goroutine's
// frames, newest first, one function a frame:
//
//     goroutine 1 [chan receive]:
//     runtime_scenarios.parkMain() -> ()
//     	/src/Sources/RuntimeScenarios/main.swift:321 +0x3d
//
// As Go's, the second line is the file and line of the call (from the binary's DWARF line
// table, .debug_line, read by gb_source_line) and the offset of the return address in the
// function; a binary without a line table gets the object file's path instead of file:line.
//
// Design.
// - Frames. Swift on Linux keeps frame pointers, and CRuntime is built with
//   -fno-omit-frame-pointer, so a goroutine's frames form a chain of [saved fp, return
//   address] records on its own stack. The running goroutine's chain starts at the frame
//   of the walker (gb_frames_here); a parked or runnable goroutine's starts at the frame
//   gb_context_switch_asm saved (its rbp and return address, gb_frames_parked); the
//   overflowing goroutine's at the registers the fault interrupted (gb_stack.c). Every
//   walk stays inside the goroutine's stack [lo, hi) and needs each record above the
//   last, so a frame without a frame pointer (a leaf, an assembly stub) ends the walk
//   early instead of faulting. The ucontext back end saves no such frame: its parked
//   goroutines print their header only.
// - Which goroutines. A goroutine running on another thread is not walked (its frames
//   change under the reader): Go's line `goroutine running on other thread; stack
//   unavailable` stands for them. A waiting goroutine is walked with the scavenger's scan
//   bit held (Scavenger.swift, "Parked stacks"), so its stack is not compacted meanwhile;
//   one already compacted prints its header only.
// - Symbols. gb_symbolize (gb_traceback.c) finds the object that holds the address
//   (dl_iterate_phdr), the function in its ELF .symtab (dladdr's dynamic symbols when the
//   object is stripped), and demangles a Swift name with the Swift runtime's
//   swift_demangle. gb_source_line maps the object and runs its line programs (DWARF 2
//   to 5) to the row that holds the address; every read is bounds-checked, and anything
//   unexpected gives no line rather than a fault.
// - Which frames. As Go hides the runtime's own functions below GOTRACEBACK=system (a
//   parked main shows `main.main()`, not `runtime.gopark` and `runtime.chanrecv1`), the
//   runtime's frames (module `Runtime`, and the `gb_` C functions) are left out unless
//   GOTRACEBACK=system.
// - GOTRACEBACK, read at Runtime.run, as Go reads it: `none` (or 0) prints no goroutine,
//   `single` (1, the default) the goroutine concerned, `all` (2) every goroutine,
//   `system` every goroutine with the runtime's frames. As in Go, a fatal error (a
//   deadlock, a throw) lists every goroutine unless the level is `none`. `crash` (a core
//   dump) is not supported and, like any other value, is refused: one line on standard
//   error, status 2.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// GOTRACEBACK's levels.
enum TracebackLevel: Int32 {
    case none = 0, single = 1, all = 2, system = 3

    /// Go's spellings (and numbers); nil for anything else.
    init?(setting: String) {
        switch setting {
        case "", "single", "1": self = .single
        case "none", "0": self = .none
        case "all", "2": self = .all
        case "system": self = .system
        default: return nil
        }
    }
}

enum Traceback {
    /// The process's level, set once by Runtime.run from GOTRACEBACK (default single).
    nonisolated(unsafe) static var level: TracebackLevel = .single

    /// The most frames printed for one goroutine (Go's limit), and goroutines listed.
    static let maxFrames = 100
    static let maxGoroutines = 1000

    /// Reads GOTRACEBACK; a value Go does not accept here ends the process with one line
    /// and status 2.
    static func configureFromEnvironment() {
        guard let raw = getenv("GOTRACEBACK") else { level = .single; gb_traceback_level = level.rawValue; return }
        let value = String(cString: raw)
        guard let parsed = TracebackLevel(setting: value) else {
            fatalUsage("runtime: invalid GOTRACEBACK \"\(value)\": expected none, single, all or system (or 0, 1, 2)")
        }
        level = parsed
        gb_traceback_level = parsed.rawValue
    }

    /// Go's goroutineheader: `goroutine N [STATUS]:`, with `, locked to thread` for a
    /// goroutine locked to its thread. At `system` (Go's level 2, which a SIGQUIT also
    /// sets) the G's address and its M come after the id, as Go 1.23 and later print them:
    /// `goroutine 1 gp=0x7f3a5c001000 m=nil [chan receive]:`, or `m=2 mp=0x...` for a G
    /// on an M.
    static func header(_ gp: Goroutine, _ status: String) -> String {
        var out = "goroutine \(gp.id)"
        if level == .system {
            out += " gp=0x\(String(gp.word, radix: 16))"
            if let m = gp.m {
                out += " m=\(m.id) mp=0x\(String(UInt(bitPattern: Unmanaged.passUnretained(m).toOpaque()), radix: 16))"
            } else {
                out += " m=nil"
            }
        }
        return out + " [\(status)\(gp.lockedM != nil ? ", locked to thread" : "")]:\n"
    }

    /// The calling goroutine's frames (from the caller of this function).
    @inline(never)
    static func currentFrames(_ gp: Goroutine) -> String {
        let record = gp.stackRecord.pointee
        var pcs = [UInt](repeating: 0, count: maxFrames)
        var more: Int32 = 0
        let n = pcs.withUnsafeMutableBufferPointer { buffer in
            gb_frames_here(record.lo, record.hi, buffer.baseAddress, Int32(maxFrames), &more)
        }
        return format(Array(pcs[0..<Int(n)]), more: more != 0, dropLeadingLibraryFrames: true)
    }

    /// A goroutine that is not running: its frames from the context it saved, or nothing
    /// when they cannot be read safely (see the design above).
    static func parkedFrames(_ gp: Goroutine) -> String {
        guard gb_context_backend() == Int32(GB_CONTEXT_ASM), !gp.needsContext else { return "" }
        let waiting = gp.status == .waiting
        if waiting {
            guard gp.tryAcquireScan() else { return "" }
        }
        defer { if waiting { gp.releaseScan() } }
        guard gp.parkedStackState != .compacted, let sp = gp.context.pointee.sp else { return "" }
        let record = gp.stackRecord.pointee
        var pcs = [UInt](repeating: 0, count: maxFrames)
        var more: Int32 = 0
        let n = pcs.withUnsafeMutableBufferPointer { buffer in
            gb_frames_parked(sp, record.lo, record.hi, buffer.baseAddress, Int32(maxFrames), &more)
        }
        return format(Array(pcs[0..<Int(n)]), more: more != 0)
    }

    /// Frames as Go prints them: the function, then a tab, where it is and the offset.
    /// With `dropLeadingLibraryFrames` (the running goroutine, whose newest frames are
    /// this printing and what it calls), the runtime's and the standard library's frames
    /// on top are left out at every level.
    static func format(_ pcs: [UInt], more: Bool, dropLeadingLibraryFrames: Bool = false) -> String {
        var out = ""
        var name = [CChar](repeating: 0, count: 1024)
        var object = [CChar](repeating: 0, count: 512)
        var source = [CChar](repeating: 0, count: 512)
        var leading = dropLeadingLibraryFrames
        for pc in pcs {
            var offset: UInt = 0
            _ = gb_symbolize(pc, &name, name.count, &offset, &object, object.count)
            let function = String(cString: name)
            if leading {
                if isRuntimeFrame(function) || isStandardLibraryFrame(function) { continue }
                leading = false
            }
            if level != .system && (isRuntimeFrame(function) || function.hasPrefix("reabstraction thunk")) { continue }
            let signature = function.contains("(") ? function : function + "(...)"
            var line: UInt64 = 0
            let place = gb_source_line(pc, &source, source.count, &line) != 0
                ? "\(String(cString: source)):\(line)" : String(cString: object)
            out += "\(signature)\n\t\(place) +0x\(String(offset, radix: 16))\n"
        }
        if more { out += "...additional frames elided...\n" }
        return out
    }

    /// A function of this runtime (the Swift module `Runtime`, its specializations and
    /// thunks, and CRuntime's `gb_` functions): hidden below GOTRACEBACK=system.
    static func isRuntimeFrame(_ function: String) -> Bool {
        belongsTo(function, module: "Runtime.") || function.hasPrefix("gb_")
    }

    /// A function of the Swift standard library (`Swift.`).
    static func isStandardLibraryFrame(_ function: String) -> Bool {
        belongsTo(function, module: "Swift.")
    }

    /// Whether a demangled name is a function of `module` (given with its dot): the name
    /// itself, or the function that a closure, specialization or thunk is "in" or "of".
    static func belongsTo(_ function: String, module: String) -> Bool {
        for prefix in ["", "static ", "merged ", "merged static "] where function.hasPrefix(prefix + module) { return true }
        for link in [" in ", " of "] {
            if function.contains(link + module) || function.contains(link + "static " + module) { return true }
        }
        // "partial apply forwarder for X", "reabstraction thunk ... for X"-style prefixes.
        if function.hasPrefix("partial apply forwarder for ") {
            return belongsTo(String(function.dropFirst("partial apply forwarder for ".count)), module: module)
        }
        return false
    }

    /// The goroutines other than `me`, each with its header and, where they can be read,
    /// its frames (Go's tracebackothers).
    static func others(except me: Goroutine?) -> String {
        guard let s = sched else { return "" }
        var out = ""
        // Called on a dying process, possibly with locks held: the list of goroutines only
        // if its lock is free (the scavenger takes freed Gs out of it under that lock, and
        // a G is freed only once it is out).
        guard s.allGLock.tryLock() else { return "\n(goroutine list busy)\n" }
        defer { s.allGLock.unlock() }
        var listed = 0
        // System goroutines (the scavenger) only at `system`, as Go lists them at level 2.
        for gp in s.allGoroutines where gp !== me && (!gp.isSystem || level == .system) {
            let st = gp.status
            if st == .dead || st == .idle { continue }
            if listed == maxGoroutines { out += "\n...additional goroutines elided...\n"; break }
            listed += 1
            let what = st == .waiting ? gp.waitReason.rawValue : st.description
            out += "\n" + header(gp, what)
            switch st {
            case .running, .syscall:
                out += "\tgoroutine running on other thread; stack unavailable\n"
            case .waiting, .runnable:
                out += parkedFrames(gp)
            default:
                break
            }
        }
        return out
    }

    /// What follows a panic's messages: the panicking goroutine (`single`), and the others
    /// (`all`, `system`); nothing at `none`.
    @inline(never)
    static func forPanic(_ gp: Goroutine) -> String {
        if level == .none { return "" }
        var out = "\n" + header(gp, "running") + currentFrames(gp)
        if level.rawValue >= TracebackLevel.all.rawValue { out += others(except: gp) }
        return out
    }

    /// What follows a fatal error's line: the goroutine that was running, if any, and
    /// every other (Go's fatal errors list them all); nothing at `none`.
    @inline(never)
    static func forFatal() -> String {
        if level == .none { return "" }
        let me = currentGoroutine()
        var out = ""
        if let gp = me { out += "\n" + header(gp, "running") + currentFrames(gp) }
        return out + others(except: me)
    }
}

/// A panic of a goroutine's chain (Go's _panic): its message, and whether a recover
/// stopped it. This API has no recover, so `recovered` stays false; the printing keeps
/// Go's format for it.
struct PanicRecord {
    var message: String
    var recovered = false
}

/// Go's printpanics: the chain oldest first, each later panic on its own line after a tab.
func panicChainText(_ chain: [PanicRecord]) -> String {
    var out = ""
    for (i, p) in chain.enumerated() {
        if i > 0 { out += "\t" }
        out += "panic: \(p.message)\(p.recovered ? " [recovered]" : "")\n"
    }
    return out
}
