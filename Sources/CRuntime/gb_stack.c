// Goroutine stack memory and the stack-overflow report (see gb_stack.h).
#define _GNU_SOURCE
#include "gb_stack.h"
#include "gb_traceback.h"
#include <ucontext.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gb_context.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GB_STACK_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define GB_STACK_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(GB_STACK_ASAN)
#define GB_STACK_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(GB_STACK_TSAN)
#define GB_STACK_TSAN 1
#endif
#if defined(GB_STACK_ASAN)
#include <sanitizer/lsan_interface.h>
#endif

#if defined(GB_STACK_ASAN) || defined(GB_STACK_TSAN)
// Volatile accesses: the compiler must not turn the loop into a memcpy call, which the
// sanitizer's interceptor would check.
__attribute__((no_sanitize("address", "thread")))
void gb_stack_copy(void *dst, const void *src, size_t n) {
    volatile unsigned char *d = dst;
    const volatile unsigned char *s = src;
    for (size_t i = 0; i < n; i++) d[i] = s[i];
}
#else
void gb_stack_copy(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
#endif

void gb_stack_compaction_hide(gb_context *ctx) {
#if defined(GB_STACK_ASAN)
    if ((ctx->sanitizer_flags & (GB_CONTEXT_SANITIZER_MADE | GB_CONTEXT_SANITIZER_HIDDEN)) == GB_CONTEXT_SANITIZER_MADE) {
        __lsan_unregister_root_region(ctx->stack_bottom, ctx->stack_bytes);
        ctx->sanitizer_flags |= GB_CONTEXT_SANITIZER_HIDDEN;
    }
#else
    (void)ctx;
#endif
}

void gb_stack_compaction_show(gb_context *ctx) {
#if defined(GB_STACK_ASAN)
    if (ctx->sanitizer_flags & GB_CONTEXT_SANITIZER_HIDDEN) {
        ctx->sanitizer_flags &= ~(unsigned)GB_CONTEXT_SANITIZER_HIDDEN;
        __lsan_register_root_region(ctx->stack_bottom, ctx->stack_bytes);
    }
#else
    (void)ctx;
#endif
}

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#endif

__thread gb_stack_record *gb_current_stack = NULL;

void *gb_stack_reserve(size_t bytes) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int gb_stack_unmap(void *addr, size_t bytes) { return munmap(addr, bytes); }

#ifndef MADV_GUARD_REMOVE
#define MADV_GUARD_REMOVE 103
#endif

static int light_guard_works = 1;
static int light_guard_state = -1;

int gb_guard_install(void *addr, size_t len) {
    if (__atomic_load_n(&light_guard_works, __ATOMIC_RELAXED)) {
        if (madvise(addr, len, MADV_GUARD_INSTALL) == 0) {
            __atomic_store_n(&light_guard_state, 1, __ATOMIC_RELAXED);
            return 1;
        }
        if (errno == EINVAL) {
            __atomic_store_n(&light_guard_works, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&light_guard_state, 0, __ATOMIC_RELAXED);
        }
    }
    if (mprotect(addr, len, PROT_NONE) == 0) return 2;
    return -1;
}

int gb_guard_install_light(void *addr, size_t len) {
    for (;;) {
        if (madvise(addr, len, MADV_GUARD_INSTALL) == 0) return 0;
        if (errno != EINTR && errno != EAGAIN) return -1;
    }
}

// The process's own pidfd for process_madvise (-2: not opened yet, -1: unavailable).
static int self_pidfd = -2;
static int batched_guards_work = 1;

static int self_pidfd_get(void) {
    int fd = __atomic_load_n(&self_pidfd, __ATOMIC_ACQUIRE);
    if (fd != -2) return fd;
    int opened = -1;
#ifdef SYS_pidfd_open
    opened = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (opened < 0) opened = -1;
#endif
    int expected = -2;
    if (!__atomic_compare_exchange_n(&self_pidfd, &expected, opened, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        if (opened >= 0) close(opened);
        return expected;
    }
    return opened;
}

// process_madvise(2) of `advice` over ranges [done, n), 64 at a time, on the process's own
// pidfd (Linux 6.13+ accepts any advice for the calling process). Returns how many
// ranges, from the first, were advised in full; stops at the first failure (errno set)
// and clears *works when the kernel refuses the call itself, so that it is not tried
// again.
static int advise_ranges_batched(const uintptr_t *addrs, const size_t *lens, int n, int advice, int *works) {
    int done = 0;
#ifdef SYS_process_madvise
    int fd = __atomic_load_n(works, __ATOMIC_RELAXED) ? self_pidfd_get() : -1;
    while (fd >= 0 && done < n) {
        struct iovec iov[64];
        int k = n - done < 64 ? n - done : 64;
        size_t total = 0;
        for (int i = 0; i < k; i++) {
            iov[i].iov_base = (void *)addrs[done + i];
            iov[i].iov_len = lens[done + i];
            total += lens[done + i];
        }
        long r = syscall(SYS_process_madvise, fd, iov, (size_t)k, advice, 0u);
        if (r < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            // This advice is not allowed here (a kernel before 6.13), or a range is bad:
            // the caller's fallback says which; batches are not tried again.
            __atomic_store_n(works, 0, __ATOMIC_RELAXED);
            break;
        }
        // The kernel advises the ranges in order: skip those done in full. One done in
        // part is left to the caller (advising a range twice is harmless).
        size_t left = (size_t)r;
        int end = done + k;
        while (done < end && left >= lens[done]) { left -= lens[done]; done++; }
        if ((size_t)r < total) break;
    }
#else
    (void)addrs; (void)lens; (void)n; (void)advice; (void)works;
#endif
    return done;
}

int gb_guard_install_ranges(const uintptr_t *addrs, const size_t *lens, int n) {
    int done = advise_ranges_batched(addrs, lens, n, MADV_GUARD_INSTALL, &batched_guards_work);
    for (; done < n; done++) {
        if (gb_guard_install_light((void *)addrs[done], lens[done]) != 0) return done;
    }
    return n;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int batched_populate_works = 1;

int gb_populate_ranges(const uintptr_t *addrs, const size_t *lens, int n) {
    return advise_ranges_batched(addrs, lens, n, MADV_POPULATE_WRITE, &batched_populate_works);
}

int gb_guard_remove(void *addr, size_t len) {
    for (;;) {
        if (madvise(addr, len, MADV_GUARD_REMOVE) == 0) return 0;
        if (errno != EINTR && errno != EAGAIN) return -1;
    }
}

int gb_guard_clear(void *addr, size_t len) {
    // MADV_GUARD_REMOVE is a no-op on pages without a lightweight guard; EINVAL means the
    // kernel has none (the guard was an mprotect one).
    if (gb_guard_remove(addr, len) != 0 && errno != EINVAL) return -1;
    return mprotect(addr, len, PROT_READ | PROT_WRITE);
}

int gb_light_guards_state(void) { return __atomic_load_n(&light_guard_state, __ATOMIC_RELAXED); }

int gb_malloc_trim(void) { return malloc_trim(0); }

void gb_malloc_fix_trim_threshold(void) {
    static int done = 0;
    if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL)) return;
    mallopt(M_TRIM_THRESHOLD, 128 * 1024);
}

int gb_release_pages(void *addr, size_t len) { return madvise(addr, len, MADV_DONTNEED); }

size_t gb_resident_bytes(void *addr, size_t len) {
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page;
    unsigned char vec[4096];
    size_t resident = 0;
    for (size_t off = 0; off < pages; off += sizeof vec) {
        size_t n = pages - off < sizeof vec ? pages - off : sizeof vec;
        if (mincore((char *)addr + off * page, n * page, vec) != 0) return 0;
        for (size_t i = 0; i < n; i++) resident += vec[i] & 1;
    }
    return resident * page;
}

uintptr_t gb_stack_pointer(void) {
    return (uintptr_t)__builtin_frame_address(0);
}

// ---- async-signal-safe formatting ----

static size_t put_str(char *buf, size_t at, size_t cap, const char *s) {
    while (*s && at < cap) buf[at++] = *s++;
    return at;
}

static size_t put_dec(char *buf, size_t at, size_t cap, uint64_t v) {
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 24);
    while (n > 0 && at < cap) buf[at++] = tmp[--n];
    return at;
}

