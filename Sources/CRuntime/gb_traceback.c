// Frames and symbols for tracebacks (see gb_traceback.h; the design is in
// Runtime/Traceback.swift).
#define _GNU_SOURCE
#include "gb_traceback.h"
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int gb_traceback_level = 1;

int gb_frames_from(uintptr_t pc, uintptr_t fp, uintptr_t lo, uintptr_t hi,
                   uintptr_t *out, int max, int *more) {
    int n = 0;
    *more = 0;
    if (pc != 0) {
        if (n == max) { *more = 1; return n; }
        out[n++] = pc;
    }
    uintptr_t prev = 0;
    while (fp >= lo && fp <= hi - 16 && (fp & 7) == 0 && fp > prev) {
        uintptr_t next = ((const uintptr_t *)fp)[0];
        uintptr_t ret = ((const uintptr_t *)fp)[1];
        if (ret == 0) break;
        if (n == max) { *more = 1; break; }
        out[n++] = ret;
        prev = fp;
        fp = next;
    }
    return n;
}

__attribute__((noinline))
int gb_frames_here(uintptr_t lo, uintptr_t hi, uintptr_t *out, int max, int *more) {
    return gb_frames_from(0, (uintptr_t)__builtin_frame_address(0), lo, hi, out, max, more);
}

int gb_frames_parked(const void *saved_sp, uintptr_t lo, uintptr_t hi,
                     uintptr_t *out, int max, int *more) {
    *more = 0;
    uintptr_t sp = (uintptr_t)saved_sp;
#if defined(__x86_64__)
    // gb_context_x86_64_sysv.S: rbp at +48, the return address at +56.
    if (sp < lo || sp > hi - 64) return 0;
    return gb_frames_from(((const uintptr_t *)sp)[7], ((const uintptr_t *)sp)[6], lo, hi, out, max, more);
#elif defined(__aarch64__)
    // gb_context_aarch64.S: x29 (fp) at +80, x30 (lr) at +88.
    if (sp < lo || sp > hi - 176) return 0;
    return gb_frames_from(((const uintptr_t *)sp)[11], ((const uintptr_t *)sp)[10], lo, hi, out, max, more);
#else
    (void)sp; (void)lo; (void)hi; (void)out; (void)max;
    return 0;
#endif
}

// ---- which object holds an address ----

struct object_query {
    uintptr_t pc;
    uintptr_t bias;
    const char *name;
    int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct object_query *q = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr;
        if (q->pc >= start && q->pc < start + ph->p_memsz) {
            q->bias = info->dlpi_addr;
            q->name = info->dlpi_name;
            q->found = 1;
            return 1;
        }
    }
    return 0;
}

static size_t copy_str(char *dst, size_t cap, const char *src) {
    if (cap == 0) return 0;
    size_t n = 0;
    while (src[n] && n + 1 < cap) { dst[n] = src[n]; n++; }
    dst[n] = 0;
    return n;
}

static int read_full(int fd, void *buf, size_t len, off_t at) {
    char *p = buf;
    while (len > 0) {
        ssize_t r = pread(fd, p, len, at);
        if (r <= 0) return -1;
        p += r; at += r; len -= (size_t)r;
    }
    return 0;
}

