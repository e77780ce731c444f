#!/usr/bin/env bash
# sanitizers.sh: the runtime's tests and stress suite under ThreadSanitizer and AddressSanitizer
# (with LeakSanitizer). scripts/test.sh runs it twice: --thread (debug build) and
# --address --release.
#
# For each sanitizer (thread, then address):
#   1. a self-check of gb_context's fiber annotations in plain C (seconds): a context that
#      migrates between two threads must give no report; one that races on purpose must
#      give a TSan report, and one that overflows a heap block an ASan report. It also
#      reuses a stack that a context left in the middle of its frames (ASan's stale poison);
#   2. `swift build --sanitize S` of the test bundle and of runtime-scenarios (SwiftPM's
#      --sanitize compiles the C of CRuntime too, which the fiber hooks need; plain
#      `-Xswiftc -sanitize=S` would instrument only the Swift and leave the stack switches
#      unannotated), in its own scratch folder (.build-tsan, .build-asan);
#   3. every RuntimeTests class in its own `swift test` process (a fatal runtime error ends
#      one class, not the run), StressTests with GOBENCH_STRESS_SECONDS.
# Every process (the tests and the scenario children they start) writes its sanitizer
# reports to files under the work folder (log_path), so a report is never lost in a
# child's captured output; each is summarised here, and the last lines give the classes,
# tests, reports and time of each sanitizer, and (address) what each suppression took out.
#
# ThreadSanitizer details:
#   - scripts/tsan.supp suppresses, by function name, the readers that are racy on purpose
#     (the detailed schedtrace and SIGQUIT's dump, as racy as Go's), each with its reason.
#
# AddressSanitizer details:
#   - LeakSanitizer runs at the exit of every process; scripts/lsan.supp suppresses, by
#     function name, what is never freed on purpose (the runtime's immortal-object probe)
#     and the leaks of XCTest and Foundation, each with its reason. Gs, Ms and Ps (also
#     immortal) are not reported: the scheduler's globals still reach them at exit.
#   - detect_stack_use_after_return is on (fake stacks follow the fiber switches).
#   - each process starts llvm-symbolizer (the toolchain's) as soon as it starts, from a
#     small preloaded library built here (start-symbolizer.so in the work folder): started
#     late, at exit, its fork can fail with ENOMEM (see start_symbolizer_source), leaving
#     the reports unsymbolized and the suppressions, which match function names, unused.
#     A class whose process could not start its symbolizer fails.
#   - --release is the configuration to use: in a debug build a goroutine that ends by
#     Goexit leaves frames that hold a copy of its closure (Goexit switches away without
#     unwinding; the optimized build borrows the closure instead), which LeakSanitizer
#     rightly reports as lost (SchedulerTests' Goexit test, the stress suite's goexit
#     operation). They are not suppressed: the same closures leaking in a release build
#     would be a runtime bug.
#
# Usage: scripts/sanitizers.sh [--thread] [--address] [--filter REGEX] [--work-dir DIR]
#                              [--skip-selfcheck] [--known-bugs] [--release]
#   --thread / --address   only that sanitizer (default: both)
#   --filter REGEX         only the RuntimeTests classes whose name matches (grep -E)
#   --work-dir DIR         reports and logs (default .build-sanitizers, ignored by git)
#   --known-bugs           also the tests and stress operations that a filed runtime bug
#                          keeps out (GOBENCH_RUN_KNOWN_BUGS=1), to check a fix
#   --skip-selfcheck       leave out step 1
#   --release              the test bundle in release (-enable-testing) instead of debug:
#                          what only the optimizer exposes. runtime-scenarios stays a debug
#                          build: its stack-overflow scenarios recurse without bound, which
#                          the optimizer turns into a loop (those tests would time out).
# Environment:
#   GOBENCH_STRESS_SECONDS    budget of each of the 2 stress tests (default 15; test.sh: 60)
#   GOBENCH_STORM_GOROUTINES  goroutines of the spawn storm (default 100,000, also in
#                             release, whose own default of 10^6 needs 10^6 fake stacks
#                             under ASan; a few seconds under either sanitizer)
#   SANITIZER_CLASS_TIMEOUT   seconds one test class may run (default 300)
# Measured on the project's 2-core machine, from a clean scratch folder, stress 15 s:
# thread (debug) 158 s, address (release) 166 s; each stress second adds 2 s.
#
# Filtered out, and why (the scenario tests' children are sanitized builds too, their
# reports are collected like the rest, so the scenario tests otherwise run):
#   thread: ScenarioProcessTests/testMillionFrameRecursionOnMainSucceeds. TSan keeps a
#           shadow call stack of 65,536 frames per thread and per fiber and faults past
#           it, so a million nested frames cannot run under TSan (a limit of the tool).
#   Skipped by the test itself under either sanitizer:
#           ServicesTests/testScavengerReleasesTheStacksOfABurst (resident memory is mostly
#           shadow memory, which the scavenger does not manage).
# Exit status: 0 when every test passed and no sanitizer reported anything; 1 when a
# sanitizer reported, a test failed or a build failed; 2 for a usage error.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

