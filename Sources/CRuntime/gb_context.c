// Context creation and the choice of back end (see gb_context.h).
#define _GNU_SOURCE
#include "gb_context.h"
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

extern void *gb_context_switch_asm(void **save_sp, void *load_sp, void *transfer);
extern void gb_context_trampoline_asm(void);

// ---- Sanitizer hooks (see gb_context.h): compiled only under TSan or ASan ----

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GB_TSAN 1
#endif
#if __has_feature(address_sanitizer)
#define GB_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) && !defined(GB_TSAN)
#define GB_TSAN 1
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(GB_ASAN)
#define GB_ASAN 1
#endif

#if defined(GB_TSAN)
#include <sanitizer/tsan_interface.h>
#endif
#if defined(GB_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif

int gb_context_sanitizer(void) {
#if defined(GB_TSAN)
    return 1;
#elif defined(GB_ASAN)
    return 2;
#else
    return 0;
#endif
}

void gb_context_mark_exiting(gb_context *ctx) {
    ctx->sanitizer_flags |= GB_CONTEXT_SANITIZER_EXITING;
}

#if defined(GB_ASAN)
// Completes an ASan fiber switch on the side that was switched to: restores this
// context's fake stack (NULL for a new context) and, when the context that switched to
// us was not made by gb_context_make (a thread's own context, g0), learns its stack
// bounds from what ASan knew of the stack we came from, for the switch back to it.
// `self` is the resumed context; its resumed_by was set by the switch that resumed it
// (a field, not a thread-local: a context may resume on another thread, and a
// thread-local's address computed before the switch would be the old thread's).
static void asan_finish_switch(gb_context *self, void *fake_stack) {
    const void *old_bottom = NULL;
    size_t old_bytes = 0;
    __sanitizer_finish_switch_fiber(fake_stack, &old_bottom, &old_bytes);
    gb_context *from = self->resumed_by;
    self->resumed_by = NULL;
    if (from != NULL && !(from->sanitizer_flags & GB_CONTEXT_SANITIZER_MADE)) {
        from->stack_bottom = old_bottom;
        from->stack_bytes = old_bytes;
    }
}
#endif

#if defined(GB_TSAN) || defined(GB_ASAN)
// Under a sanitizer the assembly back end's trampoline calls this instead of the entry,
// so that the new context's first act is to finish the switch that started it.
static void sanitizer_context_entry(void *transfer, void *p) {
    gb_context *ctx = (gb_context *)p;
#if defined(GB_ASAN)
    asan_finish_switch(ctx, NULL);
#endif
    ctx->entry(transfer, ctx->arg);
    abort(); // an entry never returns
}
#endif

static int backend = GB_CONTEXT_ASM;

int gb_context_set_backend(int b) {
    if (b != GB_CONTEXT_ASM && b != GB_CONTEXT_UCONTEXT) return -1;
    backend = b;
    return 0;
}

int gb_context_backend(void) { return backend; }

const char *gb_context_asm_name(void) {
#if defined(__x86_64__)
    return "x86_64-sysv";
#elif defined(__aarch64__)
    return "aarch64";
#else
    return "none";
#endif
}

