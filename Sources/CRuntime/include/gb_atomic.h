// Atomic words for the scheduler's shared state, as C11 atomics in static inline functions
// (Swift inlines them). Why not Synchronization's Atomic: the runtime needs the address of
// a word (futexes sleep on it) and words inside raw, node-local memory (run queues live in
// their P's NUMA node), neither of which Atomic offers. Each call names its ordering; the
// call sites say what an acquire pairs with.
#ifndef GB_ATOMIC_H
#define GB_ATOMIC_H
#include <stdint.h>
#include <stdbool.h>

#define GB_ATOMIC_FNS(T, N) \
static inline T gb_load_relaxed_##N(const T *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); } \
static inline T gb_load_acquire_##N(const T *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); } \
static inline void gb_store_relaxed_##N(T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELAXED); } \
static inline void gb_store_release_##N(T *p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); } \
static inline T gb_exchange_##N(T *p, T v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL); } \
static inline bool gb_cas_##N(T *p, T expected, T desired) { \
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE); } \
static inline bool gb_cas_release_##N(T *p, T expected, T desired) { \
    return __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED); } \
static inline T gb_add_##N(T *p, T v) { return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL); } \
static inline T gb_add_relaxed_##N(T *p, T v) { return __atomic_add_fetch(p, v, __ATOMIC_RELAXED); } \
static inline T gb_sub_##N(T *p, T v) { return __atomic_sub_fetch(p, v, __ATOMIC_ACQ_REL); }

GB_ATOMIC_FNS(uint32_t, u32)
GB_ATOMIC_FNS(int32_t, i32)
GB_ATOMIC_FNS(uint64_t, u64)
GB_ATOMIC_FNS(int64_t, i64)
GB_ATOMIC_FNS(uintptr_t, uptr)

static inline void gb_fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/// The running M of this thread (an unretained Machine), for the scheduler.
///
/// Deliberately NOT inline: a goroutine can move to another thread inside any call that
/// may switch contexts, but the compiler treats the address of a thread-local variable as
/// constant within a function and would reuse the old thread's address after the move
/// (reading another M). An opaque call is computed afresh each time.
void *gb_get_machine(void) __attribute__((noinline));
void gb_set_machine(void *m);

/// Monotonic nanoseconds (CLOCK_MONOTONIC).
int64_t gb_nanotime(void);

#endif
