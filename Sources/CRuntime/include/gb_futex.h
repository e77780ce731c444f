// Futex shims: Swift has no binding for the futex(2) system call, and idle Ms, the
// stop-the-world protocol and the notes of the runtime park on futexes.
#ifndef GB_FUTEX_H
#define GB_FUTEX_H
#include <stdint.h>

/// Sleeps while *addr == expected, at most timeout_ns (negative: no limit).
/// Returns 0 when woken or the value differed, 1 on timeout. Retries EINTR itself.
int gb_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns);
/// Wakes up to count sleepers on addr; returns how many were woken.
int gb_futex_wake(uint32_t *addr, int count);
/// The kernel's id of the calling thread.
int32_t gb_gettid(void);

#endif