// The symbol of `file` whose range holds `addr` (an address of the file, bias removed):
// its name into `name`, its start into *start. Reads .symtab (and its string table) in
// pieces with pread. Returns 1 when found.
static int elf_symbol(const char *file, uintptr_t addr, char *name, size_t cap, uintptr_t *start) {
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int found = 0;
    ElfW(Ehdr) eh;
    if (read_full(fd, &eh, sizeof eh, 0) != 0 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_shentsize != sizeof(ElfW(Shdr))) {
        close(fd);
        return 0;
    }
    ElfW(Shdr) symtab, strtab;
    int have = 0;
    for (int i = 0; i < eh.e_shnum && !have; i++) {
        ElfW(Shdr) sh;
        if (read_full(fd, &sh, sizeof sh, (off_t)(eh.e_shoff + (size_t)i * sizeof sh)) != 0) break;
        if (sh.sh_type != SHT_SYMTAB || sh.sh_entsize != sizeof(ElfW(Sym))) continue;
        if (read_full(fd, &strtab, sizeof strtab, (off_t)(eh.e_shoff + (size_t)sh.sh_link * sizeof sh)) != 0) break;
        symtab = sh;
        have = 1;
    }
    if (have) {
        ElfW(Sym) chunk[64];
        size_t count = symtab.sh_size / sizeof(ElfW(Sym));
        uintptr_t best = 0, best_name = 0;
        int best_sized = 0;
        for (size_t at = 0; at < count; at += 64) {
            size_t k = count - at < 64 ? count - at : 64;
            if (read_full(fd, chunk, k * sizeof(ElfW(Sym)), (off_t)(symtab.sh_offset + at * sizeof(ElfW(Sym)))) != 0) break;
            for (size_t j = 0; j < k; j++) {
                const ElfW(Sym) *s = &chunk[j];
                int type = ELF64_ST_TYPE(s->st_info);
                if ((type != STT_FUNC && type != STT_NOTYPE) || s->st_shndx == SHN_UNDEF || s->st_name == 0) continue;
                if (s->st_value > addr || s->st_value == 0) continue;
                int sized = s->st_size != 0;
                if (sized && addr >= s->st_value + s->st_size) continue;
                // Prefer a function whose size covers addr; else the nearest start below.
                if ((sized && !best_sized) || (sized == best_sized && s->st_value >= best)) {
                    if (type == STT_NOTYPE && best_sized) continue;
                    best = s->st_value;
                    best_name = s->st_name;
                    best_sized = sized;
                }
            }
        }
        if (best_name != 0 && best_name < strtab.sh_size) {
            size_t n = 0;
            off_t off = (off_t)(strtab.sh_offset + best_name);
            while (n + 1 < cap) {
                char piece[128];
                size_t want = sizeof piece;
                if ((size_t)(strtab.sh_size - best_name - n) < want) want = strtab.sh_size - best_name - n;
                if (want == 0) break;
                ssize_t r = pread(fd, piece, want, off + (off_t)n);
                if (r <= 0) break;
                size_t j = 0;
                while (j < (size_t)r && piece[j] && n + 1 < cap) name[n++] = piece[j++];
                if (j < (size_t)r) break;
            }
            name[n] = 0;
            *start = best;
            found = n > 0;
        }
    }
    close(fd);
    return found;
}


// ---- file:line from DWARF .debug_line (versions 2 to 5) ----
//
// The object file is mapped read-only (mmap: no allocation), its .debug_line programs are
// run until a sequence holds the address, and the row before the first one past it
// gives the file and line. Every read is checked against the section's end; anything
// unexpected ends the search with no answer.

struct cursor { const uint8_t *p, *end; int bad; };

static uint64_t rd(struct cursor *c, int n) {
    if (c->bad || c->end - c->p < n) { c->bad = 1; return 0; }
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += n;
    return v;
}