say() { echo "sanitizers.sh: $*" >&2; }
usage_error() { echo "sanitizers.sh: $*" >&2; exit 2; }

sanitizers=()
filter=""
work="$root/.build-sanitizers"
selfcheck=1
configuration=debug
while [ $# -gt 0 ]; do
    case "$1" in
        --thread) sanitizers+=(thread); shift ;;
        --address) sanitizers+=(address); shift ;;
        --filter) filter=${2:-}; [ -n "$filter" ] || usage_error "--filter needs a regular expression"; shift 2 ;;
        --work-dir) work=${2:-}; [ -n "$work" ] || usage_error "--work-dir needs a folder"; shift 2 ;;
        --skip-selfcheck) selfcheck=0; shift ;;
        --known-bugs) export GOBENCH_RUN_KNOWN_BUGS=1; shift ;;
        --release) configuration=release; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) usage_error "unknown argument '$1' (see --help)" ;;
    esac
done
[ ${#sanitizers[@]} -gt 0 ] || sanitizers=(thread address)

stress_seconds=${GOBENCH_STRESS_SECONDS:-15}
case "$stress_seconds" in
    ''|*[!0-9.]*) usage_error "GOBENCH_STRESS_SECONDS must be a positive number of seconds, not '$stress_seconds'" ;;
esac
if [ -n "${GOBENCH_STORM_GOROUTINES:-}" ]; then
    case "$GOBENCH_STORM_GOROUTINES" in
        *[!0-9]*) usage_error "GOBENCH_STORM_GOROUTINES must be a positive integer, not '$GOBENCH_STORM_GOROUTINES'" ;;
    esac
fi
class_timeout=${SANITIZER_CLASS_TIMEOUT:-300}
case "$class_timeout" in
    ''|*[!0-9]*) usage_error "SANITIZER_CLASS_TIMEOUT must be a whole number of seconds, not '$class_timeout'" ;;
esac
command -v swift >/dev/null || { say "swift is not in PATH"; exit 1; }

mkdir -p "$work" || { say "cannot create $work"; exit 1; }
work=$(cd "$work" && pwd)
script_start=$(date +%s)
failures=()          # "sanitizer: what" for the final summary
total_reports=0

toolchain_bin=$(dirname "$(readlink -f "$(command -v swift)")")
clang="$toolchain_bin/clang"
swift_runtime_lib=$(readlink -f "$toolchain_bin/../lib/swift/linux" 2>/dev/null || true)

# The symbolizer of the reports (and of the LeakSanitizer suppressions, which match function
# names): the toolchain's own llvm-symbolizer, not whichever one PATH finds first.
symbolizer="$toolchain_bin/llvm-symbolizer"
[ -x "$symbolizer" ] || symbolizer=$(command -v llvm-symbolizer || true)
leak_suppressions="$root/scripts/lsan.supp"
race_suppressions="$root/scripts/tsan.supp"

