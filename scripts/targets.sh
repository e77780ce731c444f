#!/usr/bin/env bash
# targets.sh: the shapes of the runtime issues' performance targets, on swift and go in one
# sweep (same machine, same run, interleaved), then the medians and swift/go ratios.
#
#   spawn-storm 1,000,000 goroutines; Gosched ping-pong; unbuffered channel ping-pong;
#   1,000,000 live goroutines (bytes per goroutine, without and after a scavenger pass:
#   Runtime.scavenge / debug.FreeOSMemory); syscall-heavy (64 goroutines, pipes);
#   locked-thread ping-pong; recursion to 1,000,000 frames; overflow at a 64 MB limit.
#
# Usage: scripts/targets.sh [-o FILE] [--reps N]   (default results/targets-HOST-DATE.csv, 5 reps)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out="results/targets-$(hostname)-$(date +%Y%m%d-%H%M%S).csv"
reps=5
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "targets.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
export GOBENCH_GO_PEER=$(scripts/go-env.sh)
swift build -c release --product gobench >&2
bin="$(swift build -c release --show-bin-path)/gobench"
"$bin" sweep --engines swift,go --procs 1,2 --scavenge off --reps "$reps" -o "$out" --catalog-defaults \
  --workloads spawn-storm,gosched-pingpong,chan-pingpong,live-goroutines,syscall-heavy,locked-thread,deep-recursion \
  --param spawn-storm.n=1000000 --param live-goroutines.n=1000000 --param live-goroutines.scavenge=0,1 \
  --param deep-recursion.mode=depth,overflow --param gosched-pingpong.mode=pairs,lone --timeout 300s >&2 || true
"$bin" figures "$out"
echo
"$bin" figures "$out" --metric bytes_per_goroutine 2>/dev/null || true
echo
"$bin" figures "$out" --metric time_to_failure_ns 2>/dev/null || true
echo "targets.sh: results in $out" >&2