// makecontext passes int arguments only: the context pointer travels as two halves.
static void ucontext_trampoline(unsigned int hi, unsigned int lo) {
    gb_context *ctx = (gb_context *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
#if defined(GB_ASAN)
    asan_finish_switch(ctx, NULL);
#endif
    ctx->entry(ctx->transfer, ctx->arg);
    abort(); // an entry never returns
}

int gb_context_make(gb_context *ctx, void *stack_lo, size_t size, gb_context_entry entry, void *arg) {
    ctx->entry = entry;
    ctx->arg = arg;
    ctx->transfer = NULL;
#if defined(GB_TSAN)
    // A context made again without a release in between (a reused goroutine) gets a
    // fresh fiber: TSan's history of the old one must not leak into the new one.
    if ((ctx->sanitizer_flags & GB_CONTEXT_SANITIZER_MADE) && ctx->sanitizer_fiber != NULL)
        __tsan_destroy_fiber(ctx->sanitizer_fiber);
    ctx->sanitizer_fiber = __tsan_create_fiber(0);
    __tsan_set_fiber_name(ctx->sanitizer_fiber, "goroutine");
#endif
#if defined(GB_ASAN)
    // A goroutine that exited never returned from its frames, so their redzones are
    // still poisoned; a stack reused by a new goroutine starts clean.
    __asan_unpoison_memory_region(stack_lo, size);
    ctx->resumed_by = NULL;
    // LeakSanitizer scans thread stacks for pointers but knows nothing of goroutine
    // stacks: what only a parked goroutine's frames hold would be reported as leaked.
    if ((ctx->sanitizer_flags & (GB_CONTEXT_SANITIZER_MADE | GB_CONTEXT_SANITIZER_HIDDEN)) == GB_CONTEXT_SANITIZER_MADE)
        __lsan_unregister_root_region(ctx->stack_bottom, ctx->stack_bytes);
    __lsan_register_root_region(stack_lo, size);
#endif
#if defined(GB_TSAN) || defined(GB_ASAN)
    ctx->stack_bottom = stack_lo;
    ctx->stack_bytes = size;
    ctx->sanitizer_flags = GB_CONTEXT_SANITIZER_MADE;
#endif
    if (backend == GB_CONTEXT_UCONTEXT) {
        ucontext_t *uc = ctx->uc;
        if (uc == NULL) {
            uc = malloc(sizeof(ucontext_t));
            if (uc == NULL) return -1;
            ctx->uc = uc;
        }
        getcontext(uc);
        uc->uc_stack.ss_sp = stack_lo;
        uc->uc_stack.ss_size = size;
        uc->uc_link = NULL;
        uintptr_t p = (uintptr_t)ctx;
        makecontext(uc, (void (*)(void))ucontext_trampoline, 2, (unsigned int)(p >> 32), (unsigned int)(p & 0xffffffffu));
        ctx->sp = NULL;
        return 0;
    }
    uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
#if defined(__x86_64__)
    // See the frame table in gb_context_x86_64_sysv.S. After `ret` into the trampoline
    // the stack pointer is top-16: 16-byte aligned, as a call site needs.
    uint64_t *f = (uint64_t *)(top - 80);
    memset(f, 0, 80);
    uint32_t mxcsr = 0x1F80;      // default MXCSR: all exceptions masked, round to nearest
    uint16_t fpcw = 0x037F;       // default x87 control word
    memcpy((char *)f, &mxcsr, 4);
    memcpy((char *)f + 4, &fpcw, 2);
    f[3] = (uint64_t)(uintptr_t)arg;    // r13
    f[4] = (uint64_t)(uintptr_t)entry;  // r12
#if defined(GB_TSAN) || defined(GB_ASAN)
    f[3] = (uint64_t)(uintptr_t)ctx;
    f[4] = (uint64_t)(uintptr_t)sanitizer_context_entry;
#endif
    f[6] = 0;                           // rbp: ends the frame-pointer chain
    f[7] = (uint64_t)(uintptr_t)gb_context_trampoline_asm;
    // f[8], f[9]: zero, a null return address above the trampoline for unwinders
    ctx->sp = f;
#elif defined(__aarch64__)
    uint64_t *f = (uint64_t *)(top - 176);
    memset(f, 0, 176);
    f[0] = (uint64_t)(uintptr_t)entry;  // x19
    f[1] = (uint64_t)(uintptr_t)arg;    // x20
#if defined(GB_TSAN) || defined(GB_ASAN)
    f[0] = (uint64_t)(uintptr_t)sanitizer_context_entry;
    f[1] = (uint64_t)(uintptr_t)ctx;
#endif
    f[10] = 0;                          // x29
    f[11] = (uint64_t)(uintptr_t)gb_context_trampoline_asm; // x30
    ctx->sp = f;
#else
    return -1;
#endif
    return 0;
}

void gb_context_release(gb_context *ctx) {
    free(ctx->uc);
    ctx->uc = NULL;
#if defined(GB_TSAN)
    // Released from another context (the scheduler's, after the goroutine exited): the
    // fiber is not the running one.
    if ((ctx->sanitizer_flags & GB_CONTEXT_SANITIZER_MADE) && ctx->sanitizer_fiber != NULL
        && ctx->sanitizer_fiber != __tsan_get_current_fiber())
        __tsan_destroy_fiber(ctx->sanitizer_fiber);
    ctx->sanitizer_fiber = NULL;
#endif
#if defined(GB_ASAN)
    if ((ctx->sanitizer_flags & (GB_CONTEXT_SANITIZER_MADE | GB_CONTEXT_SANITIZER_HIDDEN)) == GB_CONTEXT_SANITIZER_MADE)
        __lsan_unregister_root_region(ctx->stack_bottom, ctx->stack_bytes);
#endif
#if defined(GB_TSAN) || defined(GB_ASAN)
    ctx->sanitizer_flags &= ~(unsigned)(GB_CONTEXT_SANITIZER_MADE | GB_CONTEXT_SANITIZER_HIDDEN);
#endif
}

void *gb_context_switch(gb_context *from, gb_context *to, void *transfer) {
#if defined(GB_TSAN)
    // A context not made here is the thread's own (g0): its fiber is the thread's, which
    // is whatever runs now (refreshed every time, as an M's g0 may be on a new thread
    // for a new runtime).
    if (!(from->sanitizer_flags & GB_CONTEXT_SANITIZER_MADE))
        from->sanitizer_fiber = __tsan_get_current_fiber();
    if (to->sanitizer_fiber == NULL) {
        static const char message[] = "gb_context_switch: TSan: switch to a context with no fiber\n";
        (void)!write(2, message, sizeof message - 1);
        abort();
    }
    __tsan_switch_to_fiber(to->sanitizer_fiber, 0);
#endif
#if defined(GB_ASAN)
    void *fake_stack = NULL;
    int exiting = (from->sanitizer_flags & GB_CONTEXT_SANITIZER_EXITING) != 0;
    to->resumed_by = from;
    // NULL for a context that never resumes: ASan frees its fake stack now.
    __sanitizer_start_switch_fiber(exiting ? NULL : &fake_stack, to->stack_bottom, to->stack_bytes);
#endif
    void *result;
    if (to->uc != NULL && to->sp == NULL) {
        // ucontext back end (the target was made by makecontext or saved by swapcontext).
        if (from->uc == NULL) {
            from->uc = malloc(sizeof(ucontext_t));
            if (from->uc == NULL) abort();
#if defined(GB_ASAN)
            // ASan's swapcontext interceptor reads uc_stack of the context it resumes,
            // which swapcontext does not fill in: start from zero, not from garbage.
            memset(from->uc, 0, sizeof(ucontext_t));
#endif
        }
        from->sp = NULL;
        to->transfer = transfer;
        swapcontext((ucontext_t *)from->uc, (ucontext_t *)to->uc);
        result = from->transfer;
    } else {
        result = gb_context_switch_asm(&from->sp, to->sp, transfer);
    }
#if defined(GB_ASAN)
    asan_finish_switch(from, fake_stack);
#endif
    return result;
}
