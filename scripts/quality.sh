#!/usr/bin/env bash
# quality.sh: how much to trust `gobench compare` on this machine.
#   1. False alarms: PAIRS pairs of default sweeps of one build (A/A); the share of compared
#      rows flagged as regressions with the default thresholds.
#   2. Power: TRIALS trials of a 20% slowdown injected into one workload (parallel-compute,
#      GOBENCH_INJECT_WORK_PERCENT=20: real extra work); how many compare flags (exit 2).
# Usage: scripts/quality.sh [--pairs N] [--trials N] [--dir DIR]   (defaults 3, 20, results/quality-DATE)
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
pairs=3; trials=20; dir="results/quality-$(date +%Y%m%d-%H%M%S)"
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    *) echo "quality.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
mkdir -p "$dir"
export GOBENCH_GO_PEER=$(scripts/go-env.sh)
swift build -c release --product gobench >&2 || exit 1
bin="$(swift build -c release --show-bin-path)/gobench"
flagged=0; compared=0
for i in $(seq 1 "$pairs"); do
  "$bin" sweep --seed "$i" -o "$dir/aa-$i-a.csv" >/dev/null 2>&1
  "$bin" sweep --seed "$((i + 100))" -o "$dir/aa-$i-b.csv" >/dev/null 2>&1
  "$bin" compare "$dir/aa-$i-a.csv" "$dir/aa-$i-b.csv" --format csv -o "$dir/aa-$i.compare.csv" >/dev/null 2>&1
  rows=$(python3 -c "import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(len(r), sum(1 for x in r if x.get('verdict')=='regression'))" "$dir/aa-$i.compare.csv")
  set -- $rows
  compared=$((compared + $1)); flagged=$((flagged + $2))
  echo "quality.sh: A/A pair $i: $2 of $1 compared rows flagged" >&2
done
python3 -c "import sys; c,f=int(sys.argv[1]),int(sys.argv[2]); print(f'A/A: {f} of {c} compared rows flagged as regressions ({100*f/max(c,1):.2f}%) over $pairs pairs of default sweeps')" "$compared" "$flagged"
caught=0
for i in $(seq 1 "$trials"); do
  base="$dir/power-$i-base.csv"; new="$dir/power-$i-new.csv"
  "$bin" sweep --workloads parallel-compute --engines swift --procs 2 --scavenge off --reps 5 --seed "$i" -o "$base" >/dev/null 2>&1
  GOBENCH_INJECT_WORK_PERCENT=20 "$bin" sweep --workloads parallel-compute --engines swift --procs 2 --scavenge off --reps 5 --seed "$i" -o "$new" >/dev/null 2>&1
  "$bin" compare "$base" "$new" >/dev/null 2>&1
  [ $? -eq 2 ] && caught=$((caught + 1))
done
echo "Power: a 20% slowdown injected into parallel-compute was flagged in $caught of $trials trials"
