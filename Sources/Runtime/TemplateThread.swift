// The template thread: a clean thread that creates Ms' threads for threads that may carry
// OS state of the program's own (Go's templateThread and newmHandoff, runtime/proc.go).
//
// A thread inherits what clone(2) shares or copies from its creator: after
// unshare(CLONE_FS) the working directory and umask, after unshare(CLONE_FILES) the file
// table, and its signal mask, scheduling policy and capabilities. A goroutine that locks
// its thread may change any of these for itself (that is what LockOSThread is for in Go);
// when it exits still locked, its thread ends (Schedule.swift). But the runtime creates a
// new M's thread from whichever thread needs one, and the locked thread is such a thread:
// it hands its P off as it ends, and a P with work starts an M. A thread created there
// would begin with the altered state.
//
// Design. The first Runtime.lockOSThread in the process starts this thread, from the
// thread that locks, before the goroutine can change anything. Its only work is creating
// threads; it holds no P and is no M, and it sleeps on a note between requests. Each
// thread on which a goroutine called lockOSThread is marked (a thread-local flag in C,
// for the thread's life: a program that altered the thread and unlocked it again leaves
// it altered, so this is more careful than Go, which checks the M's lock count at the
// time). Scheduler.startThread asks `handOff` first: from a marked thread, the request
// goes to the template thread, which calls startThread itself; from any other thread,
// the thread is created in place, as before. The template thread lives as long as the
// process, across runtimes (Runtime.run may be called again in library mode): a request
// names the scheduler that made it.
import CRuntime

enum TemplateThread {
    private static let lock = RuntimeLock()
    private static let wake = Note()
    nonisolated(unsafe) private static var started = false
    nonisolated(unsafe) private static var pending: [(Machine, Unmanaged<Scheduler>)] = []
    /// Threads created for marked threads (for tests).
    nonisolated(unsafe) private(set) static var threadsCreated = 0

    /// Called by Runtime.lockOSThread on the thread about to be locked: starts the template
    /// thread once (from this thread, still in its original state), then marks this one.
    static func lockingThread() {
        if gb_thread_may_be_altered() != 0 { return }
        lock.lock()
        if !started {
            started = gb_thread_start({ _ in TemplateThread.main() }, nil, 0) == 0
        }
        lock.unlock()
        gb_thread_mark_altered()
    }

    /// The hook in Scheduler.startThread: true when the template thread will create `m`'s
    /// thread (the caller is a marked thread), false when the caller creates it.
    static func handOff(_ m: Machine, _ s: Scheduler) -> Bool {
        if gb_thread_may_be_altered() == 0 { return false }
        lock.lock()
        guard started else { lock.unlock(); return false }
        pending.append((m, Unmanaged.passUnretained(s)))
        lock.unlock()
        wake.wakeup()
        return true
    }

    private static func main() {
        while true {
            wake.sleep()
            wake.clear()
            // A request added after the clear also woke the note: the next sleep returns.
            lock.lock()
            let work = pending
            pending = []
            threadsCreated += work.count
            lock.unlock()
            for (m, s) in work { s.takeUnretainedValue().startThread(m) }
        }
    }
}
