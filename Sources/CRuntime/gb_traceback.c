// Frames and symbols for tracebacks (see gb_traceback.h; the design is in
// Runtime/Traceback.swift).
#define _GNU_SOURCE
#include "gb_traceback.h"
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
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

typedef char *(*swift_demangle_fn)(const char *, size_t, char *, size_t *, uint32_t);

static void demangle(char *name, size_t cap) {
    size_t len = strlen(name);
    if (!(len > 2 && ((name[0] == '$' && name[1] == 's') || (name[0] == '_' && name[1] == '$' && name[2] == 's'))))
        return;
    static swift_demangle_fn fn = NULL;
    static int looked = 0;
    if (!__atomic_load_n(&looked, __ATOMIC_ACQUIRE)) {
        fn = (swift_demangle_fn)dlsym(RTLD_DEFAULT, "swift_demangle");
        __atomic_store_n(&looked, 1, __ATOMIC_RELEASE);
    }
    if (fn == NULL) return;
    char out[1024];
    size_t size = sizeof out;
    char *r = fn(name, len, out, &size, 0);
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
    n = put(buf, n, cap, object);
    n = put(buf, n, cap, " +0x");
    char hex[20];
    int k = 0;
    do { hex[k++] = "0123456789abcdef"[offset & 15]; offset >>= 4; } while (offset && k < 20);
    while (k > 0 && n + 1 < cap) buf[n++] = hex[--k];
    n = put(buf, n, cap, "\n");
    if (cap) buf[n] = 0;
    return n;
}
