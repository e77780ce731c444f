// The scavenger: goroutine 2 (the seed: "created like any go statement's goroutine"). It
// wakes every scavenge interval (2 minutes by default), gives the memory of free stacks
// beyond a retained amount back to the OS (madvise), trims the caches, and counts its
// runs, the bytes it released and the time it took. GODEBUG=scavtrace=1 prints a line
// per run, like Go's scavtrace.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

func startScavenger() {
    let gp = Runtime.spawnGoroutine(stackBytes: 0, isSystem: true) { scavengerMain() }
    sched.scavengerID = gp.id
}

/// Set by sysmon when the interval has passed; the scavenger sleeps on a system timer, so
/// sysmon only needs it when a runtime with no timers pending must be woken.
func wakeScavengerIfDue(_ now: Int64) {}

func scavengerMain() {
    let s = sched!
    guard let gp = currentGoroutine() else { return }
    gp.isSystem = true
    guard let interval = s.configuration.scavengeIntervalNanoseconds else {
        // Off: park for good (it holds no M, no timer and no lock).
        park(gp, reason: .scavengeWait, unlocking: nil)
        return
    }
    while !s.isShuttingDown {
        Runtime.sleep(nanoseconds: interval)
        scavengeOnce()
    }
}

/// One scavenger run: returns the bytes released.
@discardableResult
func scavengeOnce() -> Int {
    let s = sched!
    let start = gb_nanotime()
    // Our own P's cache first (only its owner may touch it), then the global pool.
    if let p = Machine.current?.p, p.stackCache.count > 4 {
        s.stacks.release(p.stackCache[4...])
        p.stackCache.removeSubrange(4...)
    }
    let released = s.stacks.scavengePool(retainBytes: s.configuration.scavengeRetainBytes)
    let elapsed = gb_nanotime() - start
    Statistics.shared.scavengerRuns.add(1)
    Statistics.shared.scavengedBytes.add(UInt64(released))
    Statistics.shared.scavengerNanoseconds.add(UInt64(elapsed))
    if s.configuration.scavengeTrace {
        let line = "scav \(released >> 10) KiB released in \(elapsed / 1000) us, \(s.stacks.pooledCount) free stacks, \(s.configuration.scavengeRetainBytes >> 10) KiB retained\n"
        line.withCString { _ = write(2, $0, strlen($0)) }
    }
    return released
}

extension Runtime {
    /// Runs the scavenger once now (what its timer does every interval); returns the
    /// bytes released. Must be called from a goroutine.
    @discardableResult
    public static func scavenge() -> Int {
        guard currentGoroutine() != nil else { return 0 }
        return scavengeOnce()
    }
}