# The options of both sanitizers for every process of a run: reports go to files (counted
# after each class, whichever process wrote them), and a report does not change a
# process's exit status (exitcode=0), so that the scenario tests, which check their
# children's statuses, fail only for what they test.
sanitizer_environment() {  # sanitizer_environment SANITIZER LOGPREFIX
    local symbolize=${symbolizer:+ external_symbolizer_path=$symbolizer}
    case "$1" in
        thread)
            export TSAN_OPTIONS="log_path=$2 halt_on_error=0 second_deadlock_stack=1 history_size=4 exitcode=0 suppressions=$race_suppressions$symbolize"
            unset ASAN_OPTIONS LSAN_OPTIONS LD_PRELOAD ;;
        address)
            # The runtime installs its own SIGSEGV handler (the stack-overflow report); ASan
            # lets it (allow_user_segv_handler). detect_stack_use_after_return: fake stacks
            # work with the fiber hooks (a goroutine's last switch frees its fake stack).
            export ASAN_OPTIONS="log_path=$2 allow_user_segv_handler=1 detect_stack_use_after_return=1 detect_leaks=1 exitcode=0$symbolize"
            export LSAN_OPTIONS="log_path=$2 suppressions=$leak_suppressions"
            # The symbolizer starts with each process (see start_symbolizer_source).
            [ -f "$work/start-symbolizer.so" ] && export LD_PRELOAD="$work/start-symbolizer.so"
            unset TSAN_OPTIONS ;;
    esac
}

# ASan and LeakSanitizer start llvm-symbolizer, a child process, the first time they
# symbolize: for LeakSanitizer, at exit. Under detect_stack_use_after_return every
# goroutine that called a function has a fake stack, 2.75 MiB of accountable memory, and
# the kernel merges them into one mapping (the spawn storm's 10^5 goroutines: 270 GiB).
# Linux's default overcommit heuristic refuses to fork a process with one accountable
# mapping larger than RAM plus swap ("failed to fork (errno 12)"), so a report made while
# many goroutines live (or, if their fake stacks are not freed at exit, at the end) came
# out unsymbolized, and no suppression (they match function names) applied to it.
# This preloaded constructor symbolizes one address when the process starts, so that the
# symbolizer runs from the start and is never forked late. In a process without ASan
# (swift-test itself, a shell) the weak reference is null and it does nothing.
start_symbolizer_source() {
cat <<'EOF'
#include <stddef.h>
extern void __sanitizer_symbolize_pc(void *pc, const char *fmt, char *out, size_t size) __attribute__((weak));
__attribute__((constructor)) static void gobench_start_symbolizer(void) {
    char out[128];
    if (__sanitizer_symbolize_pc != NULL)
        __sanitizer_symbolize_pc((void *)&gobench_start_symbolizer, "%F", out, sizeof out);
}
EOF
}

build_start_symbolizer() {
    rm -f "$work/start-symbolizer.so"
    start_symbolizer_source > "$work/start-symbolizer.c"
    "$clang" -shared -fPIC -O1 "$work/start-symbolizer.c" -o "$work/start-symbolizer.so" >"$work/start-symbolizer.log" 2>&1 \
        || { say "address: cannot build the symbolizer starter (see $work/start-symbolizer.log)"; return 1; }
}

# Summarises the report files with prefix $1; prints their count.
count_reports() {  # count_reports LOGPREFIX
    local n=0 f
    for f in "$1".[0-9]*; do
        [ -f "$f" ] || continue
        local k
        k=$(grep -c -E '^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer)|ERROR: (AddressSanitizer|LeakSanitizer))' "$f")
        [ "$k" -gt 0 ] || continue
        n=$((n + k))
        grep -E '^SUMMARY:' "$f" | sed 's/^/    /' | sort | uniq -c | sed 's/^/  /' >&2
        say "  ($k in $f)"
    done
    echo "$n"
}

# ---- 1. the self-check of the fiber annotations ----

