// Memory bound to a NUMA node, and where a page of memory actually lives.
import CRuntime

/// Node-local memory for the runtime's per-P structures (run queue, G cache, stack cache),
/// through libnuma's numa_alloc_onnode; and the witnesses that tell which node holds a page.
public enum NodeLocalMemory {
    /// Maps `bytes` bound to `node` (placed when first touched); nil on failure or when
    /// the node does not exist. Free with `free(_:bytes:)`, passing the same size.
    public static func allocate(bytes: Int, node: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0, node >= 0 else { return nil }
        return gb_numa_alloc_onnode(bytes, Int32(node))
    }

    public static func free(_ address: UnsafeMutableRawPointer, bytes: Int) {
        gb_numa_free(address, bytes)
    }

    /// The node holding the page at `address` per get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR),
    /// or a negative errno.
    public static func nodeOfAddress(_ address: UnsafeMutableRawPointer) -> Int {
        Int(gb_numa_node_of_address(address))
    }

    /// The node of the page at `address` per move_pages(2) in query mode, or a negative
    /// errno (-2 ENOENT: not yet touched).
    public static func queriedNodeOfPage(_ address: UnsafeMutableRawPointer) -> Int {
        Int(gb_numa_query_page_node(address))
    }

    public static var pageSizeBytes: Int { Int(gb_page_size_bytes()) }

    /// Whether the kernel supports the NUMA system calls.
    public static var isNUMAAvailable: Bool { gb_numa_available() == 1 }
}
