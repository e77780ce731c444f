#!/usr/bin/env bash
# sweep.sh: the main job. On a fresh Debian 12 it installs what is missing (libnuma-dev with
# apt-get, the Go toolchain and peer through scripts/go-env.sh), builds gobench in release
# mode, runs `gobench sweep` with the defaults (engines swift and go; about 5 minutes on 2
# cores) and prints where the results CSV went.
#
# Arguments are passed to `gobench sweep` (e.g. --engines go, --reps 10, -o FILE, --resume).
# Exit status: that of gobench sweep (0 all ok, 3 some runs failed, 128+N stopped by signal N),
# or 1 when a set-up step fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

fail() { echo "sweep.sh: $*" >&2; exit 1; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# libnuma-dev: the CRuntime target links libnuma and includes numa.h.
if [ ! -f /usr/include/numa.h ]; then
  command -v apt-get >/dev/null || fail "/usr/include/numa.h is missing and apt-get is not available to install libnuma-dev"
  echo "sweep.sh: installing libnuma-dev" >&2
  $sudo apt-get install -y -qq libnuma-dev >/dev/null 2>&1 \
    || { $sudo apt-get update -qq >/dev/null 2>&1 && $sudo apt-get install -y -qq libnuma-dev >/dev/null 2>&1; } \
    || fail "could not install libnuma-dev with apt-get"
fi

command -v swift >/dev/null || fail "swift is not in PATH (install a Swift 6 toolchain first)"

# The Go peer (and the project-local Go toolchain under .venv).
peer=$("$root/scripts/go-env.sh") || fail "scripts/go-env.sh could not build the Go peer"
[ -x "$peer" ] || fail "scripts/go-env.sh did not produce an executable peer ($peer)"
export GOBENCH_GO_PEER="$peer"

echo "sweep.sh: building gobench (release)" >&2
swift build -c release >&2 || fail "swift build -c release failed"
bin="$(swift build -c release --show-bin-path)/gobench"
[ -x "$bin" ] || fail "no gobench binary at $bin"

status=0
csv=$("$bin" sweep "$@") || status=$?
if [ -n "$csv" ]; then
  echo "sweep.sh: results in $csv"
fi
exit "$status"
