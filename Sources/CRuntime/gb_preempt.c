// Asynchronous preemption and untracked blocking, the signal side (see gb_preempt.h and
// Runtime/Preemption.swift). Everything the handler calls is async-signal-safe: loads
// and stores, getpid, and the Swift callback, which uses atomics and futexes only.
#define _GNU_SOURCE
#include "gb_preempt.h"
#include "gb_stack.h"
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

// si_value of the runtime's own SIGURG: this tag in the top 16 bits, the P's id plus one
// in bits 36-47, the kind in bits 32-35, sysmon's view of the P's schedule tick in the
// low 32.
#define GB_PREEMPT_TAG 0x6762ULL  /* "gb" */

static gb_preempt_callback preempt_callback = NULL;
static struct sigaction previous_action;
static __thread gb_preempt_record *thread_record = NULL;
static __thread uint64_t thread_base_mask = 0;
static uint64_t refusals[5];
static uint64_t handled = 0;

// Where a goroutine may be stopped: inside the Swift code of the program, and nowhere
// else. The executable segments of the main program (not its shared libraries) bound the
// search; inside them, only functions whose symbol is a Swift one (mangled `$s...`) and a
// few leaf C functions of this runtime qualify. Everything else linked into the program
// (a sanitizer's runtime and its malloc, a static libc, the Swift runtime's C++, other C
// code) may hold a lock that sysmon needs to finish the hand-off (malloc's, for one), and
// a thread that sleeps in the handler while holding it would never get its P back.
// The table is built once from the program's symbol table (.symtab of /proc/self/exe),
// on sysmon's thread as it starts (and in any case before a signal is sent); the handler
// only reads it. A program without a symbol table (stripped) has no table, and
// the handler refuses every asynchronous preemption outside a system call.
static uintptr_t text_lo[8], text_hi[8];
static int text_count = 0;
static uintptr_t load_bias = 0;

// Sorted, disjoint [lo, hi) ranges of preemptible code, published with a release store
// of preemptible_state (0 not built, 1 building, 2 ready, 3 no table).
static uintptr_t *preemptible_lo = NULL, *preemptible_hi = NULL;
static size_t preemptible_count = 0;
static int preemptible_state = 0;

static int find_program_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size; (void)data;
    // The first object is the program itself.
    load_bias = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum && text_count < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            text_lo[text_count] = info->dlpi_addr + ph->p_vaddr;
            text_hi[text_count] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
            text_count++;
        }
    }
    return 1; // stop after the program
}

static pthread_once_t program_text_once = PTHREAD_ONCE_INIT;
static void read_program_text(void) { dl_iterate_phdr(find_program_text, NULL); }

static int in_program_text(uintptr_t pc) {
    for (int i = 0; i < text_count; i++)
        if (pc >= text_lo[i] && pc < text_hi[i]) return 1;
    return 0;
}

// C functions of this runtime that user code calls in loops, take no lock and call
// nothing that does (a vDSO clock read, a pause instruction, atomic helpers).
static const char *const preemptible_c_functions[] = { "gb_nanotime", "gb_cpu_relax", NULL };
// gb_atomic.h's static inline helpers, where the compiler emits a copy out of line.
static const char *const preemptible_c_prefixes[] = {
    "gb_load_", "gb_store_", "gb_exchange_", "gb_cas_", "gb_add_", "gb_sub_", NULL,
};

int gb_preemptible_symbol(const char *name) {
    if (name[0] == '$' && name[1] == 's') return 1;
    if (name[0] == '_' && name[1] == '$' && name[2] == 's') return 1;
    for (int i = 0; preemptible_c_functions[i] != NULL; i++)
        if (strcmp(name, preemptible_c_functions[i]) == 0) return 1;
    for (int i = 0; preemptible_c_prefixes[i] != NULL; i++)
        if (strncmp(name, preemptible_c_prefixes[i], strlen(preemptible_c_prefixes[i])) == 0) return 1;
    return 0;
}