static uint64_t uleb(struct cursor *c) {
    uint64_t v = 0;
    int shift = 0;
    while (!c->bad) {
        if (c->p >= c->end) { c->bad = 1; return 0; }
        uint8_t b = *c->p++;
        if (shift < 64) v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    return v;
}

static int64_t sleb(struct cursor *c) {
    int64_t v = 0;
    int shift = 0;
    uint8_t b = 0;
    while (!c->bad) {
        if (c->p >= c->end) { c->bad = 1; return 0; }
        b = *c->p++;
        if (shift < 64) v |= (int64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
    }
    if (shift < 64 && (b & 0x40)) v |= -((int64_t)1 << shift);
    return v;
}

static const char *cstr(struct cursor *c) {
    const char *s = (const char *)c->p;
    while (c->p < c->end && *c->p) c->p++;
    if (c->p >= c->end) { c->bad = 1; return ""; }
    c->p++;
    return s;
}

struct sections {
    const uint8_t *line, *line_str, *str;
    size_t line_size, line_str_size, str_size;
};

// A string form's value (v5 entry formats); NULL for a form that is not a string.
static const char *form_string(struct cursor *c, uint64_t form, int offset_size, const struct sections *sec) {
    switch (form) {
    case 0x08: return cstr(c); // DW_FORM_string
    case 0x1f: { // DW_FORM_line_strp
        uint64_t off = rd(c, offset_size);
        return off < sec->line_str_size ? (const char *)sec->line_str + off : NULL;
    }
    case 0x0e: { // DW_FORM_strp
        uint64_t off = rd(c, offset_size);
        return off < sec->str_size ? (const char *)sec->str + off : NULL;
    }
    default: return NULL;
    }
}

static uint64_t form_skip_or_value(struct cursor *c, uint64_t form, int offset_size) {
    switch (form) {
    case 0x0b: return rd(c, 1);
    case 0x05: return rd(c, 2);
    case 0x06: return rd(c, 4);
    case 0x07: return rd(c, 8);
    case 0x0f: return uleb(c);
    case 0x1e: c->p += 16; if (c->p > c->end) c->bad = 1; return 0;
    case 0x09: { uint64_t n = uleb(c); if ((uint64_t)(c->end - c->p) < n) c->bad = 1; else c->p += n; return 0; }
    case 0x08: cstr(c); return 0;
    case 0x1f: case 0x0e: rd(c, offset_size); return 0;
    default: c->bad = 1; return 0;
    }
}

static size_t append(char *out, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap) out[at++] = *s++;
    if (cap) out[at] = 0;
    return at;
}

// The path of file `index` of a unit whose tables start at `tables` (after the standard
// opcode lengths).
static void unit_file(struct cursor tables, int version, int offset_size, uint64_t index,
                      const struct sections *sec, char *out, size_t cap) {
    struct cursor *c = &tables;
    if (cap) out[0] = 0;
    if (version >= 5) {
        const char *dirs[64];
        int ndirs = 0;
        uint64_t dformats[16][2];
        int nd = (int)rd(c, 1);
        if (nd > 16) return;
        for (int i = 0; i < nd; i++) { dformats[i][0] = uleb(c); dformats[i][1] = uleb(c); }
        uint64_t dcount = uleb(c);
        for (uint64_t i = 0; i < dcount && !c->bad; i++) {
            const char *path = NULL;
            for (int k = 0; k < nd; k++) {
                if (dformats[k][0] == 1) path = form_string(c, dformats[k][1], offset_size, sec);
                else form_skip_or_value(c, dformats[k][1], offset_size);
            }
            if (ndirs < 64) dirs[ndirs++] = path;
        }
        uint64_t fformats[16][2];
        int nf = (int)rd(c, 1);
        if (nf > 16) return;
        for (int i = 0; i < nf; i++) { fformats[i][0] = uleb(c); fformats[i][1] = uleb(c); }
        uint64_t fcount = uleb(c);
        for (uint64_t i = 0; i < fcount && !c->bad; i++) {
            const char *path = NULL;
            uint64_t dir = 0;
            for (int k = 0; k < nf; k++) {
                if (fformats[k][0] == 1) path = form_string(c, fformats[k][1], offset_size, sec);
                else if (fformats[k][0] == 2) dir = form_skip_or_value(c, fformats[k][1], offset_size);
                else form_skip_or_value(c, fformats[k][1], offset_size);
            }
            if (c->bad || i != index) continue;
            if (path == NULL) return;
            size_t n = 0;
            if (path[0] != '/' && path[0] != '<' && dir < (uint64_t)ndirs && dirs[dir] != NULL) {
                n = append(out, n, cap, dirs[dir]);
                n = append(out, n, cap, "/");
            }
            append(out, n, cap, path);
            return;
        }
        return;
    }
    // Versions 2 to 4: include directories, then file entries (1-based).
    const char *dirs[64];
    int ndirs = 0;
    for (;;) {
        const char *d = cstr(c);
        if (c->bad || d[0] == 0) break;
        if (ndirs < 64) dirs[ndirs++] = d;
    }
    for (uint64_t i = 1; !c->bad; i++) {
        const char *path = cstr(c);
        if (c->bad || path[0] == 0) return;
        uint64_t dir = uleb(c);
        uleb(c); uleb(c);
        if (i != index) continue;
        size_t n = 0;
        if (path[0] != '/' && path[0] != '<' && dir >= 1 && dir <= (uint64_t)ndirs) {
            n = append(out, n, cap, dirs[dir - 1]);
            n = append(out, n, cap, "/");
        }
        append(out, n, cap, path);
        return;
    }
}

// Runs the line programs of .debug_line for `addr`; 1 with the file and line when found.
static int line_lookup(const struct sections *sec, uint64_t addr, char *file, size_t cap, uint64_t *line_out) {
    struct cursor all = { sec->line, sec->line + sec->line_size, 0 };
    while (all.p < all.end && !all.bad) {
        struct cursor c = all;
        int offset_size = 4;
        uint64_t unit_length = rd(&c, 4);
        if (unit_length == 0xffffffffu) { unit_length = rd(&c, 8); offset_size = 8; }
        if (c.bad || unit_length > (uint64_t)(c.end - c.p)) return 0;
        const uint8_t *unit_end = c.p + unit_length;
        all.p = unit_end;
        c.end = unit_end;
        int version = (int)rd(&c, 2);
        if (version < 2 || version > 5) continue;
        int address_size = 8;
        if (version >= 5) { address_size = (int)rd(&c, 1); rd(&c, 1); }
        if (address_size != 8 && address_size != 4) continue;
        uint64_t header_length = rd(&c, offset_size);
        if (c.bad || header_length > (uint64_t)(c.end - c.p)) continue;
        const uint8_t *program = c.p + header_length;
        uint64_t min_inst = rd(&c, 1);
        if (version >= 4) rd(&c, 1); // maximum operations per instruction (VLIW only)
        rd(&c, 1); // default_is_stmt
        int line_base = (int8_t)rd(&c, 1);
        uint64_t line_range = rd(&c, 1);
        uint64_t opcode_base = rd(&c, 1);
        if (c.bad || line_range == 0 || opcode_base == 0) continue;
        const uint8_t *lengths = c.p;
        if ((uint64_t)(c.end - c.p) < opcode_base - 1) continue;
        c.p += opcode_base - 1;
        struct cursor tables = { c.p, program, 0 };

        struct cursor pc = { program, unit_end, 0 };
        uint64_t address = 0, fileno = 1, line = 1;
        uint64_t prev_address = 0, prev_file = 0, prev_line = 0;
        int have_prev = 0;
        while (pc.p < pc.end && !pc.bad) {
            uint8_t op = (uint8_t)rd(&pc, 1);
            int emit = 0, end_seq = 0;
            if (op >= opcode_base) {
                uint64_t adj = op - opcode_base;
                address += (adj / line_range) * min_inst;
                line += (int64_t)line_base + (int64_t)(adj % line_range);
                emit = 1;
            } else if (op == 0) {
                uint64_t len = uleb(&pc);
                if (len == 0 || len > (uint64_t)(pc.end - pc.p)) { pc.bad = 1; break; }
                const uint8_t *next = pc.p + len;
                uint8_t sub = (uint8_t)rd(&pc, 1);
                if (sub == 1) { emit = 1; end_seq = 1; }
                else if (sub == 2) address = rd(&pc, address_size);
                pc.p = next;
            } else {
                switch (op) {
                case 1: emit = 1; break;
                case 2: address += uleb(&pc) * min_inst; break;
                case 3: line += sleb(&pc); break;
                case 4: fileno = uleb(&pc); break;
                case 5: uleb(&pc); break;
                case 8: address += ((255 - opcode_base) / line_range) * min_inst; break;
                case 9: address += rd(&pc, 2); break;
                case 12: uleb(&pc); break;
                case 6: case 7: case 10: case 11: break;
                default:
                    for (int k = 0; k < lengths[op - 1]; k++) uleb(&pc);
                }
            }
            if (!emit) continue;
            if (have_prev && prev_address <= addr && addr < address) {
                unit_file(tables, version, offset_size, prev_file, sec, file, cap);
                *line_out = prev_line;
                return file[0] != 0;
            }
            if (end_seq) {
                have_prev = 0;
                address = 0; fileno = 1; line = 1;
            } else {
                prev_address = address; prev_file = fileno; prev_line = line; have_prev = 1;
            }
        }
    }
    return 0;
}

// file:line of `addr` (an address of the file, bias removed) in the object `path`.
static int dwarf_line(const char *path, uint64_t addr, char *file, size_t cap, uint64_t *line) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(ElfW(Ehdr))) { close(fd); return 0; }
    size_t size = (size_t)st.st_size;
    const uint8_t *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return 0;
    int found = 0;
    const ElfW(Ehdr) *eh = (const void *)map;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_shentsize == sizeof(ElfW(Shdr)) &&
        eh->e_shoff < size && eh->e_shnum * sizeof(ElfW(Shdr)) <= size - eh->e_shoff && eh->e_shstrndx < eh->e_shnum) {
        const ElfW(Shdr) *sh = (const void *)(map + eh->e_shoff);
        const ElfW(Shdr) *names = &sh[eh->e_shstrndx];
        struct sections sec = { 0 };
        for (int i = 0; i < eh->e_shnum; i++) {
            if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset) continue;
            if (names->sh_offset + sh[i].sh_name >= size) continue;
            const char *name = (const char *)map + names->sh_offset + sh[i].sh_name;
            size_t left = size - (names->sh_offset + sh[i].sh_name);
            if (strnlen(name, left) == left) continue;
            if (strcmp(name, ".debug_line") == 0) { sec.line = map + sh[i].sh_offset; sec.line_size = sh[i].sh_size; }
            else if (strcmp(name, ".debug_line_str") == 0) { sec.line_str = map + sh[i].sh_offset; sec.line_str_size = sh[i].sh_size; }
            else if (strcmp(name, ".debug_str") == 0) { sec.str = map + sh[i].sh_offset; sec.str_size = sh[i].sh_size; }
        }
        if (sec.line != NULL) found = line_lookup(&sec, addr, file, cap, line);
        // Strings must stay NUL-terminated inside the mapping: a file name is copied out
        // before it is unmapped (append stops at cap).
    }
    munmap((void *)map, size);
    return found;
}

