// Fatal errors, printed the way Go prints them, ending the process with status 2.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Go's throw/fatal: `fatal error: MESSAGE`, the goroutine that was running, exit 2.
func fatalThrow(_ message: String) -> Never {
    var text = "fatal error: \(message)\n"
    if let gp = currentGoroutine() {
        text += "\ngoroutine \(gp.id) [running]:\n"
    }
    text += goroutineDump()
    flushStandardStreams()
    gb_fatal_exit(text, 2)
}

/// A runtime invariant broke (a bug in this runtime, not in the program).
func fatal(_ message: String) -> Never {
    fatalThrow(message)
}

/// The other goroutines and what they wait on, as Go's traceback lists them (without
/// frames: Swift code has no such metadata here).
func goroutineDump() -> String {
    guard let s = sched else { return "" }
    let me = currentGoroutine()
    var out = ""
    // Called on a dying process, possibly with locks held: the list of goroutines only
    // if its lock is free (the scavenger takes freed Gs out of it under that lock, and
    // a G is freed only once it is out).
    guard s.allGLock.tryLock() else { return "\n(goroutine list busy)\n" }
    defer { s.allGLock.unlock() }
    for gp in s.allGoroutines.prefix(50) where gp !== me && !gp.isSystem {
        let st = gp.status
        if st == .dead || st == .idle { continue }
        let what = st == .waiting ? gp.waitReason.rawValue : st.description
        out += "\ngoroutine \(gp.id) [\(what)]:\n"
    }
    return out
}

func flushStandardStreams() {
    fflush(stdout)
    fflush(stderr)
}

/// Bad input the program was given (an environment variable, a size): one line, exit 2.
func fatalUsage(_ message: String) -> Never {
    flushStandardStreams()
    gb_fatal_exit(message + "\n", 2)
}