typedef struct { uintptr_t lo, hi; int allowed; } function_range;

static int compare_ranges(const void *a, const void *b) {
    const function_range *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    // At one address, a refused symbol first: an alias that is refused wins.
    return x->allowed - y->allowed;
}

// Reads the functions of the program's .symtab; 0 when it has none (or on any error).
static size_t read_function_ranges(function_range **out) {
    *out = NULL;
    int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(ElfW(Ehdr))) { close(fd); return 0; }
    size_t length = (size_t)st.st_size;
    const unsigned char *file = mmap(NULL, length, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (file == MAP_FAILED) return 0;
    size_t count = 0;
    const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)file;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_shentsize != sizeof(ElfW(Shdr))
        || eh->e_shoff == 0 || eh->e_shoff > length
        || (size_t)eh->e_shnum * sizeof(ElfW(Shdr)) > length - eh->e_shoff) goto done;
    const ElfW(Shdr) *sections = (const ElfW(Shdr) *)(file + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        const ElfW(Shdr) *symtab = &sections[i];
        if (symtab->sh_type != SHT_SYMTAB || symtab->sh_link >= eh->e_shnum) continue;
        const ElfW(Shdr) *strtab = &sections[symtab->sh_link];
        if (symtab->sh_offset > length || symtab->sh_size > length - symtab->sh_offset
            || strtab->sh_offset > length || strtab->sh_size > length - strtab->sh_offset
            || symtab->sh_entsize != sizeof(ElfW(Sym))) continue;
        const ElfW(Sym) *symbols = (const ElfW(Sym) *)(file + symtab->sh_offset);
        size_t n = symtab->sh_size / sizeof(ElfW(Sym));
        const char *names = (const char *)(file + strtab->sh_offset);
        function_range *ranges = malloc(n * sizeof *ranges);
        if (ranges == NULL) goto done;
        for (size_t k = 0; k < n; k++) {
            const ElfW(Sym) *sym = &symbols[k];
            int type = ELF64_ST_TYPE(sym->st_info);
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym->st_shndx == SHN_UNDEF
                || sym->st_size == 0 || sym->st_name >= strtab->sh_size) continue;
            const char *name = names + sym->st_name;
            if (memchr(name, 0, strtab->sh_size - sym->st_name) == NULL) continue;
            ranges[count].lo = load_bias + sym->st_value;
            ranges[count].hi = load_bias + sym->st_value + sym->st_size;
            ranges[count].allowed = gb_preemptible_symbol(name);
            count++;
        }
        *out = ranges;
        break;
    }
done:
    munmap((void *)file, length);
    return count;
}

static void build_preemptible_table(void) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&preemptible_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return;
    pthread_once(&program_text_once, read_program_text);
    function_range *ranges;
    size_t n = read_function_ranges(&ranges);
    if (n == 0) {
        free(ranges);
        __atomic_store_n(&preemptible_state, 3, __ATOMIC_RELEASE);
        return;
    }
    qsort(ranges, n, sizeof *ranges, compare_ranges);
    // One range per preemptible function, joined with the next where they touch; a
    // refused function that overlaps one (an alias, a nested symbol) cuts it.
    uintptr_t *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    if (lo == NULL || hi == NULL) {
        free(lo); free(hi); free(ranges);
        __atomic_store_n(&preemptible_state, 3, __ATOMIC_RELEASE);
        return;
    }
    size_t m = 0;
    int open_run = 0;
    uintptr_t refused_until = 0; // end of the last refused function seen
    for (size_t i = 0; i < n; i++) {
        if (!ranges[i].allowed) {
            if (ranges[i].hi > refused_until) refused_until = ranges[i].hi;
            if (open_run && ranges[i].lo < hi[m - 1]) hi[m - 1] = ranges[i].lo; // overlap: cut
            open_run = 0;
            continue;
        }
        uintptr_t start = ranges[i].lo > refused_until ? ranges[i].lo : refused_until;
        if (start >= ranges[i].hi) continue; // inside a refused function
        if (open_run && start <= hi[m - 1]) {
            if (ranges[i].hi > hi[m - 1]) hi[m - 1] = ranges[i].hi;
        } else {
            lo[m] = start; hi[m] = ranges[i].hi; m++;
            open_run = 1;
        }
    }
    free(ranges);
    preemptible_lo = lo;
    preemptible_hi = hi;
    preemptible_count = m;
    __atomic_store_n(&preemptible_state, 2, __ATOMIC_RELEASE);
}

