// Asynchronous preemption and untracked blocking, the signal side (see gb_preempt.h and
// Runtime/Preemption.swift). Everything the handler calls is async-signal-safe: loads
// and stores, getpid, and the Swift callback, which uses atomics and futexes only.
#define _GNU_SOURCE
#include "gb_preempt.h"
#include "gb_stack.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// si_value of the runtime's own SIGURG: this tag in the top 16 bits, the P's id plus one
// in bits 36-47, the kind in bits 32-35, sysmon's view of the P's schedule tick in the
// low 32.
#define GB_PREEMPT_TAG 0x6762ULL  /* "gb" */

static gb_preempt_callback preempt_callback = NULL;
static struct sigaction previous_action;
static __thread gb_preempt_record *thread_record = NULL;
static __thread uint64_t thread_base_mask = 0;
static uint64_t refusals[5];
static uint64_t handled = 0;

// The executable segments of the main program (not its shared libraries).
static uintptr_t text_lo[8], text_hi[8];
static int text_count = 0;

static int find_program_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    // The first object is the program itself.
    for (int i = 0; i < info->dlpi_phnum && text_count < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            text_lo[text_count] = info->dlpi_addr + ph->p_vaddr;
            text_hi[text_count] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            text_count++;
        }
    }
    return 1; // stop after the program
}

static int in_program_text(uintptr_t pc) {
    for (int i = 0; i < text_count; i++)
        if (pc >= text_lo[i] && pc < text_hi[i]) return 1;
    return 0;
}

// True when the interrupted instruction is, or follows, a system call instruction: the
// kernel rewinds the PC to it when the call restarts (SA_RESTART), and leaves it just
// after it when the call fails with EINTR. Bytes are read only inside the PC's page.
static int at_syscall(uintptr_t pc) {
#if defined(__x86_64__)
    const unsigned char *p = (const unsigned char *)pc;
    if ((pc & 4095) <= 4094 && p[0] == 0x0f && p[1] == 0x05) return 1;
    if ((pc & 4095) >= 2 && p[-2] == 0x0f && p[-1] == 0x05) return 1;
    return 0;
#elif defined(__aarch64__)
    const uint32_t *p = (const uint32_t *)pc;
    if ((pc & 3) != 0) return 0;
    if (p[0] == 0xd4000001u) return 1;
    if ((pc & 4095) >= 4 && p[-1] == 0xd4000001u) return 1;
    return 0;
#else
    (void)pc;
    return 0;
#endif
}

static void context_pc_sp(void *uctx, uintptr_t *pc, uintptr_t *sp) {
    ucontext_t *uc = (ucontext_t *)uctx;
#if defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    *sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    *pc = 0; *sp = 0;
#endif
}

static void refuse(int reason) { __atomic_add_fetch(&refusals[reason], 1, __ATOMIC_RELAXED); }

static void chain(int sig, siginfo_t *info, void *uctx) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) previous_action.sa_sigaction(sig, info, uctx);
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
    }
    // SIG_DFL for SIGURG is to ignore it.
}

static void preempt_handler(int sig, siginfo_t *info, void *uctx) {
    uint64_t value = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    if (info->si_code != SI_QUEUE || info->si_pid != getpid() || (value >> 48) != GB_PREEMPT_TAG) {
        chain(sig, info, uctx);
        return;
    }
    int saved_errno = errno;
    __atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
    uint32_t kind = (uint32_t)((value >> 32) & 0xf);
    uint32_t processor = (uint32_t)((value >> 36) & 0xfff);
    uint32_t tick = (uint32_t)value;
    gb_preempt_record *r = thread_record;
    ucontext_t *uc = (ucontext_t *)uctx;
    uint64_t mask;
    memcpy(&mask, &uc->uc_sigmask, sizeof mask);
    uintptr_t pc, sp;
    context_pc_sp(uctx, &pc, &sp);
    gb_stack_record *stack = gb_current_stack;
    if (r == NULL || __atomic_load_n(&r->user, __ATOMIC_RELAXED) == 0) {
        refuse(0);
    } else if ((mask & ~thread_base_mask) != 0) {
        refuse(1); // the interrupted code blocks signals the thread does not: a handler
    } else if (stack == NULL || sp < stack->lo || sp >= stack->hi) {
        refuse(2);
    } else {
        int in_syscall = at_syscall(pc);
        if (!in_syscall && !in_program_text(pc)) {
            refuse(3);
        } else if (preempt_callback == NULL || preempt_callback(kind, processor, tick, in_syscall) == 0) {
            refuse(4);
        }
    }
    errno = saved_errno;
}

uint32_t gb_runtime_enter(void) {
    gb_preempt_record *r = thread_record;
    return r == NULL ? 0 : gb_preempt_enter(r);
}

void gb_runtime_leave(uint32_t saved) {
    gb_preempt_record *r = thread_record;
    if (r != NULL) gb_preempt_leave(r, saved);
}

void gb_preempt_install(gb_preempt_callback callback) {
    static int installed = 0;
    __atomic_store_n(&preempt_callback, callback, __ATOMIC_RELEASE);
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) return;
    dl_iterate_phdr(find_program_text, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = preempt_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, &previous_action);
}

void gb_preempt_attach(gb_preempt_record *record) {
    sigset_t now;
    sigemptyset(&now);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    uint64_t mask;
    memcpy(&mask, &now, sizeof mask);
    thread_base_mask = mask;
    thread_record = record;
}

int gb_preempt_signal(int32_t tid, uint32_t kind, uint32_t processor, uint32_t tick) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGURG;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_ptr = (void *)(uintptr_t)((GB_PREEMPT_TAG << 48) | ((uint64_t)(processor & 0xfff) << 36) | ((uint64_t)(kind & 0xf) << 32) | tick);
    if (syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGURG, &info) != 0) return errno;
    return 0;
}

uint64_t gb_preempt_refusals(int reason) {
    if (reason < 0 || reason >= 5) return 0;
    return __atomic_load_n(&refusals[reason], __ATOMIC_RELAXED);
}

void gb_preempt_refusals_reset(void) {
    for (int i = 0; i < 5; i++) __atomic_store_n(&refusals[i], 0, __ATOMIC_RELAXED);
}

uint64_t gb_preempt_signals_handled(void) { return __atomic_load_n(&handled, __ATOMIC_RELAXED); }

int32_t gb_thread_cpu_clock(void) {
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) != 0) return -1;
    return (int32_t)clock;
}

int64_t gb_thread_cpu_nanoseconds(int32_t clock) {
    struct timespec ts;
    if (clock == -1 || clock_gettime((clockid_t)clock, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char gb_thread_state(int32_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    // "TID (COMM) S ...": COMM may hold ')' and spaces, so the last ')'.
    char *close_paren = strrchr(buf, ')');
    if (close_paren == NULL || close_paren[1] != ' ') return 0;
    return close_paren[2];
}
