// Goroutine stack memory and stack-overflow detection.
//
// Stacks live in large reservations (one mapping holds many stacks) so that a million
// goroutines fit under the default vm.max_map_count of 65,530: a mapping per stack would
// need one or two of the 65,530. Each stack has a guard region below it that faults on
// access. Linux 6.13+ installs it with madvise(MADV_GUARD_INSTALL) without splitting the
// mapping; older kernels fall back to mprotect(PROT_NONE), which splits it (the runtime
// counts those mappings and fails clearly before the limit).
//
// A fault in the current goroutine's guard region is reported the way Go reports a stack
// overflow, on the signal stack, and the process exits with status 2.
#ifndef GB_STACK_H
#define GB_STACK_H
#include <stddef.h>
#include <stdint.h>
#include "gb_context.h"

/// Reserves `bytes` of read-write memory that is committed lazily (MAP_NORESERVE).
/// Returns NULL on failure.
void *gb_stack_reserve(size_t bytes);
/// Unmaps a reservation.
int gb_stack_unmap(void *addr, size_t bytes);
/// Makes [addr, addr+len) fault on access. Returns 1 for a lightweight guard (no new
/// mapping), 2 for an mprotect guard (splits the mapping), -1 on failure.
int gb_guard_install(void *addr, size_t len);
/// Gives the pages of [addr, addr+len) back to the OS; they read as zero afterwards.
/// A lightweight guard inside the range stays installed.
int gb_release_pages(void *addr, size_t len);
/// Resident bytes of [addr, addr+len), from mincore(2).
size_t gb_resident_bytes(void *addr, size_t len);

/// The current stack pointer of the caller (approximately: its frame address):
/// setMaxStack places a running goroutine's new guard below it (StackAllocator.swift).
uintptr_t gb_stack_pointer(void);

/// Parked-stack compaction (Runtime/Scavenger.swift): the scavenger keeps the live bytes of
/// a long-parked goroutine's stack elsewhere and turns the stack's pages into a
/// lightweight guard region, so that they are given back and any access to them before
/// the goroutine resumes faults loudly instead of writing to memory that the restore
/// would overwrite. Only the lightweight guard (MADV_GUARD_INSTALL, Linux 6.13+) will do:
/// an mprotect guard per parked stack would need a mapping each.
/// Returns 0, or -1 with errno (EINVAL: the kernel has no lightweight guards).
int gb_guard_install_light(void *addr, size_t len);
/// Installs lightweight guards over `n` ranges [addrs[i], addrs[i]+lens[i]) with as few
/// system calls as it can: process_madvise on the process's own pidfd takes 64 ranges
/// at once (Linux 6.13+ accepts any advice for the calling process); else one madvise
/// per range. Returns how many ranges, from the first, are guarded: n, or the index of
/// the first that failed (errno set; that range may be guarded in part).
int gb_guard_install_ranges(const uintptr_t *addrs, const size_t *lens, int n);
/// Faults in the pages of `n` ranges ahead of their first use (MADV_POPULATE_WRITE), 64
/// ranges per process_madvise call where the kernel takes it (Linux 6.13+): one system
/// call instead of a page fault per range. Returns how many ranges, from the first, were
/// populated; 0 where the kernel takes no such batch (the pages then fault in on first
/// use, as without this call). A hint: nothing depends on it.
int gb_populate_ranges(const uintptr_t *addrs, const size_t *lens, int n);
/// Copies the live bytes of a parked stack to or from its record: plain memcpy, or under
/// a sanitizer a word loop that the sanitizer does not watch (the stack holds redzones
/// that AddressSanitizer keeps poisoned, and bytes that ThreadSanitizer saw the
/// goroutine write on another thread; the scan bit orders them).
void gb_stack_copy(void *dst, const void *src, size_t n);

/// Under AddressSanitizer, takes a compacted goroutine's stack out of LeakSanitizer's
/// root regions (its live pages are a guard region: the scan would fault; the record,
/// reachable from the goroutine, holds its pointers meanwhile), and puts it back before
/// it runs. No-ops otherwise.
void gb_stack_compaction_hide(gb_context *ctx);
void gb_stack_compaction_show(gb_context *ctx);
/// Removes lightweight guards from [addr, addr+len) (MADV_GUARD_REMOVE); the pages then
/// read as zero until written. Returns 0, or -1 with errno.
int gb_guard_remove(void *addr, size_t len);
/// Makes [addr, addr+len) ordinary stack memory again whichever way its guard was
/// installed: removes lightweight guards and restores read-write protection. Returns 0,
/// or -1 with errno.
int gb_guard_clear(void *addr, size_t len);
/// 1 once a lightweight guard was installed by gb_guard_install, 0 if the kernel refused
/// one, -1 before the first try.
int gb_light_guards_state(void);
/// glibc's malloc_trim(0): gives the free pages inside malloc's arenas back to the OS
/// (freed goroutines leave them in the middle of the heap, where free() alone keeps them).
/// Returns 1 when memory was released.
int gb_malloc_trim(void);
/// mallopt(M_TRIM_THRESHOLD, 128 KiB), once per process: glibc otherwise raises the
/// threshold with every large block freed, and keeps that much free memory resident at
/// the top of each thread's arena, where malloc_trim does not reach.
void gb_malloc_fix_trim_threshold(void);

/// What the signal handler knows about the running goroutine. The runtime points the
/// thread's gb_current_stack at the running goroutine's record on every switch.
typedef struct gb_stack_record {
    uintptr_t lo;          // lowest usable address
    uintptr_t hi;          // one past the highest usable address
    uintptr_t guard_lo;    // start of the guard region below lo
    uint64_t limit;        // the byte limit reported on overflow
    int64_t goid;          // the goroutine's id
} gb_stack_record;

extern __thread gb_stack_record *gb_current_stack;

static inline void gb_set_current_stack(gb_stack_record *r) { gb_current_stack = r; }
static inline gb_stack_record *gb_get_current_stack(void) { return gb_current_stack; }

/// Installs the SIGSEGV/SIGBUS handler (once per process).
void gb_signals_install(void);
/// Gives the calling thread an alternate signal stack (once per thread), so that the
/// handler can run when the goroutine stack is exhausted.
int gb_signal_stack_install(void);

/// Writes a message to standard error and exits with `status`, without running atexit
/// handlers or Swift's runtime: the way Go's fatal errors end a process.
void gb_fatal_exit(const char *message, int status) __attribute__((noreturn));

#endif
