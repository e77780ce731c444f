#!/usr/bin/env bash
# Fuzzes every parser of outside input with libFuzzer (Sources/FuzzTargets), each harness for
# a time budget, starting from the seed corpora in Tests/Fuzz/corpus. scripts/test.sh runs
# both modes: --replay, then every harness for GOBENCH_FUZZ_SECONDS=30.
#
# usage: scripts/fuzz.sh [HARNESS...]      (default: all; names below, without "fuzz-")
#        scripts/fuzz.sh --replay [HARNESS...]   plain build, replay the seeds and saved crashes
#   harnesses: results-csv thresholds settings child-result topology runtime-environment
#              placement duration
# env:  GOBENCH_FUZZ_SECONDS  time budget of each harness (default 30)
#       GOBENCH_FUZZ_DIR      working folder (default .build-fuzz/fuzz): corpus/NAME holds
#                             what the fuzzer learned (seeds stay untouched), crashes/ the
#                             inputs that broke a property, crashed or leaked
#       SCRATCH               the swift build folder (default .build-fuzz)
#       GOBENCH_FUZZ_FLAGS    extra libFuzzer flags (e.g. "-jobs=2 -workers=2")
#       ASAN_OPTIONS          default detect_leaks=1:abort_on_error=1 (LeakSanitizer on: a
#                             leak is saved and fails like a crash)
#       GOBENCH_RUN_KNOWN_BUGS=1  also the inputs of filed, unfixed bugs (/tmp/parser-bugs.md)
# Each harness checks properties of its parsers (a parse's canonical text reads back the
# same, values are in range, errors are one line), not only the absence of crashes.
# Needs (fuzzing, not --replay): the Swift toolchain's libFuzzer and ASan runtimes (shipped
# with it) and libstdc++.so to link libFuzzer's C++ (Debian 12: libstdc++-12-dev, not among
# the toolchain's documented dependencies; test.sh installs it). Builds take about 40 s
# from a clean folder, then each harness runs its budget.
# exit: 0 when no harness crashed; 1 when one did (its input is saved and printed in
#       base64); 2 on a build or usage error.
set -euo pipefail
cd "$(dirname "$0")/.."

ALL=(results-csv thresholds settings child-result topology runtime-environment placement duration)
SECONDS_EACH="${GOBENCH_FUZZ_SECONDS:-30}"
SCRATCH="${SCRATCH:-.build-fuzz}"
WORK="${GOBENCH_FUZZ_DIR:-$SCRATCH/fuzz}"
REPLAY=0

fail() { echo "fuzz.sh: $*" >&2; exit 2; }

harnesses=()
for argument in "$@"; do
    case "$argument" in
        --replay) REPLAY=1 ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        -*) fail "unknown option \"$argument\" (see --help)" ;;
        *)
            found=0
            for known in "${ALL[@]}"; do [ "$known" = "${argument#fuzz-}" ] && found=1; done
            [ "$found" = 1 ] || fail "unknown harness \"$argument\" (known: ${ALL[*]})"
            harnesses+=("${argument#fuzz-}") ;;
    esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${ALL[@]}")
[[ "$SECONDS_EACH" =~ ^[1-9][0-9]*$ ]] || fail "GOBENCH_FUZZ_SECONDS \"$SECONDS_EACH\" is not a positive whole number of seconds"

# A crash report, not the Swift runtime's interactive backtracer (which can take minutes).
export SWIFT_BACKTRACE=enable=no
# LeakSanitizer stays on: libFuzzer checks for leaks after an input that allocated more
# than it freed, and a leak is saved and fails like a crash.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"

if [ "$REPLAY" = 1 ]; then
    # Without the sanitizer each harness is a replayer of files: seeds and saved crashes.
    SCRATCH="${SCRATCH}-replay"
    status=0
    # A fresh file (mktemp), not a fixed name another user could plant a link at.
    build_log=$(mktemp "${TMPDIR:-/tmp}/fuzz-build.XXXXXX.log")
    for name in "${harnesses[@]}"; do
        swift build --scratch-path "$SCRATCH" --product "fuzz-$name" >"$build_log" 2>&1 \
            || { cat "$build_log" >&2; rm -f "$build_log"; fail "swift build of fuzz-$name failed"; }
        inputs=("Tests/Fuzz/corpus/$name")
        ls "$WORK/crashes/$name-"* >/dev/null 2>&1 && inputs+=("$WORK/crashes/$name-"*)
        "$SCRATCH/debug/fuzz-$name" "${inputs[@]}" || status=1
    done
    rm -f "$build_log"
    exit $status
fi

# What -sanitize=fuzzer links besides the Swift toolchain's own libraries: libFuzzer
# (libclang_rt.fuzzer, shipped with the toolchain) and, for it, libstdc++.so (Debian:
# libstdc++-12-dev, which scripts/test.sh installs when it is missing).
toolchain="$(dirname "$(readlink -f "$(command -v swift)")")"
libfuzzer="$toolchain/../lib/swift/clang/lib/linux/libclang_rt.fuzzer-$(uname -m).a"
[ -f "$libfuzzer" ] || fail "the toolchain has no libFuzzer ($libfuzzer)"
[ "$("$toolchain/clang" -print-file-name=libstdc++.so)" != libstdc++.so ] \
    || fail "libFuzzer needs libstdc++.so to link: install libstdc++-12-dev (Debian 12) or your distribution's libstdc++ development package"

mkdir -p "$WORK/crashes"
summary=()
crashed=0
for name in "${harnesses[@]}"; do
    log="$WORK/$name.log"
    echo "== fuzz-$name: building with -sanitize=fuzzer,address" >&2
    swift build -c debug --scratch-path "$SCRATCH" -Xswiftc -sanitize=fuzzer,address \
        -Xswiftc -DGOBENCH_FUZZ --product "fuzz-$name" >"$log" 2>&1 \
        || { grep -v "Cannot export local symbol" "$log" | tail -30 >&2; fail "swift build of fuzz-$name failed (log: $log)"; }
    binary="$SCRATCH/debug/fuzz-$name"
    seeds="Tests/Fuzz/corpus/$name"
    corpus="$WORK/corpus/$name"
    mkdir -p "$corpus"
    dictionary=()
    [ -f "Tests/Fuzz/corpus/$name.dict" ] && dictionary=("-dict=Tests/Fuzz/corpus/$name.dict")
    echo "== fuzz-$name: fuzzing for ${SECONDS_EACH}s (corpus $corpus, seeds $seeds)" >&2
    set +e
    # shellcheck disable=SC2086
    "$binary" "$corpus" "$seeds" "${dictionary[@]}" -max_total_time="$SECONDS_EACH" -timeout=10 \
        -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$WORK/crashes/$name-" ${GOBENCH_FUZZ_FLAGS:-} >"$log" 2>&1
    rc=$?
    set -e
    runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | awk '{print $2}' || true)"
    rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}' || true)"
    coverage="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}' || true)"
    line="fuzz-$name: ${runs:-?} executions, ${rate:-?} exec/s, coverage ${coverage:-?} edges"
    if [ "$rc" != 0 ]; then
        crashed=1
        artifact="$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | sed 's/Test unit written to //' || true)"
        line="$line, CRASHED (exit $rc): input saved to ${artifact:-?} (log: $log)"
        grep -E "PROPERTY BROKEN|input \(|Fatal error|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY" "$log" | head -8 >&2 \
            || grep -v "Cannot export local symbol" "$log" | tail -5 >&2 || true
    fi
    echo "$line" >&2
    summary+=("$line")
done

echo "== summary" >&2
printf '%s\n' "${summary[@]}"
exit $crashed