void gb_preempt_prepare(void) {
    if (__atomic_load_n(&preemptible_state, __ATOMIC_ACQUIRE) == 0) build_preemptible_table();
    // Another thread builds it (a few ms, once per process): wait until it is published.
    while (__atomic_load_n(&preemptible_state, __ATOMIC_ACQUIRE) == 1) {
        struct timespec pause = { 0, 100000 };
        nanosleep(&pause, NULL);
    }
}

int gb_preemptible_pc(uintptr_t pc) {
    if (__atomic_load_n(&preemptible_state, __ATOMIC_ACQUIRE) != 2 || !in_program_text(pc)) return 0;
    size_t a = 0, b = preemptible_count;
    while (a < b) { // the first range whose end is past pc
        size_t mid = a + (b - a) / 2;
        if (preemptible_hi[mid] <= pc) a = mid + 1; else b = mid;
    }
    return a < preemptible_count && pc >= preemptible_lo[a];
}

size_t gb_preemptible_ranges(void) {
    return __atomic_load_n(&preemptible_state, __ATOMIC_ACQUIRE) == 2 ? preemptible_count : 0;
}

// True when the interrupted instruction is, or follows, a system call instruction: the
// kernel rewinds the PC to it when the call restarts (SA_RESTART), and leaves it just
// after it when the call fails with EINTR. Bytes are read only inside the PC's page.
static int at_syscall(uintptr_t pc) {
#if defined(__x86_64__)
    const unsigned char *p = (const unsigned char *)pc;
    if ((pc & 4095) <= 4094 && p[0] == 0x0f && p[1] == 0x05) return 1;
    if ((pc & 4095) >= 2 && p[-2] == 0x0f && p[-1] == 0x05) return 1;
    return 0;
#elif defined(__aarch64__)
    const uint32_t *p = (const uint32_t *)pc;
    if ((pc & 3) != 0) return 0;
    if (p[0] == 0xd4000001u) return 1;
    if ((pc & 4095) >= 4 && p[-1] == 0xd4000001u) return 1;
    return 0;
#else
    (void)pc;
    return 0;
#endif
}

static void context_pc_sp(void *uctx, uintptr_t *pc, uintptr_t *sp) {
    ucontext_t *uc = (ucontext_t *)uctx;
#if defined(__x86_64__)
    *pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    *sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    *pc = (uintptr_t)uc->uc_mcontext.pc;
    *sp = (uintptr_t)uc->uc_mcontext.sp;
#else
    *pc = 0; *sp = 0;
#endif
}

static void refuse(int reason) { __atomic_add_fetch(&refusals[reason], 1, __ATOMIC_RELAXED); }

static void chain(int sig, siginfo_t *info, void *uctx) {
    if (previous_action.sa_flags & SA_SIGINFO) {
        if (previous_action.sa_sigaction != NULL) previous_action.sa_sigaction(sig, info, uctx);
    } else if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
    }
    // SIG_DFL for SIGURG is to ignore it.
}

