// Context switching between goroutine stacks. Swift cannot switch stacks; this is the
// one primitive the scheduler needs: save the callee-saved state of the current context,
// load another's. Two back ends, chosen at run time by gb_context_set_backend:
//   GB_CONTEXT_ASM      hand-written assembly per ABI (gb_context_x86_64_sysv.S,
//                       gb_context_aarch64.S): callee-saved registers and FP control words;
//   GB_CONTEXT_UCONTEXT the portable getcontext/makecontext/swapcontext fallback (it also
//                       saves the signal mask with a system call, so it is slower).
//
// Sanitizers: built with ThreadSanitizer or AddressSanitizer (swift build --sanitize thread
// or address, which compiles this C too), every context is announced to the sanitizer as a
// fiber, since neither follows a hand-made stack switch on its own. TSan: a fiber per made
// context (__tsan_create_fiber in gb_context_make, __tsan_destroy_fiber in
// gb_context_release), the thread's own fiber for any other context, and
// __tsan_switch_to_fiber before every switch (synchronizing: a switch orders what the old
// context did before what the new one does, as on one thread). ASan: the stack bounds of
// every context, passed to __sanitizer_start_switch_fiber before a switch and completed by
// __sanitizer_finish_switch_fiber after it (also at a new context's first instruction); the
// thread's own stack bounds are learnt on its first switch away. Without a sanitizer the
// hooks are not compiled; the fields below exist either way, so that Swift and C agree on
// the struct's size whatever the compiler knows about sanitizers.
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
    // Sanitizer state (used only when this file is compiled with TSan or ASan):
    void *sanitizer_fiber;    // TSan: this context's fiber (made, or the thread's own)
    const void *stack_bottom; // ASan: the lowest address of this context's stack
    size_t stack_bytes;       // ASan: its size in bytes
    struct gb_context *resumed_by; // ASan: the context whose switch last resumed this one
    unsigned sanitizer_flags; // GB_CONTEXT_SANITIZER_* below
} gb_context;

enum {
    GB_CONTEXT_SANITIZER_MADE = 1,     // made by gb_context_make: owns its fiber, bounds known
    GB_CONTEXT_SANITIZER_EXITING = 2,  // the next switch away from it is its last
    GB_CONTEXT_SANITIZER_HIDDEN = 4,   // ASan: its stack is not a LeakSanitizer root now (compacted)
};

/// Selects the back end for contexts made from now on; returns 0, or -1 if unknown.
int gb_context_set_backend(int backend);
int gb_context_backend(void);
/// The name of the assembly back end compiled for this target ("x86_64-sysv", "aarch64").
const char *gb_context_asm_name(void);

/// Prepares `ctx` to start `entry(transfer, arg)` on the stack [stack_lo, stack_lo+size).
/// Returns 0, or -1 when the ucontext could not be allocated.
int gb_context_make(gb_context *ctx, void *stack_lo, size_t size, gb_context_entry entry, void *arg);
/// Frees what gb_context_make allocated (the ucontext; under TSan, the fiber).
void gb_context_release(gb_context *ctx);
/// Says that the next switch away from `ctx` is its last (a goroutine that exits): under
/// ASan its fake stack is then freed instead of kept for a resume that never comes.
/// Costs nothing without a sanitizer. gb_context_make clears it.
void gb_context_mark_exiting(gb_context *ctx);
/// 1 when this C was compiled with ThreadSanitizer, 2 with AddressSanitizer, 0 without:
/// so that a test or a script can tell whether the fiber hooks are in.
int gb_context_sanitizer(void);
/// Saves the current context into `from`, resumes `to`; returns the `transfer` of the
/// switch that later resumes `from`.
void *gb_context_switch(gb_context *from, gb_context *to, void *transfer);

#endif