// The Swift runtime's demangler (libswiftCore exports it; every program that links this
// runtime links libswiftCore). Called directly rather than found with dlsym, which finds
// nothing in a statically linked program (the NUMA guests' gobench).
extern char *swift_demangle(const char *mangled, size_t length, char *output, size_t *output_size,
                            uint32_t flags);

static void demangle(char *name, size_t cap) {
    size_t len = strlen(name);
    if (!(len > 2 && ((name[0] == '$' && name[1] == 's') || (name[0] == '_' && name[1] == '$' && name[2] == 's'))))
        return;
    char out[1024];
    size_t size = sizeof out;
    char *r = swift_demangle(name, len, out, &size, 0);
    if (r == NULL) return;
    out[sizeof out - 1] = 0;
    copy_str(name, cap, out);
}

int gb_symbolize(uintptr_t pc, char *name, size_t name_cap, uintptr_t *offset,
                 char *object, size_t object_cap) {
    copy_str(name, name_cap, "?");
    if (object_cap) object[0] = 0;
    *offset = 0;
    struct object_query q = { pc, 0, NULL, 0 };
    dl_iterate_phdr(find_object, &q);
    const char *file = q.found && q.name && q.name[0] ? q.name : "/proc/self/exe";
    if (q.found && q.name && q.name[0]) copy_str(object, object_cap, q.name);
    else {
        ssize_t r = readlink("/proc/self/exe", object, object_cap > 0 ? object_cap - 1 : 0);
        if (r > 0) object[r] = 0;
        else copy_str(object, object_cap, "/proc/self/exe");
    }
    uintptr_t start = 0;
    // pc is a return address: the call is the byte before it.
    if (q.found && elf_symbol(file, pc - 1 - q.bias, name, name_cap, &start)) {
        *offset = pc - (start + q.bias);
        demangle(name, name_cap);
        return 1;
    }
    Dl_info info;
    if (dladdr((void *)(pc - 1), &info) != 0 && info.dli_sname != NULL) {
        copy_str(name, name_cap, info.dli_sname);
        *offset = pc - (uintptr_t)info.dli_saddr;
        if (info.dli_fname && info.dli_fname[0]) copy_str(object, object_cap, info.dli_fname);
        demangle(name, name_cap);
        return 1;
    }
    return 0;
}

