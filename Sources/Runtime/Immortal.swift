// Immortal runtime objects. Gs, Ms, Ps and the scheduler live as long as the runtime and
// are passed around the scheduler's hot paths, where every load of a reference costs an
// atomic retain and release (measured: about 70% of a Gosched). Go's runtime never frees
// its Gs, Ms and Ps either; we give these objects the reference count the Swift runtime
// uses for statically allocated, never-freed objects ("immortal"), on which
// swift_retain and swift_release return without an atomic write.
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
