// SIGQUIT as Go handles it: `kill -QUIT` (or Ctrl-\) on a program that is stuck prints
// every goroutine and ends the process with status 2. Go's output, which this follows:
//
//     SIGQUIT: quit
//     PC=0x4a3f21 m=0 sigcode=0
//
//     goroutine 1 [chan receive]:
//     main.main()
//     	/src/main.go:12 +0x3d
//     ...
//
// preceded by the detailed schedtrace (every P, M and G; Schedtrace.swift) when
// GODEBUG=schedtrace or scheddetail is set, as Go's startpanic_m does. The listing is
// Go's level 2 whatever GOTRACEBACK says but none (Go's sighandler marks the M as
// throwing, and gotraceback then answers 2): every goroutine, the system ones included,
// each header with its G's and M's addresses, the runtime's frames shown. At
// GOTRACEBACK=none no goroutine is printed.
//
// Design. The handler (gb_sigquit.c) cannot run Swift code, take locks or allocate: it
// records the interrupted PC, the thread and si_code, and returns. sysmon, which wakes at
// least every 10 ms whatever the program does, takes the record and prints the dump from
// its own thread, where it may allocate and try the runtime's locks (only tried: a thread
// that will never release one must not stop the dump; Traceback.others and
// detailedSchedtrace say which list was busy). The goroutines running on other threads
// are not walked (their frames change under the reader): Go's `goroutine running on other
// thread; stack unavailable` stands for them. A second SIGQUIT before the dump is out (a
// sysmon that is itself stuck) takes the default action, a core dump.
//
// Who owns SIGQUIT. While Runtime.run runs, the runtime does, as Go's does for the whole
// life of a Go program: its handler replaces whatever was installed (in a Swift program,
// the Swift runtime's crash backtracer, which would print the threads' native stacks
// and none of the goroutines), and the previous disposition comes back when Runtime.run
// returns. One difference from Go, on purpose: a process started with SIGQUIT ignored
// (a shell's background job, nohup) keeps ignoring it; Go installs its handler anyway.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// sysmon, every round: prints the dump and ends the process if a SIGQUIT came.
func sigquitDumpIfPending() {
    guard gb_sigquit_pending() != 0 else { return }
    var pc: UInt = 0
    var tid: Int32 = 0
    var code: Int32 = 0
    guard gb_sigquit_take(&pc, &tid, &code) != 0 else { return }
    var text = dyingSchedtrace()
    // Go's sighandler marks the M as throwing, which makes the level 2 (runtime frames,
    // system goroutines, gp= in the headers) unless it is none; the process ends here.
    if Traceback.level != .none { Traceback.level = .system }
    text += "SIGQUIT: quit\n"
    text += "PC=0x\(String(pc, radix: 16)) m=\(sigquitMachineName(tid)) sigcode=\(code)\n"
    if Traceback.level != .none {
        text += Traceback.others(except: nil) + "\n"
    }
    flushStandardStreams()
    gb_fatal_exit(text, 2)
}

/// The id of the M whose thread took the signal; Go prints the M of the signal's thread.
/// A thread that is no M (the process's own helper threads) prints -1.
private func sigquitMachineName(_ tid: Int32) -> String {
    let s = sched!
    // The list only grows, under the lock; tried, not waited for.
    guard s.lock.tryLock(patienceMilliseconds: 1000) else { return "?" }
    let id = s.synced.allM.first(where: { $0.tid == tid })?.id
    s.lock.unlock()
    return id.map { "\($0)" } ?? "-1"
}
