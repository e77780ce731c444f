// Reads and sets the CPU affinity of the calling thread or of any thread by id.
import CRuntime

/// The CPUs a thread may run on (sched_getaffinity/sched_setaffinity through CRuntime).
/// An M that holds a P binds itself with `set(_:)` to the P's CPUs from the PlacementMap.
public enum ThreadAffinity {
    /// The calling thread's affinity mask.
    public static func current() throws -> CPUSet { try of(threadID: 0) }

    /// The affinity mask of thread `threadID` (a kernel tid; 0: the calling thread).
    public static func of(threadID: Int32) throws -> CPUSet {
        // The kernel refuses (EINVAL) a buffer smaller than its CPU count: grow until it fits.
        var wordCount = 16 // 1,024 CPUs, glibc's cpu_set_t
        while true {
            var words = [UInt64](repeating: 0, count: wordCount)
            let result = words.withUnsafeMutableBufferPointer { gb_sched_getaffinity(threadID, $0.baseAddress, $0.count) }
            if result == 0 { return CPUSet(maskWords: words) }
            if result == EINVAL_VALUE && wordCount < (CPUSet.maximumCPUNumber + 1) / 64 {
                wordCount *= 2
                continue
            }
            throw TopologyError.affinityCall(operation: "sched_getaffinity(\(threadID))", errno: result)
        }
    }

    /// Binds thread `threadID` (0: the calling thread) to `cpus`. Throws when the set is
    /// empty or the kernel refuses it (no CPU of the set is online and allowed).
    public static func set(_ cpus: CPUSet, threadID: Int32 = 0) throws {
        guard !cpus.isEmpty else { throw TopologyError.emptyAffinity(affinity: "") }
        let words = cpus.maskWords(minimumWordCount: 16)
        let result = words.withUnsafeBufferPointer { gb_sched_setaffinity(threadID, $0.baseAddress, $0.count) }
        guard result == 0 else {
            throw TopologyError.affinityCall(operation: "sched_setaffinity(\(threadID), \(cpus.cpulist))", errno: result)
        }
    }

    /// Linux's EINVAL (22), named here so that this file needs no libc import.
    static let EINVAL_VALUE: Int32 = 22
}
