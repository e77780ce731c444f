// x86-64 System V context switch.
//
//   void *gb_context_switch_asm(void **save_sp /*rdi*/, void *load_sp /*rsi*/, void *transfer /*rdx*/)
//
// The saved frame, from the saved stack pointer upwards:
//
//   offset  contents
//   +0      MXCSR (4 bytes) | x87 control word (2 bytes) | pad
//   +8      r15
//   +16     r14
//   +24     r13
//   +32     r12
//   +40     rbx
//   +48     rbp
//   +56     return address
//
// These are all the registers the ABI makes callee-saved, plus the FP control words
// (also callee-saved by the ABI). Everything else is caller-saved, so a call boundary
// is the whole switch. `transfer` comes back in rax on the resumed side.
#if defined(__x86_64__)
    .text
    .globl gb_context_switch_asm
    .type gb_context_switch_asm,@function
    .p2align 4
gb_context_switch_asm:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    movq %rdx, %rax
    ret
    .cfi_endproc
    .size gb_context_switch_asm,.-gb_context_switch_asm

// The first return of a new context lands here: r12 = entry, r13 = arg, rax = transfer.
// The stack pointer is 16-byte aligned, so the call below gives the entry the ABI's
// alignment. The entry never returns.
    .globl gb_context_trampoline_asm
    .type gb_context_trampoline_asm,@function
    .p2align 4
gb_context_trampoline_asm:
    .cfi_startproc
    .cfi_undefined rip
    movq %rax, %rdi
    movq %r13, %rsi
    callq *%r12
    ud2
    .cfi_endproc
    .size gb_context_trampoline_asm,.-gb_context_trampoline_asm
#endif
    .section .note.GNU-stack,"",@progbits
