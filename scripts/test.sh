#!/usr/bin/env bash
# test.sh: the README's test command. On a fresh Debian 12 with a Swift 6 toolchain it
# installs what is missing (libnuma-dev; the Go toolchain into .venv via go-env.sh;
# chromium for the report check; qemu, a kernel and busybox for the NUMA check), then runs:
#
#   1. swift test            unit, scenario and stress tests of every module (debug build)
#   2. go test               the Go peer (peers/go)
#   3. report-check.sh       gobench report rendered in headless Chromium
#   4. numa-vm-check.sh      a static gobench in QEMU guests with 2 and 4 NUMA nodes
#   5. stress.sh             the randomized stress suite in release, for a time budget
#   6. fuzz.sh --replay      every parser's fuzzing corpus and regression inputs, replayed
#
# Each stage's result is printed; the last line is "N passed, N failed".
# Options: --quick  stages 1 and 2 only.   Environment: GOBENCH_STRESS_SECONDS (default 10).
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

if [ "$quick" -eq 0 ]; then
  if ! command -v chromium >/dev/null; then
    echo "test.sh: installing chromium" >&2
    apt_install chromium || true
  fi
  stage "report check" scripts/report-check.sh
  stage "NUMA VM check" scripts/numa-vm-check.sh
  stage "stress (release)" env GOBENCH_STRESS_SECONDS="${GOBENCH_STRESS_SECONDS:-10}" scripts/stress.sh
  stage "fuzz corpus replay" scripts/fuzz.sh --replay
fi

[ -n "$failures" ] && echo "test.sh: failed stages:$failures" >&2
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