static size_t put_hex(char *buf, size_t at, size_t cap, uint64_t v) {
    char tmp[20];
    int n = 0;
    do { tmp[n++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v && n < 20);
    at = put_str(buf, at, cap, "0x");
    while (n > 0 && at < cap) buf[at++] = tmp[--n];
    return at;
}

static void write_all(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t w = write(2, buf, len);
        if (w < 0) { if (errno == EINTR) continue; return; }
        buf += w; len -= (size_t)w;
    }
}

void gb_fatal_exit(const char *message, int status) {
    write_all(message, strlen(message));
    _exit(status);
}

// The faulting goroutine's frames (an overflow, or another fault), from the interrupted
// registers, as Go prints them
// (the first 100, then a line saying more were left out). Symbolizing is not
// async-signal-safe (dl_iterate_phdr, the demangler's allocations): the report's own
// lines are out before it starts, and an alarm ends the process should it hang.
static void overflow_frames(const gb_stack_record *r, void *uctx) {
    ucontext_t *uc = uctx;
    uintptr_t pc = 0, fp = 0;
#if defined(__x86_64__)
    pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    pc = (uintptr_t)uc->uc_mcontext.pc;
    fp = (uintptr_t)uc->uc_mcontext.regs[29];
#else
    (void)uc;
    return;
#endif
    alarm(10);
    uintptr_t pcs[100];
    int more = 0;
    // pc is where the fault happened, not a return address: symbolized as pc + 1 so
    // that the lookup of "the byte before" lands on it.
    int count = gb_frames_from(pc + 1, fp, r->lo, r->hi, pcs, 100, &more);
    char line[2048];
    for (int i = 0; i < count; i++) {
        size_t len = gb_format_frame(pcs[i], line, sizeof line);
        write_all(line, len);
    }
    if (more) write_all("...additional frames elided...\n", 31);
}

