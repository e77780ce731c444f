// Futex shims (see gb_futex.h).
#define _GNU_SOURCE
#include "gb_futex.h"
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int gb_futex_wait(uint32_t *addr, uint32_t expected, int64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000;
        ts.tv_nsec = timeout_ns % 1000000000;
        tsp = &ts;
    }
    for (;;) {
        long r = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
        if (r == 0) return 0;
        if (errno == EAGAIN) return 0;
        if (errno == ETIMEDOUT) return 1;
        if (errno == EINTR) {
            // A relative timeout restarts whole: the caller re-checks its clock anyway.
            if (__atomic_load_n(addr, __ATOMIC_ACQUIRE) != expected) return 0;
            continue;
        }
        return 0;
    }
}

int gb_futex_wake(uint32_t *addr, int count) {
    long r = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return r < 0 ? 0 : (int)r;
}

int32_t gb_gettid(void) { return (int32_t)syscall(SYS_gettid); }
