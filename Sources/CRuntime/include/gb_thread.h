// OS threads for Ms. A C shim because pthread's types import awkwardly into Swift and
// every M needs the same set-up (a detached thread, a signal stack).
#ifndef GB_THREAD_H
#define GB_THREAD_H
#include <stddef.h>

typedef void (*gb_thread_entry)(void *arg);
/// Starts a detached thread with `stack_bytes` of stack (0: the default) running
/// entry(arg) after installing its signal stack. Returns 0 or an errno value.
int gb_thread_start(gb_thread_entry entry, void *arg, size_t stack_bytes);
/// Marks the calling thread as one that may carry OS state of a program's own (a
/// goroutine locked it: Runtime/TemplateThread.swift); the mark lasts the thread's life.
void gb_thread_mark_altered(void);
/// 1 when the calling thread is so marked, else 0.
int gb_thread_may_be_altered(void);
/// Ends the calling thread.
void gb_thread_exit(void) __attribute__((noreturn));
/// Spins politely (the PAUSE/YIELD instruction), `count` times.
void gb_cpu_relax(unsigned count);

/// The CPU the calling thread runs on (sched_getcpu, a _GNU_SOURCE call Swift does not
/// see), or -1.
int gb_current_cpu(void);

/// Retains and releases a Swift object `times` times through the Swift runtime's entry
/// points: the probe that checks the immortal reference count (Runtime/Immortal.swift).
void gb_swift_retain_release(void *object, int times);
/// One swift_release of `object`, with no reference of Swift's own around it: how the
/// scavenger drops the last reference to a goroutine it frees (Runtime/Immortal.swift).
void gb_swift_release(void *object);

#endif
