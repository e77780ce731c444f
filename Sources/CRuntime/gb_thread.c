// OS threads for Ms (see gb_thread.h).
#define _GNU_SOURCE
#include "gb_thread.h"
#include "gb_stack.h"
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct start { gb_thread_entry entry; void *arg; };

static void *thread_main(void *p) {
    struct start s = *(struct start *)p;
    free(p);
    gb_signal_stack_install();
    s.entry(s.arg);
    return NULL;
}

int gb_thread_start(gb_thread_entry entry, void *arg, size_t stack_bytes) {
    struct start *s = malloc(sizeof *s);
    if (!s) return 12;
    s->entry = entry;
    s->arg = arg;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (stack_bytes) pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_t t;
    int r = pthread_create(&t, &attr, thread_main, s);
    pthread_attr_destroy(&attr);
    if (r != 0) free(s);
    return r;
}

static __thread int thread_altered = 0;
void gb_thread_mark_altered(void) { thread_altered = 1; }
int gb_thread_may_be_altered(void) { return thread_altered; }

void gb_thread_exit(void) { pthread_exit(NULL); }

void gb_cpu_relax(unsigned count) {
    for (unsigned i = 0; i < count; i++) {
#if defined(__x86_64__)
        __asm__ __volatile__("pause");
#elif defined(__aarch64__)
        __asm__ __volatile__("yield");
#endif
    }
}

extern void *swift_retain(void *);
extern void swift_release(void *);

void gb_swift_retain_release(void *object, int times) {
    for (int i = 0; i < times; i++) swift_retain(object);
    for (int i = 0; i < times; i++) swift_release(object);
}

void gb_swift_release(void *object) { swift_release(object); }

int gb_current_cpu(void) { return sched_getcpu(); }
