// Asynchronous preemption and untracked blocking: the signal side (Runtime/Preemption.swift
// has the design and its safety argument). A C shim because a signal handler must not run
// Swift code that may allocate, and because the checks it makes (the interrupted context's
// registers, signal mask and instruction bytes) are not expressible in Swift.
#ifndef GB_PREEMPT_H
#define GB_PREEMPT_H
#include <stddef.h>
#include <stdint.h>

/// One per M, shared by the M's thread, its signal handler and sysmon.
typedef struct gb_preempt_record {
    /// 1 while the thread runs a goroutine's own code (not the runtime's): the only
    /// time the handler may act. Written by the thread itself (entry and exit of the
    /// runtime), read by its handler: relaxed atomics and a signal fence.
    uint32_t user;
    /// 1 when the handler released the M's P while the thread was blocked in the kernel
    /// (untracked blocking): the next entry into the runtime takes a P back first.
    uint32_t lost;
    /// 1 when the handler gave its P up and waits for sysmon to queue its goroutine;
    /// sysmon takes it (exchange to 2). 0 otherwise.
    uint32_t handoff;
    uint32_t padding;
} gb_preempt_record;

/// What sysmon asks of the handler.
enum { GB_PREEMPT_KIND_PREEMPT = 1, GB_PREEMPT_KIND_BLOCKED = 2 };

/// Entering the runtime: clears `user` and returns its old value in bit 0 and `lost`
/// in bit 1. Inline (no thread-local access: the record is the M's).
static inline uint32_t gb_preempt_enter(gb_preempt_record *r) {
    uint32_t u = __atomic_load_n(&r->user, __ATOMIC_RELAXED);
    __atomic_store_n(&r->user, 0, __ATOMIC_RELAXED);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return u | (__atomic_load_n(&r->lost, __ATOMIC_RELAXED) << 1);
}

/// Leaving the runtime: `user` back to what gb_preempt_enter returned (bit 0).
static inline void gb_preempt_leave(gb_preempt_record *r, uint32_t saved) {
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    __atomic_store_n(&r->user, saved & 1, __ATOMIC_RELAXED);
}

/// gb_preempt_enter and gb_preempt_leave on the calling thread's record (an M's; none:
/// 0 and nothing). Out of line on purpose, as gb_get_machine: a goroutine may leave the
/// runtime on another thread than it entered, and an inlined thread-local address would
/// be the old thread's. A call is also cheaper than the reference counting a Swift load
/// of the running M costs.
uint32_t gb_runtime_enter(void) __attribute__((noinline));
void gb_runtime_leave(uint32_t saved) __attribute__((noinline));

/// The Swift half of the handler: called on the interrupted thread, in the handler, once
/// the C checks passed. `in_syscall`: the thread was blocked in (or had just left) a
/// system call. Returns 1 when it acted (P handed off), 0 when it refused.
/// `processor`: the id of the P sysmon looked at, plus one (0: any).
typedef int32_t (*gb_preempt_callback)(uint32_t kind, uint32_t processor, uint32_t tick, int32_t in_syscall);

/// Installs the SIGURG handler (once per process; a handler installed before is chained
/// to for every SIGURG that is not the runtime's) and the callback.
void gb_preempt_install(gb_preempt_callback callback);
/// The calling thread's record (an M's thread, at its start), and its signal mask now:
/// the handler refuses when the interrupted code blocks more (inside a signal handler).
void gb_preempt_attach(gb_preempt_record *record);
/// Sends the runtime's SIGURG to thread `tid` of this process, about P `processor` (its id
/// plus one, below 4096; 0: any) seen at schedule tick `tick`. Returns 0 or an errno.
int gb_preempt_signal(int32_t tid, uint32_t kind, uint32_t processor, uint32_t tick);
/// Builds the table of code where a goroutine may be stopped (Swift functions of the
/// program, from its symbol table); once, on the first call; a call made while another
/// thread builds it returns when that one has published it. sysmon calls it as it starts,
/// gb_preempt_signal before any signal, Runtime.prepareAsyncPreemption before the runtime
/// starts. Allocates and sleeps: never from a signal handler.
void gb_preempt_prepare(void);
/// Whether the handler may stop a goroutine at `pc` (0 before gb_preempt_prepare, and
/// always in a program without a symbol table).
int gb_preemptible_pc(uintptr_t pc);
/// Whether a function of this name is preemptible code (a Swift symbol, or one of the
/// runtime's leaf C functions).
int gb_preemptible_symbol(const char *name);
/// The number of preemptible ranges in the table (0 when none is built).
size_t gb_preemptible_ranges(void);
/// Handler refusals so far, by reason (index: 0 inside the runtime, 1 inside a signal
/// handler, 2 not on the goroutine's stack, 3 outside the program's Swift code (a shared
/// library, C code linked into the program: a sanitizer's runtime, a static libc, the
/// Swift runtime), 4 stale or refused by the Swift side).
uint64_t gb_preempt_refusals(int reason);
/// Zeroes the refusal counts (at each Runtime.run, with the other statistics).
void gb_preempt_refusals_reset(void);
/// Signals the handler took as the runtime's (acted on or refused).
uint64_t gb_preempt_signals_handled(void);

/// The calling thread's CPU-time clock id, for gb_thread_cpu_nanoseconds from any thread.
int32_t gb_thread_cpu_clock(void);
/// CPU time a thread used (its clock from gb_thread_cpu_clock), or -1.
int64_t gb_thread_cpu_nanoseconds(int32_t clock);
/// The state letter of thread `tid` of this process from /proc/self/task/TID/stat
/// ('R', 'S', 'D', ...), or 0 when it cannot be read.
char gb_thread_state(int32_t tid);

#endif
