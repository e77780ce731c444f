import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class FutexTests: XCTestCase {
    func testWaitReturnsAtOnceWhenValueDiffers() {
        var word: UInt32 = 1
        XCTAssertEqual(gb_futex_wait(&word, 0, 1_000_000_000), 0)
    }
    func testWaitTimesOut() {
        var word: UInt32 = 0
        XCTAssertEqual(gb_futex_wait(&word, 0, 1_000_000), 1)
    }
}

/// Note (Go's note) on its futex word: 0 clear, 1 signalled, 2 a sleeper in the kernel.
final class NoteTests: XCTestCase {
    /// A thread that sleeps in the kernel (word 2) is woken by wakeup; one that spins is
    /// woken without reaching the kernel; a wake-up before the sleep is not lost; a timed
    /// sleep that times out leaves the note usable.
    func testSleepWakeupInEveryState() {
        let note = Note()
        note.wakeup()
        note.sleep() // signalled before: returns at once
        note.clear()
        XCTAssertFalse(note.sleep(nanoseconds: 1_000_000), "nobody woke it")
        XCTAssertEqual(note.word.pointee, 2, "the timed sleep went to the kernel")

        for spin in [Int64(0), 50_000, 500_000_000] {
            note.clear()
            let woken = AtomicCounter()
            var thread = pthread_t()
            let box = Unmanaged.passRetained(NoteBox(note, spin, woken))
            pthread_create(&thread, nil, { arg in
                let b = Unmanaged<NoteBox>.fromOpaque(arg!).takeRetainedValue()
                if b.spin == 0 { b.note.sleep() } else { b.note.sleep(spinningFor: b.spin) }
                b.woken.add()
                return nil
            }, box.toOpaque())
            usleep(20_000) // the sleeper is in the kernel (spin 0, 50 µs) or still spinning (500 ms)
            XCTAssertEqual(woken.value, 0)
            if spin == 0 { XCTAssertEqual(note.word.pointee, 2) }
            if spin == 500_000_000 { XCTAssertEqual(note.word.pointee, 0, "still spinning: no futex call needed") }
            note.wakeup()
            pthread_join(thread, nil)
            XCTAssertEqual(woken.value, 1, "spin \(spin): woken")
        }
    }
}

private final class NoteBox {
    let note: Note, spin: Int64, woken: AtomicCounter
    init(_ note: Note, _ spin: Int64, _ woken: AtomicCounter) { self.note = note; self.spin = spin; self.woken = woken }
}
