// Fatal errors, printed the way Go prints them, ending the process with status 2.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Go's throw/fatal: `fatal error: MESSAGE`, the detailed schedtrace when GODEBUG's
/// schedtrace or scheddetail is set (Schedtrace.swift), then the goroutine that was
/// running and every other with their frames (Traceback.swift; none at
/// GOTRACEBACK=none), exit 2.
func fatalThrow(_ message: String) -> Never {
    var text = "fatal error: \(message)\n"
    text += dyingSchedtrace()
    text += Traceback.forFatal()
    flushStandardStreams()
    gb_fatal_exit(text, 2)
}

/// A runtime invariant broke (a bug in this runtime, not in the program).
func fatal(_ message: String) -> Never {
    fatalThrow(message)
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
