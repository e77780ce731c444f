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

/// The current stack pointer of the caller (approximately: the address of a local).
uintptr_t gb_stack_pointer(void);

/// Writes a message to standard error and exits with `status`, without running atexit
/// handlers or Swift's runtime: the way Go's fatal errors end a process.
void gb_fatal_exit(const char *message, int status) __attribute__((noreturn));

#endif
