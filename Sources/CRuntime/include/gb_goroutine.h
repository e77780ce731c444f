// The part of a goroutine that C and assembly read and write through a pointer: its saved
// context, the record the overflow handler reads, and the preemption flag. One block, two
// cache lines, aligned to a line, instead of three separate heap cells: the M that runs
// the goroutine touches all of it, and nothing else (the Swift object holds what the
// spawning M writes; see Goroutine.swift, "Layout").
#ifndef GB_GOROUTINE_H
#define GB_GOROUTINE_H
#include <stdint.h>
#include "gb_context.h"
#include "gb_stack.h"

typedef struct gb_goroutine_side {
    gb_context context;      // offset 0: what a switch saves and loads
    gb_stack_record record;  // what gb_current_stack points at while the G runs
    uint32_t preempt;        // relaxed atomic word: yield at the next preemption point
    uint32_t pad;            // (to 128 bytes: the runtime allocates it aligned to 64;
                             // Swift imports no over-aligned C struct, so no attribute)
} gb_goroutine_side;

_Static_assert(sizeof(gb_goroutine_side) == 128, "the side block is two cache lines");

/// The parts of a side block (for Swift, which has no address-of for a field).
static inline gb_context *gb_goroutine_context(gb_goroutine_side *s) { return &s->context; }
static inline gb_stack_record *gb_goroutine_record(gb_goroutine_side *s) { return &s->record; }

/// Asks for the cache line at `p` ahead of a write to it (a G about to be used: its
/// first line is then on its way while the current one is set up). A hint only.
static inline void gb_prefetch_write(const void *p) { __builtin_prefetch(p, 1, 3); }
/// The same ahead of a read.
static inline void gb_prefetch_read(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
