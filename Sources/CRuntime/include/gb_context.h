// Context switching between goroutine stacks. Swift cannot switch stacks; this is the
// one primitive the scheduler needs: save the callee-saved state of the current context,
// load another's. Two back ends, chosen at run time by gb_context_set_backend:
//   GB_CONTEXT_ASM      hand-written assembly per ABI (gb_context_x86_64_sysv.S,
//                       gb_context_aarch64.S): callee-saved registers and FP control words;
//   GB_CONTEXT_UCONTEXT the portable getcontext/makecontext/swapcontext fallback (it also
//                       saves the signal mask with a system call, so it is slower).
#ifndef GB_CONTEXT_H
#define GB_CONTEXT_H
#include <stddef.h>
#include <stdint.h>

enum { GB_CONTEXT_ASM = 0, GB_CONTEXT_UCONTEXT = 1 };

/// The entry of a new context: `transfer` is what the first switch to it passed.
typedef void (*gb_context_entry)(void *transfer, void *arg);

typedef struct gb_context {
    void *sp;                 // asm: the saved stack pointer (top of the saved frame)
    void *uc;                 // ucontext: a heap ucontext_t, made by gb_context_make
    void *transfer;           // ucontext: the value the last switch into this context passed
    gb_context_entry entry;   // ucontext: the entry and its argument, for the trampoline
    void *arg;
} gb_context;

/// Selects the back end for contexts made from now on; returns 0, or -1 if unknown.
int gb_context_set_backend(int backend);
int gb_context_backend(void);
/// The name of the assembly back end compiled for this target ("x86_64-sysv", "aarch64").
const char *gb_context_asm_name(void);

/// Prepares `ctx` to start `entry(transfer, arg)` on the stack [stack_lo, stack_lo+size).
/// Returns 0, or -1 when the ucontext could not be allocated.
int gb_context_make(gb_context *ctx, void *stack_lo, size_t size, gb_context_entry entry, void *arg);
/// Frees what gb_context_make allocated (ucontext only).
void gb_context_release(gb_context *ctx);
/// Saves the current context into `from`, resumes `to`; returns the `transfer` of the
/// switch that later resumes `from`.
void *gb_context_switch(gb_context *from, gb_context *to, void *transfer);

#endif