static void preempt_handler(int sig, siginfo_t *info, void *uctx) {
    uint64_t value = (uint64_t)(uintptr_t)info->si_value.sival_ptr;
    if (info->si_code != SI_QUEUE || info->si_pid != getpid() || (value >> 48) != GB_PREEMPT_TAG) {
        chain(sig, info, uctx);
        return;
    }
    int saved_errno = errno;
    __atomic_add_fetch(&handled, 1, __ATOMIC_RELAXED);
    uint32_t kind = (uint32_t)((value >> 32) & 0xf);
    uint32_t processor = (uint32_t)((value >> 36) & 0xfff);
    uint32_t tick = (uint32_t)value;
    gb_preempt_record *r = thread_record;
    ucontext_t *uc = (ucontext_t *)uctx;
    uint64_t mask;
    memcpy(&mask, &uc->uc_sigmask, sizeof mask);
    uintptr_t pc, sp;
    context_pc_sp(uctx, &pc, &sp);
    gb_stack_record *stack = gb_current_stack;
    if (r == NULL || __atomic_load_n(&r->user, __ATOMIC_RELAXED) == 0) {
        refuse(0);
    } else if ((mask & ~thread_base_mask) != 0) {
        refuse(1); // the interrupted code blocks signals the thread does not: a handler
    } else if (stack == NULL || sp < stack->lo || sp >= stack->hi) {
        refuse(2);
    } else {
        int in_syscall = at_syscall(pc);
        if (!in_syscall && !gb_preemptible_pc(pc)) {
            refuse(3);
        } else if (preempt_callback == NULL || preempt_callback(kind, processor, tick, in_syscall) == 0) {
            refuse(4);
        }
    }
    errno = saved_errno;
}

uint32_t gb_runtime_enter(void) {
    gb_preempt_record *r = thread_record;
    return r == NULL ? 0 : gb_preempt_enter(r);
}

void gb_runtime_leave(uint32_t saved) {
    gb_preempt_record *r = thread_record;
    if (r != NULL) gb_preempt_leave(r, saved);
}

void gb_preempt_install(gb_preempt_callback callback) {
    static int installed = 0;
    __atomic_store_n(&preempt_callback, callback, __ATOMIC_RELEASE);
    if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL)) return;
    pthread_once(&program_text_once, read_program_text);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = preempt_handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, &previous_action);
}

void gb_preempt_attach(gb_preempt_record *record) {
    sigset_t now;
    sigemptyset(&now);
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    uint64_t mask;
    memcpy(&mask, &now, sizeof mask);
    thread_base_mask = mask;
    thread_record = record;
}

int gb_preempt_signal(int32_t tid, uint32_t kind, uint32_t processor, uint32_t tick) {
    gb_preempt_prepare();
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGURG;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_ptr = (void *)(uintptr_t)((GB_PREEMPT_TAG << 48) | ((uint64_t)(processor & 0xfff) << 36) | ((uint64_t)(kind & 0xf) << 32) | tick);
    if (syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGURG, &info) != 0) return errno;
    return 0;
}

uint64_t gb_preempt_refusals(int reason) {
    if (reason < 0 || reason >= 5) return 0;
    return __atomic_load_n(&refusals[reason], __ATOMIC_RELAXED);
}

void gb_preempt_refusals_reset(void) {
    for (int i = 0; i < 5; i++) __atomic_store_n(&refusals[i], 0, __ATOMIC_RELAXED);
}

uint64_t gb_preempt_signals_handled(void) { return __atomic_load_n(&handled, __ATOMIC_RELAXED); }

int32_t gb_thread_cpu_clock(void) {
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) != 0) return -1;
    return (int32_t)clock;
}

int64_t gb_thread_cpu_nanoseconds(int32_t clock) {
    struct timespec ts;
    if (clock == -1 || clock_gettime((clockid_t)clock, &ts) != 0) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

char gb_thread_state(int32_t tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    // "TID (COMM) S ...": COMM may hold ')' and spaces, so the last ')'.
    char *close_paren = strrchr(buf, ')');
    if (close_paren == NULL || close_paren[1] != ' ') return 0;
    return close_paren[2];
}
