// RuntimeLock and Note: the runtime's own lock and one-shot sleep, on futexes
// (Go's lock_futex.go). They block OS threads, so only the runtime itself uses them, for
// short critical sections; goroutines block on channels, Mutex and WaitGroup instead.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A futex-based mutual exclusion lock: spin briefly, then sleep in the kernel.
/// States of the word: 0 unlocked, 1 locked, 2 locked with (possible) sleepers.
public final class RuntimeLock: @unchecked Sendable {
    @usableFromInline let word: UnsafeMutablePointer<UInt32>
    /// Counted at each acquisition that finds the lock held (the slow path), for the locks
    /// whose contention grows with GOMAXPROCS: sched.lock and the Ps' timer heaps.
    var contentionCounter: GlobalCounter? = nil

    public init() {
        word = .allocate(capacity: 1)
        word.initialize(to: 0)
    }

    deinit { word.deallocate() }

    @inlinable public func lock() {
        if gb_cas_u32(word, 0, 1) { return }
        lockSlow()
    }

    @usableFromInline func lockSlow() {
        if let c = contentionCounter { Statistics.shared.add(c) }
        // Spin a little (4 rounds of 30 pauses, as Go's active_spin), then yield the CPU
        // by sleeping on the futex with state 2 so unlock knows to wake someone.
        for _ in 0..<4 {
            gb_cpu_relax(30)
            if gb_load_relaxed_u32(word) == 0 && gb_cas_u32(word, 0, 1) { return }
        }
        // Then give the CPU up once (Go's passive spin, osyield): on a busy machine the
        // holder may be waiting for a CPU; a futex sleep costs a wake-up on each side.
        sched_yield()
        if gb_load_relaxed_u32(word) == 0 && gb_cas_u32(word, 0, 1) { return }
        while gb_exchange_u32(word, 2) != 0 {
            _ = gb_futex_wait(word, 2, -1)
        }
    }

    @inlinable public func unlock() {
        let old = gb_exchange_u32(word, 0)
        if old == 2 { _ = gb_futex_wake(word, 1) }
        else if old == 0 { unlockOfUnlocked() }
    }

    @usableFromInline func unlockOfUnlocked() { fatal("unlock of unlocked lock") }

    @inlinable public func tryLock() -> Bool { gb_cas_u32(word, 0, 1) }

    /// tryLock, retried every millisecond for up to `milliseconds`: for a dying process's
    /// report (a fatal error, SIGQUIT's dump), where the holder may never release it.
    func tryLock(patienceMilliseconds milliseconds: Int) -> Bool {
        for _ in 0..<milliseconds {
            if tryLock() { return true }
            usleep(1000)
        }
        return tryLock()
    }
}

/// A one-shot wake-up (Go's note): one thread sleeps until another calls wakeup.
/// `clear` re-arms it. The futex word: 0 not signalled, 1 signalled, 2 not signalled
/// with the sleeper in the kernel (only then does wakeup make the futex call).
final class Note: @unchecked Sendable {
    let word: UnsafeMutablePointer<UInt32>

    init() {
        word = .allocate(capacity: 1)
        word.initialize(to: 0)
    }

    deinit { word.deallocate() }

    func clear() { gb_store_release_u32(word, 0) }

    func wakeup() {
        let old = gb_exchange_u32(word, 1)
        if old == 2 { _ = gb_futex_wake(word, 1) }
    }

    /// Sleeps until woken. Pairs with wakeup's exchange (acquire-release).
    func sleep() {
        while true {
            let v = gb_load_acquire_u32(word)
            if v == 1 { return }
            if v == 0 && !gb_cas_u32(word, 0, 2) { continue }
            _ = gb_futex_wait(word, 2, -1)
        }
    }

    /// Watches the word for up to `nanoseconds` before sleeping in the kernel: for a
    /// wake-up expected within microseconds (a locked M waiting for its goroutine's turn),
    /// which then costs a memory write instead of a futex call and, on an idle CPU, the
    /// wake-up latency of the CPU.
    func sleep(spinningFor nanoseconds: Int64) {
        let deadline = gb_nanotime() + nanoseconds
        while gb_load_acquire_u32(word) == 0 && gb_nanotime() < deadline { gb_cpu_relax(20) }
        sleep()
    }

    /// Sleeps until woken or `nanoseconds` pass; returns whether it was woken.
    func sleep(nanoseconds: Int64) -> Bool {
        let deadline = gb_nanotime() + nanoseconds
        while true {
            let v = gb_load_acquire_u32(word)
            if v == 1 { return true }
            let left = deadline - gb_nanotime()
            if left <= 0 { return false }
            if v == 0 && !gb_cas_u32(word, 0, 2) { continue }
            _ = gb_futex_wait(word, 2, left)
        }
    }
}
