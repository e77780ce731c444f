// Immortal runtime objects. Ms, Ps and the scheduler live as long as the runtime, and a G
// until the scavenger frees it (dead, detached from every list, after a grace period:
// Scavenger.swift, "Free goroutines"). They are passed around the scheduler's hot paths,
// where every load of a reference costs an atomic retain and release (measured: about
// 70% of a Gosched). Go's runtime never frees its Gs, Ms and Ps; we give these objects the reference count the Swift runtime
// uses for statically allocated, never-freed objects ("immortal"), on which
// swift_retain and swift_release return without an atomic write.
//
// The scavenger makes freed goroutines mortal again (makeMortal, below).
//
// Safety: the bit pattern belongs to the Swift runtime. A self-check at start-up
// immortalizes a probe object, retains and releases it through the runtime, and verifies
// that the count did not move; if it did (another runtime version), nothing is made
// immortal and the objects are reference-counted as usual.
import CRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Calls the runtime's own entry points (from C, which the optimizer cannot pair away).
private func retainReleaseProbe(_ object: UnsafeMutableRawPointer) {
    gb_swift_retain_release(object, 4)
}

private final class ImmortalProbe {}

/// The Swift runtime's immortal count on 64-bit (RefCount.h, RefCountBitsT(Immortal_t)):
/// UseSlowRC set, a strong extra count of 2 and the low 32 bits all set. Retain and
/// release see the slow-RC bit, find the immortal low bits, and return.
private let immortalWord: UInt64 = (1 << 63) | (2 << 33) | 0xFFFF_FFFF

private func refCountWord(_ o: AnyObject) -> UnsafeMutableRawPointer {
    // The object header is the metadata pointer, then the inline reference counts.
    Unmanaged.passUnretained(o).toOpaque() + MemoryLayout<UnsafeRawPointer>.size
}

let immortalObjectsWork: Bool = {
    guard MemoryLayout<UnsafeRawPointer>.size == 8, getenv("GOBENCH_NO_IMMORTAL") == nil else { return false }
    let probe = ImmortalProbe()
    let word = refCountWord(probe)
    let before = word.load(as: UInt64.self)
    word.storeBytes(of: immortalWord, as: UInt64.self)
    retainReleaseProbe(Unmanaged.passUnretained(probe).toOpaque())
    let ok = word.load(as: UInt64.self) == immortalWord
    if !ok { word.storeBytes(of: before, as: UInt64.self) }
    // On success the probe is immortal and simply never freed.
    return ok
}()

/// Makes `o` immortal (never freed; retain and release do nothing) when that is safe.
@inline(__always)
func makeImmortal(_ o: AnyObject) {
    if immortalObjectsWork {
        refCountWord(o).storeBytes(of: immortalWord, as: UInt64.self)
    }
}

// Mortal again: the scavenger frees goroutines (Scavenger.swift, "Free goroutines"). An
// immortal object cannot be freed by ARC, so the scavenger gives it back the reference
// count of a fresh object (one strong reference, the one the scavenger holds) and drops
// that reference with a plain swift_release. Sound only when no other reference to the
// object can still be used: the scavenger's grace period establishes that first.

/// A probe whose deinit says that it ran.
private final class MortalProbe {
    let ran: UnsafeMutablePointer<UInt32>
    init(_ ran: UnsafeMutablePointer<UInt32>) { self.ran = ran }
    deinit { ran.pointee = 1 }
}

/// The count word of a fresh object: one strong reference, one unowned (the strong
/// references' own), no side table; read from a probe, not assumed.
private(set) nonisolated(unsafe) var mortalWord: UInt64 = 0

/// True when immortal objects can be made mortal and freed: checked once with a probe
/// that is made immortal, then mortal, then released, and whose deinit must run. False
/// when objects are not immortal at all (they are then freed by ARC as usual).
let immortalObjectsCanBeFreed: Bool = {
    guard immortalObjectsWork else { return false }
    let ran = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    ran.initialize(to: 0)
    let raw = Unmanaged.passRetained(MortalProbe(ran)).toOpaque()
    let word = raw + MemoryLayout<UnsafeRawPointer>.size
    let fresh = word.load(as: UInt64.self)
    // Strong extra count 0, not deiniting, no side table: the top 32 bits are zero.
    guard fresh >> 32 == 0 else { return false } // the probe is leaked, never wrong
    word.storeBytes(of: immortalWord, as: UInt64.self)
    gb_swift_retain_release(raw, 4)
    guard word.load(as: UInt64.self) == immortalWord else { return false }
    word.storeBytes(of: fresh, as: UInt64.self)
    gb_swift_retain_release(raw, 2)
    guard word.load(as: UInt64.self) == fresh else { return false }
    gb_swift_release(raw)
    let ok = ran.pointee == 1
    ran.deallocate()
    if ok { mortalWord = fresh }
    return ok
}()

/// True when `raw` (an object's address) carries the immortal count.
func isImmortal(_ raw: UnsafeMutableRawPointer) -> Bool {
    (raw + MemoryLayout<UnsafeRawPointer>.size).load(as: UInt64.self) == immortalWord
}

/// Gives the immortal object at `raw` the count of a fresh object: one strong reference,
/// which the caller then owns and drops with gb_swift_release. The caller must hold the
/// only reference that can still be used (no ARC operation on it may be in flight).
func makeMortal(_ raw: UnsafeMutableRawPointer) {
    precondition(immortalObjectsCanBeFreed && isImmortal(raw), "makeMortal: not an immortal object")
    (raw + MemoryLayout<UnsafeRawPointer>.size).storeBytes(of: mortalWord, as: UInt64.self)
}
