// Frames and symbols for Go-style tracebacks (Runtime/Traceback.swift has the design).
//
// Frames are walked along the frame-pointer chain: each frame record is [saved fp,
// return address] at the frame pointer (x86-64 rbp, AArch64 x29). This C is built with
// -fno-omit-frame-pointer and Swift keeps frame pointers on Linux. The walk never leaves
// the stack it was given ([lo, hi)), needs each record above the last and aligned, and
// stops at a null return address: a broken chain ends the traceback, never faults.
//
// Lines come from the DWARF line table (gb_source_line). Symbols come from the ELF symbol table (.symtab) of the object holding the address,
// read with pread from its file (no allocation: the stack-overflow handler calls it on
// the signal stack), then the dynamic symbols (dladdr); Swift names are demangled with
// the Swift runtime's swift_demangle, found with dlsym.
#ifndef GB_TRACEBACK_H
#define GB_TRACEBACK_H
#include <stddef.h>
#include <stdint.h>

/// Return addresses along the frame-pointer chain that starts at `fp`, with `pc` first
/// when it is not 0. Only records inside [lo, hi) are followed. Returns the count
/// written (at most `max`); `*more` is set to 1 when the chain went on past `max`.
int gb_frames_from(uintptr_t pc, uintptr_t fp, uintptr_t lo, uintptr_t hi,
                   uintptr_t *out, int max, int *more);
/// The caller's own frames (frame 0 is the function that called gb_frames_here),
/// within [lo, hi).
int gb_frames_here(uintptr_t lo, uintptr_t hi, uintptr_t *out, int max, int *more);
/// The frames of a context parked by gb_context_switch_asm: `saved_sp` is the saved
/// stack pointer (gb_context.sp). Returns 0 on targets whose saved frame is unknown.
int gb_frames_parked(const void *saved_sp, uintptr_t lo, uintptr_t hi,
                     uintptr_t *out, int max, int *more);

/// The function holding the return address `pc`: its name (demangled when it is a Swift
/// name; "?" when unknown) in `name`, the offset of `pc` in it in `*offset`, and the
/// object file's path in `object` (at most `object_cap` bytes). Returns 1 when a symbol
/// was found, 0 otherwise.
int gb_symbolize(uintptr_t pc, char *name, size_t name_cap, uintptr_t *offset,
                 char *object, size_t object_cap);

/// The source file and line of the call before the return address `pc`, from the
/// DWARF line table (.debug_line) of the object holding it. Returns 1 when found.
int gb_source_line(uintptr_t pc, char *file, size_t cap, uint64_t *line);

/// One frame as Go prints it, "NAME\n\tFILE:LINE +0xOFF\n" (OBJECT for FILE:LINE when the
/// object has no line table), into buf; returns the length.
size_t gb_format_frame(uintptr_t pc, char *buf, size_t cap);

/// GOTRACEBACK's level for the overflow handler (0 none, 1 single, 2 all, 3 system).
extern int gb_traceback_level;

#endif
