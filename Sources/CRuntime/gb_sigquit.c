// SIGQUIT's handler: records the signal for sysmon (Runtime/SigquitDump.swift). Only
// async-signal-safe work here: atomic stores, gettid, and for a second SIGQUIT (or one
// that arrives while no runtime can print), the default action.
#define _GNU_SOURCE
#include "gb_sigquit.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <ucontext.h>

static int active = 0;
static int pending = 0;      // 0 none, 1 recorded (sysmon has not taken it), 2 taken
static uintptr_t pending_pc = 0;
static int32_t pending_tid = 0;
static int32_t pending_code = 0;

static void default_action(void) {
    // The default for SIGQUIT ends the process (with a core dump where enabled). The
    // signal is blocked inside this handler, so it is delivered when the handler returns.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGQUIT, &sa, NULL);
    syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGQUIT);
}

static void sigquit_handler(int sig, siginfo_t *info, void *uctx) {
    (void)sig;
    // A second SIGQUIT while the first is not yet printed (sysmon stuck), or one with no
    // runtime to print it: the default action, as a program without the handler gets.
    int expected = 0;
    if (!__atomic_load_n(&active, __ATOMIC_ACQUIRE) ||
        !__atomic_compare_exchange_n(&pending, &expected, -1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        default_action();
        return;
    }
    uintptr_t pc = 0;
#if defined(__x86_64__)
    pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    pc = (uintptr_t)((ucontext_t *)uctx)->uc_mcontext.pc;
#endif
    pending_pc = pc;
    pending_tid = (int32_t)syscall(SYS_gettid);
    pending_code = info->si_code;
    __atomic_store_n(&pending, 1, __ATOMIC_RELEASE);
}

static struct sigaction previous_action;
static int installed = 0;

int gb_sigquit_install(void) {
    if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) return 1;
    struct sigaction current;
    if (sigaction(SIGQUIT, NULL, &current) != 0) return 0;
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = sigquit_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGQUIT, &sa, &previous_action) != 0) return 0;
    __atomic_store_n(&pending, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
    return 1;
}

void gb_sigquit_uninstall(void) {
    if (!__atomic_exchange_n(&installed, 0, __ATOMIC_ACQ_REL)) return;
    sigaction(SIGQUIT, &previous_action, NULL);
}

void gb_sigquit_set_active(int value) {
    __atomic_store_n(&active, value ? 1 : 0, __ATOMIC_RELEASE);
    if (value) return;
    // One that came too late for sysmon's last round: the default action, as for a
    // SIGQUIT between runtimes (the signal is not blocked here, so it ends the process).
    int expected = 1;
    if (__atomic_compare_exchange_n(&pending, &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) default_action();
}

int gb_sigquit_pending(void) {
    return __atomic_load_n(&pending, __ATOMIC_ACQUIRE) == 1;
}

int gb_sigquit_take(uintptr_t *pc, int32_t *tid, int32_t *code) {
    int expected = 1;
    if (!__atomic_compare_exchange_n(&pending, &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return 0;
    *pc = pending_pc;
    *tid = pending_tid;
    *code = pending_code;
    return 1;
}
