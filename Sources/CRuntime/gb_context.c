// Context creation and the choice of back end (see gb_context.h).
#define _GNU_SOURCE
#include "gb_context.h"
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

extern void *gb_context_switch_asm(void **save_sp, void *load_sp, void *transfer);
extern void gb_context_trampoline_asm(void);

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
    ctx->entry(ctx->transfer, ctx->arg);
    abort(); // an entry never returns
}

int gb_context_make(gb_context *ctx, void *stack_lo, size_t size, gb_context_entry entry, void *arg) {
    ctx->entry = entry;
    ctx->arg = arg;
    ctx->transfer = NULL;
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
    f[6] = 0;                           // rbp: ends the frame-pointer chain
    f[7] = (uint64_t)(uintptr_t)gb_context_trampoline_asm;
    // f[8], f[9]: zero, a null return address above the trampoline for unwinders
    ctx->sp = f;
#elif defined(__aarch64__)
    uint64_t *f = (uint64_t *)(top - 176);
    memset(f, 0, 176);
    f[0] = (uint64_t)(uintptr_t)entry;  // x19
    f[1] = (uint64_t)(uintptr_t)arg;    // x20
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
}

void *gb_context_switch(gb_context *from, gb_context *to, void *transfer) {
    if (to->uc != NULL && to->sp == NULL) {
        // ucontext back end (the target was made by makecontext or saved by swapcontext).
        if (from->uc == NULL) {
            from->uc = malloc(sizeof(ucontext_t));
            if (from->uc == NULL) abort();
        }
        from->sp = NULL;
        to->transfer = transfer;
        swapcontext((ucontext_t *)from->uc, (ucontext_t *)to->uc);
        return from->transfer;
    }
    return gb_context_switch_asm(&from->sp, to->sp, transfer);
}
