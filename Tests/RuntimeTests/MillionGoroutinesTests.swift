// The stack rule of the runtime issue: one million live goroutines at the default system
// settings (vm.max_map_count 65530), each with its own stack, none corrupted.
import XCTest
import CRuntime
#if canImport(Glibc)
import Glibc
#endif
@testable import Runtime

final class MillionGoroutinesTests: XCTestCase {
    private func mappingCount() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return -1 }
        return text.split(separator: "\n").count
    }

    private func maxMapCount() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/vm/max_map_count", encoding: .utf8) else { return -1 }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// A million goroutines parked at once on one channel, each with values derived from
    /// its index on its own stack; all resume with their values intact, and the process
    /// stays under the kernel's mapping limit (guard regions need no mappings of their own).
    func testMillionLiveGoroutinesUnderTheDefaultMapCount() throws {
        if gb_context_sanitizer() != 0 {
            throw XCTSkip("a million sanitizer fibers and their shadow stacks do not fit this machine")
        }
        let n = 1_000_000
        let limit = maxMapCount()
        var peakMappings = -1, parked = -1
        let intact = AtomicCounter(), indexSum = AtomicCounter()
        RuntimeTestSupport.run(procs: 2, timeoutSeconds: 300) {
            let release = Channel<Int>()
            let wg = WaitGroup()
            wg.add(n)
            for i in 0..<n {
                go {
                    var local = (i, i &* 7, ~i)
                    let token = withUnsafeMutablePointer(to: &local) { p -> Int? in
                        useMemory(p) // (in memory on this stack across the park)
                        let t = release.receive() // parked here, a million at once
                        useMemory(p)
                        return t
                    }
                    if token == nil && local == (i, i &* 7, ~i) { intact.add() }
                    indexSum.add(Int64(local.0))
                    wg.done()
                }
            }
            _ = RuntimeTestSupport.waitInGoroutine(seconds: 240) { release.waitingReceivers == n }
            parked = release.waitingReceivers
            peakMappings = self.mappingCount()
            release.close()
            wg.wait()
        }
        XCTAssertEqual(parked, n, "every goroutine was parked at once")
        XCTAssertEqual(Int(intact.value), n, "every goroutine resumed with its stack values intact")
        XCTAssertEqual(Int(indexSum.value), n * (n - 1) / 2)
        XCTAssertGreaterThan(peakMappings, 0)
        if limit > 0 {
            XCTAssertLessThan(peakMappings, limit, "mappings at the peak against vm.max_map_count")
        }
    }
}
