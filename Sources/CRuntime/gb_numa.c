// NUMA and CPU-affinity shims (see gb_numa.h for why each exists).
#define _GNU_SOURCE
#include "gb_numa.h"
#include <errno.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int gb_numa_available(void) { return numa_available() >= 0 ? 1 : 0; }

int gb_numa_max_node(void) { return numa_max_node(); }

int gb_numa_node_of_cpu(int cpu) {
    if (cpu < 0) return -1;
    return numa_node_of_cpu(cpu);
}

int gb_numa_distance(int from_node, int to_node) {
    if (from_node < 0 || to_node < 0) return 0;
    if (from_node > numa_max_node() || to_node > numa_max_node()) return 0;
    return numa_distance(from_node, to_node);
}

int gb_numa_node_exists(int node) {
    if (node < 0 || node > numa_max_node() || numa_all_nodes_ptr == NULL) return 0;
    return numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned int)node) ? 1 : 0;
}

int64_t gb_numa_node_memory_bytes(int node, int64_t *free_bytes) {
    long long free_value = 0;
    if (!gb_numa_node_exists(node)) return -1;
    long long total = numa_node_size64(node, &free_value);
    if (free_bytes != NULL) *free_bytes = total < 0 ? -1 : (int64_t)free_value;
    return (int64_t)total;
}

// The raw system calls take a byte length that must be a multiple of sizeof(long); the
// kernel's mask is little-endian words of unsigned long, which on 64-bit Linux is our
// uint64_t layout. The raw calls (not glibc's wrappers) accept any tid and any length.
int gb_sched_getaffinity(int32_t tid, uint64_t *words, size_t word_count) {
    if (words == NULL || word_count == 0) return EINVAL;
    memset(words, 0, word_count * sizeof(uint64_t));
    for (;;) {
        long r = syscall(SYS_sched_getaffinity, (pid_t)tid, word_count * sizeof(uint64_t), words);
        if (r >= 0) return 0;
        if (errno == EINTR) continue;
        return errno;
    }
}

int gb_sched_setaffinity(int32_t tid, const uint64_t *words, size_t word_count) {
    if (words == NULL || word_count == 0) return EINVAL;
    for (;;) {
        long r = syscall(SYS_sched_setaffinity, (pid_t)tid, word_count * sizeof(uint64_t), words);
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        return errno;
    }
}

void *gb_numa_alloc_onnode(size_t bytes, int node) {
    if (bytes == 0 || !gb_numa_node_exists(node)) return NULL;
    return numa_alloc_onnode(bytes, node);
}

void gb_numa_free(void *address, size_t bytes) {
    if (address != NULL) numa_free(address, bytes);
}

int gb_numa_node_of_address(void *address) {
    int node = -1;
    for (;;) {
        long r = get_mempolicy(&node, NULL, 0, address, MPOL_F_NODE | MPOL_F_ADDR);
        if (r == 0) return node;
        if (errno == EINTR) continue;
        return -errno;
    }
}

int gb_numa_query_page_node(void *address) {
    void *pages[1] = {address};
    int status[1] = {-1};
    for (;;) {
        long r = move_pages(0, 1, pages, NULL, status, 0);
        if (r == 0) return status[0];
        if (errno == EINTR) continue;
        return -errno;
    }
}

size_t gb_page_size_bytes(void) { return (size_t)sysconf(_SC_PAGESIZE); }
