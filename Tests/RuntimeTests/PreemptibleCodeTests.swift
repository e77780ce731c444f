// Where the preemption handler may stop a goroutine (Runtime/Preemption.swift, "Where the
// handler refuses"): only in the program's Swift code and the runtime's leaf C functions,
// never in malloc (a sanitizer's allocator is linked into the program under ASan and
// TSan, a static libc into a static executable) nor in other C code of the program.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

/// A Swift function with C calling convention: its code is the program's Swift code.
@inline(never)
private func swiftLeaf(_ x: Int64) -> Int64 { x &* 3 &+ 1 }

final class PreemptibleCodeTests: XCTestCase {
    private func address(of pointer: UnsafeRawPointer?) -> UInt { UInt(bitPattern: pointer) }

    func testSymbolNamesThatArePreemptible() {
        XCTAssertEqual(gb_preemptible_symbol("$s7Runtime9schedulerV"), 1)
        XCTAssertEqual(gb_preemptible_symbol("_$s4main4spinyyF"), 1)
        XCTAssertEqual(gb_preemptible_symbol("gb_nanotime"), 1)
        XCTAssertEqual(gb_preemptible_symbol("gb_cpu_relax"), 1)
        XCTAssertEqual(gb_preemptible_symbol("gb_load_relaxed_i64"), 1)
        // C and C++ that may hold a lock, or that the runtime runs.
        for name in ["malloc", "free", "__libc_malloc", "_int_malloc", "__interceptor_malloc",
                     "_ZN6__asan9AllocatorC2E", "_ZN11__sanitizer13StaticSpinMutex8LockSlowEv",
                     "__tsan_read8", "swift_retain", "swift_once", "_ZN5swift9Demangle4NodeE",
                     "gb_futex_wait", "gb_context_switch", "gb_nanotimex", "$S4main", "s7Runtime"] {
            XCTAssertEqual(gb_preemptible_symbol(name), 0, name)
        }
    }

    func testTableCoversSwiftCodeAndLeavesOutMallocAndOtherC() throws {
        gb_preempt_prepare()
        guard gb_preemptible_ranges() > 0 else {
            throw XCTSkip("this test program has no symbol table (stripped): no preemptible code")
        }
        // A Swift function's entry (a C-convention thunk is also a Swift symbol).
        let swiftFunction: @convention(c) (Int64) -> Int64 = { swiftLeaf($0) }
        let swiftAddress = unsafeBitCast(swiftFunction, to: UInt.self)
        XCTAssertEqual(gb_preemptible_pc(swiftAddress), 1, "a Swift function at \(String(swiftAddress, radix: 16))")
        let nanotime: @convention(c) () -> Int64 = gb_nanotime
        XCTAssertEqual(gb_preemptible_pc(unsafeBitCast(nanotime, to: UInt.self)), 1, "gb_nanotime")
        // malloc: libc's in an ordinary build (a shared library), the sanitizer's own
        // allocator, linked into this program, under ASan and TSan. Never preemptible.
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        for name in ["malloc", "free", "calloc", "realloc"] {
            let pc = address(of: UnsafeRawPointer(dlsym(handle, name)))
            XCTAssertNotEqual(pc, 0, name)
            XCTAssertEqual(gb_preemptible_pc(pc), 0, "\(name) at \(String(pc, radix: 16))")
            XCTAssertEqual(gb_preemptible_pc(pc + 8), 0, "\(name) + 8")
        }
        // The runtime's own C, in the program's text but not preemptible.
        let futexWait: @convention(c) (UnsafeMutablePointer<UInt32>?, UInt32, Int64) -> Int32 = gb_futex_wait
        XCTAssertEqual(gb_preemptible_pc(unsafeBitCast(futexWait, to: UInt.self)), 0, "gb_futex_wait")
        // Outside the program: a stack address, address 0.
        var local = 0
        XCTAssertEqual(gb_preemptible_pc(withUnsafeMutablePointer(to: &local) { UInt(bitPattern: $0) }), 0)
        XCTAssertEqual(gb_preemptible_pc(0), 0)
    }
}