selfcheck_source() {
cat <<'EOF'
// Self-check of gb_context's sanitizer annotations: a context that migrates between threads.
#include "gb_context.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

enum { STACK_BYTES = 256 * 1024, ROUNDS = 200 };
static int racy;                       // 1: also race on purpose (TSan must report it)
static int overflow;                   // 1: overflow a heap block (ASan must report it)
static _Thread_local gb_context g0;    // each thread's own context
static gb_context *volatile resume_to; // the g0 that switched to the goroutine last
static gb_context g;
static long shared_plain;              // written by the goroutine on both threads, in turn
static long raced;                     // written by the goroutine and a thread, unordered
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_cond = PTHREAD_COND_INITIALIZER;
static int turn, finished;

__attribute__((noinline)) static long deep(int n) {
    volatile char pad[512];            // a frame with redzones on ASan's shadow
    memset((char *)pad, n, sizeof pad);
    if (n == 0) {
        gb_context_switch(&g, resume_to, NULL); // away in the middle of its frames
        return pad[3];
    }
    return deep(n - 1) + pad[n % 512];
}

static void body(void *transfer, void *arg) {
    (void)transfer; (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        shared_plain++;
        if (racy) raced++;
        deep(4);
    }
    if (overflow) {
        char *volatile p = malloc(16);
        p[16] = 1;
        free(p);
    }
    // The last switch leaves deep frames behind: the next life reuses the stack.
    finished = 1;
    gb_context_mark_exiting(&g);
    gb_context_switch(&g, resume_to, NULL);
    abort();
}

static void *worker(void *arg) {
    int me = (int)(long)arg;
    for (;;) {
        pthread_mutex_lock(&turn_lock);
        while (turn != me && !finished) pthread_cond_wait(&turn_cond, &turn_lock);
        if (finished) { pthread_mutex_unlock(&turn_lock); gb_context_release(&g0); return NULL; }
        pthread_mutex_unlock(&turn_lock);
        volatile char local[256];      // g0 frames with redzones, used across the switch
        memset((char *)local, 1, sizeof local);
        resume_to = &g0;
        gb_context_switch(&g0, &g, NULL);
        memset((char *)local, 2, sizeof local);
        pthread_mutex_lock(&turn_lock);
        turn = 1 - me;
        pthread_cond_broadcast(&turn_cond);
        pthread_mutex_unlock(&turn_lock);
    }
}

static void *racer(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) raced++;
    return NULL;
}

int main(int argc, char **argv) {
    racy = argc > 1 && strcmp(argv[1], "race") == 0;
    overflow = argc > 1 && strcmp(argv[1], "overflow") == 0;
    if (argc > 2 && strcmp(argv[2], "ucontext") == 0) gb_context_set_backend(GB_CONTEXT_UCONTEXT);
    char *stack = mmap(NULL, STACK_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) return 2;
    pthread_t racer_thread;
    if (racy) pthread_create(&racer_thread, NULL, racer, NULL);
    for (int life = 0; life < 2; life++) {
        finished = 0;
        turn = 0;
        if (gb_context_make(&g, stack, STACK_BYTES, body, NULL) != 0) return 2;
        pthread_t a, b;
        pthread_create(&a, NULL, worker, (void *)0L);
        pthread_create(&b, NULL, worker, (void *)1L);
        pthread_join(a, NULL);
        pthread_join(b, NULL);
        gb_context_release(&g);
    }
    if (racy) pthread_join(racer_thread, NULL);
    printf("selfcheck: sanitizer %d, %ld increments\n", gb_context_sanitizer(), shared_plain);
    return shared_plain == 2 * ROUNDS ? 0 : 3;
}
EOF
}

run_selfcheck() {  # run_selfcheck SANITIZER -> 0 when every case behaved
    local san=$1 dir="$work/selfcheck-$1" ok=0
    mkdir -p "$dir"
    selfcheck_source > "$dir/selfcheck.c"
    local asm=()
    case "$(uname -m)" in
        x86_64) asm=(Sources/CRuntime/gb_context_x86_64_sysv.S) ;;
        aarch64) asm=(Sources/CRuntime/gb_context_aarch64.S) ;;
    esac
    # The toolchain's static TSan runtime carries libdispatch interceptors: link them.
    local extra=()
    [ -n "$swift_runtime_lib" ] && [ -d "$swift_runtime_lib" ] && \
        extra=(-L"$swift_runtime_lib" -Wl,-rpath,"$swift_runtime_lib" -ldispatch -lBlocksRuntime)
    if ! "$clang" -g -O1 -fsanitize="$san" -I Sources/CRuntime/include Sources/CRuntime/gb_context.c \
            "${asm[@]}" "$dir/selfcheck.c" -lpthread "${extra[@]}" -o "$dir/selfcheck" >"$dir/build.log" 2>&1; then
        say "self-check ($san): build failed (see $dir/build.log)"
        return 1
    fi
    local expect_kind
    [ "$san" = thread ] && expect_kind=race || expect_kind=overflow
    local backend mode
    for backend in asm ucontext; do
        for mode in clean "$expect_kind"; do
            local prefix="$dir/$backend-$mode"
            rm -f "$prefix".*
            sanitizer_environment "$san" "$prefix"
            "$dir/selfcheck" "$mode" "$backend" >"$prefix.out" 2>&1
            local status=$? reports
            reports=$(cat "$prefix".[0-9]* 2>/dev/null | grep -c -E '^(WARNING: ThreadSanitizer|==[0-9]+==ERROR: (AddressSanitizer|LeakSanitizer))')
            if [ "$mode" = clean ]; then
                if [ "$status" -ne 0 ] || [ "$reports" -ne 0 ]; then
                    say "self-check ($san, $backend): a race-free migrating context gave $reports report(s), status $status: the annotations are wrong"
                    cat "$prefix".[0-9]* 2>/dev/null | grep -E '^SUMMARY' | sed 's/^/    /' >&2
                    ok=1
                fi
            elif [ "$reports" -lt 1 ]; then
                say "self-check ($san, $backend): the deliberate $mode was not reported: the sanitizer is not working"
                ok=1
            fi
        done
    done
    unset TSAN_OPTIONS ASAN_OPTIONS LSAN_OPTIONS LD_PRELOAD
    [ "$ok" -eq 0 ] && say "self-check ($san): fiber annotations OK (asm and ucontext: clean run silent, deliberate $expect_kind reported)"
    return "$ok"
}