int gb_source_line(uintptr_t pc, char *file, size_t cap, uint64_t *line) {
    if (cap) file[0] = 0;
    *line = 0;
    struct object_query q = { pc, 0, NULL, 0 };
    dl_iterate_phdr(find_object, &q);
    if (!q.found) return 0;
    const char *path = q.name && q.name[0] ? q.name : "/proc/self/exe";
    return dwarf_line(path, pc - 1 - q.bias, file, cap, line);
}

static size_t put(char *buf, size_t at, size_t cap, const char *s) {
    while (*s && at + 1 < cap) buf[at++] = *s++;
    return at;
}

size_t gb_format_frame(uintptr_t pc, char *buf, size_t cap) {
    char name[1024], object[512];
    uintptr_t offset;
    gb_symbolize(pc, name, sizeof name, &offset, object, sizeof object);
    size_t n = 0;
    n = put(buf, n, cap, name);
    // Go prints the arguments in parentheses; a Swift name carries its signature.
    if (strchr(name, '(') == NULL) n = put(buf, n, cap, "(...)");
    n = put(buf, n, cap, "\n\t");
    char source[512];
    uint64_t line = 0;
    if (gb_source_line(pc, source, sizeof source, &line)) {
        n = put(buf, n, cap, source);
        char dec[24];
        int d = 0;
        do { dec[d++] = (char)('0' + line % 10); line /= 10; } while (line && d < 24);
        if (n + 1 < cap) buf[n++] = ':';
        while (d > 0 && n + 1 < cap) buf[n++] = dec[--d];
    } else {
        n = put(buf, n, cap, object);
    }
    n = put(buf, n, cap, " +0x");
    char hex[20];
    int k = 0;
    do { hex[k++] = "0123456789abcdef"[offset & 15]; offset >>= 4; } while (offset && k < 20);
    while (k > 0 && n + 1 < cap) buf[n++] = hex[--k];
    n = put(buf, n, cap, "\n");
    if (cap) buf[n] = 0;
    return n;
}