static void fault_handler(int sig, siginfo_t *info, void *uctx) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    gb_stack_record *r = gb_current_stack;
    char buf[512];
    size_t n = 0, cap = sizeof buf;
    // A fault in the guard region, or just below it (a frame larger than the guard
    // that skipped over it lands below the reservation only if nothing is mapped there).
    if (r != NULL && addr >= r->guard_lo - 65536 && addr < r->lo) {
        n = put_str(buf, n, cap, "runtime: goroutine stack exceeds ");
        n = put_dec(buf, n, cap, r->limit);
        n = put_str(buf, n, cap, "-byte limit\nruntime: sp=");
        n = put_hex(buf, n, cap, addr);
        n = put_str(buf, n, cap, " stack=[");
        n = put_hex(buf, n, cap, r->lo);
        n = put_str(buf, n, cap, ", ");
        n = put_hex(buf, n, cap, r->hi);
        n = put_str(buf, n, cap, "]\nfatal error: stack overflow\n");
        if (gb_traceback_level > 0) {
            n = put_str(buf, n, cap, "\ngoroutine ");
            n = put_dec(buf, n, cap, (uint64_t)r->goid);
            n = put_str(buf, n, cap, " [running]:\n");
        }
        write_all(buf, n);
        if (gb_traceback_level > 0) overflow_frames(r, uctx);
        _exit(2);
    }
    n = put_str(buf, n, cap, "unexpected fault address ");
    n = put_hex(buf, n, cap, addr);
    n = put_str(buf, n, cap, "\nfatal error: fault\n[signal ");
    n = put_str(buf, n, cap, sig == SIGBUS ? "SIGBUS: bus error" : "SIGSEGV: segmentation violation");
    n = put_str(buf, n, cap, " code=");
    n = put_hex(buf, n, cap, (uint64_t)info->si_code);
    n = put_str(buf, n, cap, " addr=");
    n = put_hex(buf, n, cap, addr);
    n = put_str(buf, n, cap, "]\n");
    if (r != NULL && gb_traceback_level > 0) {
        n = put_str(buf, n, cap, "\ngoroutine ");
        n = put_dec(buf, n, cap, (uint64_t)r->goid);
        n = put_str(buf, n, cap, " [running]:\n");
    }
    write_all(buf, n);
    if (r != NULL && gb_traceback_level > 0) overflow_frames(r, uctx);
    _exit(2);
}

void gb_signals_install(void) {
    static int installed = 0;
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}

int gb_signal_stack_install(void) {
    static __thread int done = 0;
    if (done) return 0;
    size_t size = 64 * 1024;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return -1;
    stack_t ss;
    ss.ss_sp = mem;
    ss.ss_size = size;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) != 0) return -1;
    done = 1;
    return 0;
}
