#!/usr/bin/env bash
# test.sh: the README's test command. On a fresh Debian 12 with a Swift 6 toolchain it
# installs what is missing (libnuma-dev; the Go toolchain into .venv via go-env.sh;
# chromium for the report check; qemu, a kernel and busybox for the NUMA check), then runs:
#
#   1. swift test            unit, scenario and stress tests of every module (debug build)
#   2. go test               the Go peer (peers/go), and the example package
#                            (Examples/hello-goroutines, built against Runtime and run)
#   3. report-check.sh       gobench report rendered in headless Chromium
#   4. numa-vm-check.sh      a static gobench in QEMU guests with 2 and 4 NUMA nodes; then
#                            deep-recursion's frame sizes against the Go peer's, with that
#                            static release build
#   5. stress.sh             the randomized stress suite in release, for a time budget
#   6. sanitizers.sh --thread             every RuntimeTests class and the stress suite
#                                         under ThreadSanitizer (debug build)
#   7. sanitizers.sh --address --release  the same under AddressSanitizer and
#                                         LeakSanitizer (release build, lsan.supp)
#   8. fuzz.sh --replay      every parser's fuzzing corpus and regression inputs, replayed
#   9. fuzz.sh               every libFuzzer harness for a time budget; a crash or a broken
#                            property fails (the input is saved under .build-fuzz/fuzz/crashes)
#
# Each stage's result is printed; the last line is "N passed, N failed".
# Options: --quick  stages 1 and 2 only.
# Environment: GOBENCH_STRESS_SECONDS (stage 5, default 10), GOBENCH_SANITIZER_STRESS_SECONDS
# (each of the 2 stress tests in stages 6 and 7, default 60), GOBENCH_FUZZ_SECONDS (each of
# the 7 harnesses in stage 9, default 30). Stages 6, 7 and 9 take about 7, 8 and 5 minutes
# on 2 cores from a clean clone (builds included); the whole run about 35-40 minutes.
# Exit status: 0 when every stage passed, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then $sudo apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  $sudo apt-get install -y -qq "$@" >/dev/null 2>&1
}

if [ ! -f /usr/include/numa.h ]; then
  echo "test.sh: installing libnuma-dev" >&2
  apt_install libnuma-dev || { echo "test.sh: could not install libnuma-dev" >&2; exit 1; }
fi
command -v swift >/dev/null || { echo "test.sh: swift is not in PATH" >&2; exit 1; }
# The toolchain's clang (next to swift), which the sanitizer and fuzzer runtimes come with.
clang_of_swift() { "$(dirname "$(readlink -f "$(command -v swift)")")/clang" "$@"; }

passed=0
failed=0
failures=""
stage() {
  local name=$1; shift
  local start=$(date +%s)
  echo "=== test.sh: $name" >&2
  if "$@"; then
    passed=$((passed + 1))
    echo "=== test.sh: $name: PASS ($(( $(date +%s) - start )) s)" >&2
  else
    failed=$((failed + 1))
    failures="$failures $name"
    echo "=== test.sh: $name: FAIL ($(( $(date +%s) - start )) s)" >&2
  fi
}

peer=$(scripts/go-env.sh) || { echo "test.sh: scripts/go-env.sh failed" >&2; exit 1; }
export GOBENCH_GO_PEER="$peer"
export PATH="$root/.venv/bin:$PATH"

stage "swift test" swift test
stage "go test" bash -c 'cd peers/go && GOFLAGS=-trimpath go test -count=1 ./...'
# Examples/hello-goroutines: a separate package that depends on Runtime by path.
stage "example package" bash -c 'cd Examples/hello-goroutines && swift build && swift run hello-goroutines'

if [ "$quick" -eq 0 ]; then
  if ! command -v chromium >/dev/null; then
    echo "test.sh: installing chromium" >&2
    apt_install chromium || true
  fi
  stage "report check" scripts/report-check.sh
  stage "NUMA VM check" scripts/numa-vm-check.sh
  # deep-recursion's frames must take the same stack bytes as the Go peer's in a release
  # build: the NUMA check has just built one (static, .build-static).
  stage "frame sizes (release)" env GOBENCH_RELEASE_BINARY="$root/.build-static/release/gobench" \
    GOBENCH_REQUIRE_RELEASE=1 swift test --filter WorkloadShapeTests/testFramesTakeTheSameStackBytesOnBothEngines
  stage "stress (release)" env GOBENCH_STRESS_SECONDS="${GOBENCH_STRESS_SECONDS:-10}" scripts/stress.sh
  sanitizer_stress=${GOBENCH_SANITIZER_STRESS_SECONDS:-60}
  stage "ThreadSanitizer" env GOBENCH_STRESS_SECONDS="$sanitizer_stress" scripts/sanitizers.sh --thread
  stage "AddressSanitizer" env GOBENCH_STRESS_SECONDS="$sanitizer_stress" scripts/sanitizers.sh --address --release
  stage "fuzz corpus replay" scripts/fuzz.sh --replay
  # libFuzzer's runtime is C++: linking a harness needs libstdc++.so, which the Swift
  # toolchain's own Debian dependencies do not bring.
  if [ "$(clang_of_swift -print-file-name=libstdc++.so)" = libstdc++.so ]; then
    echo "test.sh: installing libstdc++-dev (libFuzzer's runtime links it)" >&2
    gcc_major=$(gcc -dumpversion 2>/dev/null | cut -d. -f1)
    apt_install "libstdc++-${gcc_major:-12}-dev" || echo "test.sh: could not install libstdc++-${gcc_major:-12}-dev" >&2
  fi
  stage "fuzz (bounded)" env GOBENCH_FUZZ_SECONDS="${GOBENCH_FUZZ_SECONDS:-30}" scripts/fuzz.sh
fi

[ -n "$failures" ] && echo "test.sh: failed stages:$failures" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
