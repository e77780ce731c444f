// NUMA and CPU-affinity shims: libnuma's and the kernel's NUMA calls take bitmasks,
// variadic-looking flags and out-parameters that Swift imports badly or not at all, and
// the runtime needs them as plain integers and 64-bit word masks with errno returned.
// Topology (Sources/Runtime/Topology) reads the machine through these; the scheduler
// binds its threads and places its memory through them.
#ifndef GB_NUMA_H
#define GB_NUMA_H
#include <stddef.h>
#include <stdint.h>

/// 1 when the kernel supports the NUMA system calls (libnuma's numa_available() >= 0),
/// 0 otherwise. Every other gb_numa_ call is meaningful only when this returns 1; the
/// topology falls back to one node when it returns 0.
int gb_numa_available(void);

/// The highest node number on this system (libnuma's numa_max_node), so that the
/// caller can size its loops over nodes; node numbers can have holes.
int gb_numa_max_node(void);

/// The node of a CPU, or -1 when the CPU does not exist (numa_node_of_cpu).
int gb_numa_node_of_cpu(int cpu);

/// The ACPI SLIT distance between two nodes (10 = local), or 0 when unknown.
int gb_numa_distance(int from_node, int to_node);

/// 1 when the node exists and is online (has a bit in numa_all_nodes_ptr), else 0.
int gb_numa_node_exists(int node);

/// The total memory of a node in bytes, and its free memory through *free_bytes (may be
/// NULL); -1 when the node does not exist (numa_node_size64).
int64_t gb_numa_node_memory_bytes(int node, int64_t *free_bytes);

/// The CPU affinity mask of thread `tid` (0: the calling thread) into `words`, a bitmask
/// of `word_count` 64-bit words (bit i of word i/64 = CPU i). Returns 0, or an errno
/// value (EINVAL when the mask is too small for the kernel's CPU count). Exists because
/// glibc's cpu_set_t is a fixed 1024-bit struct behind macros Swift cannot call.
int gb_sched_getaffinity(int32_t tid, uint64_t *words, size_t word_count);

/// Sets the CPU affinity mask of thread `tid` (0: the calling thread) from `words`.
/// Returns 0, or an errno value (EINVAL when the mask names no usable CPU).
int gb_sched_setaffinity(int32_t tid, const uint64_t *words, size_t word_count);

/// Maps `bytes` of memory bound to `node` (numa_alloc_onnode: mmap + mbind). Pages are
/// placed when first touched. NULL on failure. Free with gb_numa_free and the same size.
void *gb_numa_alloc_onnode(size_t bytes, int node);

/// Unmaps memory from gb_numa_alloc_onnode.
void gb_numa_free(void *address, size_t bytes);

/// The node that holds the page at `address` (get_mempolicy with MPOL_F_NODE |
/// MPOL_F_ADDR; the kernel faults the page in when needed), or -errno on failure.
int gb_numa_node_of_address(void *address);

/// The node of the page at `address` as move_pages(2) reports it without moving it
/// (nodes == NULL): a node number, or a negative errno (-ENOENT: page not present,
/// -EFAULT: unmapped). A second, independent witness to gb_numa_node_of_address.
int gb_numa_query_page_node(void *address);

/// The size of a memory page in bytes.
size_t gb_page_size_bytes(void);

#endif
