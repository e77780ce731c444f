// Thread-local M pointer and the monotonic clock (see gb_atomic.h).
#define _GNU_SOURCE
#include "gb_atomic.h"
#include <time.h>

static __thread void *gb_tls_machine = 0;

__attribute__((noinline)) void *gb_get_machine(void) { return gb_tls_machine; }
void gb_set_machine(void *m) { gb_tls_machine = m; }

int64_t gb_nanotime(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
