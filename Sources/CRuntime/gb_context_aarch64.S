// AArch64 (AAPCS64) context switch, compiled when targeting aarch64.
//
//   void *gb_context_switch_asm(void **save_sp /*x0*/, void *load_sp /*x1*/, void *transfer /*x2*/)
//
// The saved frame (176 bytes), from the saved stack pointer upwards:
//
//   offset  contents          offset  contents
//   +0      x19, x20          +96     d8, d9
//   +16     x21, x22          +112    d10, d11
//   +32     x23, x24          +128    d12, d13
//   +48     x25, x26          +144    d14, d15
//   +64     x27, x28          +160    fpcr, pad
//   +80     x29 (fp), x30 (lr)
//
// x19-x29, the low halves of v8-v15 and FPCR are callee-saved; `transfer` comes back in x0.
#if defined(__aarch64__)
    .text
    .globl gb_context_switch_asm
    .type gb_context_switch_asm,%function
    .p2align 4
gb_context_switch_asm:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    mov x0, x2
    ret

// First return of a new context: x19 = entry, x20 = arg, x0 = transfer.
    .globl gb_context_trampoline_asm
    .type gb_context_trampoline_asm,%function
    .p2align 4
gb_context_trampoline_asm:
    mov x1, x20
    blr x19
    brk #0
#endif
    .section .note.GNU-stack,"",%progbits