# ---- 2 and 3: build, then each test class in its own process ----

run_sanitizer() {  # run_sanitizer SANITIZER
    local san=$1 scratch short
    case "$san" in thread) short=tsan ;; address) short=asan ;; esac
    scratch="$root/.build-$short"
    local reports_dir="$work/$short"
    rm -rf "$reports_dir"
    mkdir -p "$reports_dir"

    if [ "$san" = address ]; then
        build_start_symbolizer || { failures+=("address: the symbolizer starter"); return; }
    fi
    if [ "$selfcheck" -eq 1 ]; then
        run_selfcheck "$san" || failures+=("$san: self-check of the fiber annotations")
    fi

    local t0=$(date +%s)
    say "$san: building the test bundle ($configuration) and runtime-scenarios (debug) in $scratch"
    # Release: the tests read the scheduler's state through @testable imports. The scenario
    # children are a debug build either way: the stack-overflow scenarios recurse without
    # bound, which the optimizer turns into a loop (their tests would wait 30 s and fail).
    local build_flags=(-c "$configuration")
    [ "$configuration" = release ] && build_flags+=(-Xswiftc -enable-testing)
    local product
    for product in gobenchPackageTests runtime-scenarios; do
        local flags=("${build_flags[@]}")
        [ "$product" = runtime-scenarios ] && flags=(-c debug)
        if ! swift build "${flags[@]}" --sanitize "$san" --scratch-path "$scratch" --product "$product" >"$reports_dir/build-$product.log" 2>&1; then
            say "$san: build of $product failed:"
            grep -E 'error:' "$reports_dir/build-$product.log" | head -10 >&2
            failures+=("$san: build of $product")
            return
        fi
    done
    local scenarios
    scenarios="$(swift build -c debug --sanitize "$san" --scratch-path "$scratch" --show-bin-path 2>/dev/null)/runtime-scenarios"
    if [ ! -x "$scenarios" ]; then
        say "$san: no runtime-scenarios at $scenarios"
        failures+=("$san: build of runtime-scenarios")
        return
    fi
    say "$san: built in $(( $(date +%s) - t0 )) s"

    local classes
    classes=$(swift test list -c "$configuration" --skip-build --sanitize "$san" --scratch-path "$scratch" 2>/dev/null \
        | sed -n 's/^RuntimeTests\.\([A-Za-z0-9_]*\)\/.*/\1/p' | sort -u)
    [ -n "$filter" ] && classes=$(echo "$classes" | grep -E "$filter" || true)
    if [ -z "$classes" ]; then
        say "$san: no RuntimeTests classes found${filter:+ matching '$filter'}"
        failures+=("$san: no test classes")
        return
    fi

    local skips=()
    # Under ThreadSanitizer, skipped: the million-frame recursion on main (TSan keeps a
    # shadow stack of 64K frames); a spinner holding a Synchronization.Mutex is not preempted, because TSan
    # delivers an asynchronous signal only at its next intercepted call and the spinner
    # makes none (Preemption.swift, "Sanitizers"); an overflow's frames end in TSan's own
    # memset interceptor, whose frames the frame-pointer walk cannot cross.
    case "$san" in
        thread) skips=(--skip 'ScenarioProcessTests/testMillionFrameRecursionOnMainSucceeds'
                       --skip 'PreemptionTests/testSpinnerHoldingSynchronizationMutex'
                       --skip 'TracebackScenarioTests/testStackOverflowKeepsGoLinesAndAddsFrames') ;;
    esac

    local class run_classes=0 run_passed=0 run_reports=0
    for class in $classes; do
        local prefix="$reports_dir/$class" start status
        start=$(date +%s)
        sanitizer_environment "$san" "$prefix"
        GOBENCH_STRESS_SECONDS=$stress_seconds GOBENCH_SCENARIOS_BINARY=$scenarios \
            GOBENCH_STORM_GOROUTINES=${GOBENCH_STORM_GOROUTINES:-100000} \
            timeout -k 10 "$class_timeout" \
            swift test -c "$configuration" --skip-build --sanitize "$san" --scratch-path "$scratch" \
            --filter "RuntimeTests\\.$class/" "${skips[@]}" >"$prefix.log" 2>&1
        status=$?
        unset TSAN_OPTIONS ASAN_OPTIONS LSAN_OPTIONS LD_PRELOAD
        local seconds=$(( $(date +%s) - start ))
        local passed failed skipped
        passed=$(grep -c -E "^Test Case '.*' passed" "$prefix.log")
        failed=$(grep -c -E "^Test Case '.*' failed" "$prefix.log")
        skipped=$(grep -c -E "^Test Case '.*' skipped" "$prefix.log")
        local n
        n=$(count_reports "$prefix")
        total_reports=$((total_reports + n))
        local verdict=ok
        if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
            verdict="TIMEOUT after ${class_timeout} s"
        elif [ "$failed" -gt 0 ]; then
            verdict="$failed FAILED"
        elif ! grep -q -E "^Test Suite 'Selected tests' (passed|failed)" "$prefix.log"; then
            # XCTest never finished: the process died (a fatal runtime error, a crash).
            verdict="ended early, exit $status: $(grep -m1 -E 'fatal error|Fatal error|error:|ERROR:' "$prefix.log" | cut -c1-160)"
        elif [ "$status" -ne 0 ]; then
            verdict="exit $status"
        fi
        say "$san: $class: $passed passed, $failed failed, $skipped skipped, $n sanitizer report(s), $seconds s${verdict:+ — $verdict}"
        [ "$verdict" = ok ] || failures+=("$san: $class: $verdict (log $prefix.log)")
        [ "$n" -eq 0 ] || failures+=("$san: $class: $n sanitizer report(s) ($prefix.*)")
        grep -E '^StressTests\[' "$prefix.log" | sed 's/^/    /' >&2
        if grep -q -E 'failed to fork|Failed to use and restart external symbolizer' "$prefix".[0-9]* 2>/dev/null; then
            say "$san: $class: the symbolizer could not start: reports unsymbolized, suppressions not applied"
            failures+=("$san: $class: symbolizer failed ($prefix.*)")
        fi
        run_classes=$((run_classes + 1)); run_passed=$((run_passed + passed)); run_reports=$((run_reports + n))
    done
    say "$san ($configuration): $run_classes classes, $run_passed tests passed, $run_reports sanitizer report(s), stress ${stress_seconds} s per stress test, $(( $(date +%s) - t0 )) s with the build"
    if [ "$san" = address ]; then
        # What the suppressions (scripts/lsan.supp) took out, over every process of the run.
        cat "$reports_dir"/*.[0-9]* 2>/dev/null | awk '
            /^Suppressions used:/ { on = 1; next }
            /^-+$/ { on = 0 }
            on && $1 ~ /^[0-9]+$/ && NF == 3 { n[$3] += $1; b[$3] += $2 }
            END { for (t in n) printf "    %6d objects %9d bytes  leak:%s\n", n[t], b[t], t }' | sort -k5 >&2
    fi
}

for san in "${sanitizers[@]}"; do
    run_sanitizer "$san"
done

elapsed=$(( $(date +%s) - script_start ))
if [ ${#failures[@]} -gt 0 ]; then
    say "FAILED ($elapsed s, $total_reports sanitizer report(s)):"
    for f in "${failures[@]}"; do echo "  - $f" >&2; done
    exit 1
fi
say "passed: ${sanitizers[*]}, no sanitizer reports, $elapsed s"
exit 0
