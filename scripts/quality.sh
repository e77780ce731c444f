#!/usr/bin/env bash
# quality.sh: how much to trust `gobench compare` as a CI gate on this machine.
#   1. False alarms (A/A): PAIRS pairs of sweeps of one build, each compared with the default
#      gate; the goal is exit 0 in at least 19 of 20 pairs.
#   2. Power: TRIALS sweeps with a 20% slowdown injected into one workload (parallel-compute,
#      GOBENCH_INJECT_WORK_PERCENT=20: real extra work, swift engine), each compared with the
#      A side of a pair; caught when compare exits 2 with parallel-compute among the
#      regressions. The goal is at least 19 of 20.
# Usage:
#   scripts/quality.sh [--pairs N] [--trials N] [--grid "SWEEP ARGS"] [--dir DIR] [--compare-args "ARGS"]
#       measures: 2*PAIRS + TRIALS sweeps (default 20, 20, the default sweep: hours)
#   scripts/quality.sh --from DIR [--compare-args "ARGS"]
#       estimates from sweeps already in DIR (s1.csv, s2.csv, ... of one grid, and inj1.csv,
#       ... of parallel-compute with GOBENCH_INJECT_WORK_PERCENT=20 on the same grid): every
#       pair of distinct s files is an A/A trial; a power trial is s_i against s_j whose
#       parallel-compute rows are replaced by inj_k's (their env label cleared, as a code
#       change would leave it), for every i != j and k = j.
# GOBENCH_BIN=PATH uses that gobench instead of building the release one here.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
pairs=20; trials=20; grid=""; dir="results/quality-$(date +%Y%m%d-%H%M%S)"; from=""; compare_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) pairs=$2; shift 2 ;;
    --trials) trials=$2; shift 2 ;;
    --grid) grid=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --from) from=$2; shift 2 ;;
    --compare-args) compare_args=$2; shift 2 ;;
    *) echo "quality.sh: unknown argument $1" >&2; exit 1 ;;
  esac
done
if [ -n "${GOBENCH_BIN:-}" ]; then
  bin=$GOBENCH_BIN  # a gobench already built (its compare is what is measured)
else
  swift build -c release --product gobench >&2 || exit 1
  bin="$(swift build -c release --show-bin-path)/gobench"
fi

# regressed_workloads FILE: the workloads with a regression in a compare CSV, one a line.
regressed_workloads() {
  python3 -c "import csv,sys; print('\n'.join(sorted({r['workload'] for r in csv.DictReader(open(sys.argv[1])) if r['verdict']=='regression'})))" "$1"
}

# trial BASE NEW OUT: runs compare, prints its exit status and the regressed workloads.
trial() {
  # shellcheck disable=SC2086
  "$bin" compare "$1" "$2" --format csv -o "$3" $compare_args >/dev/null 2>&1
  local rc=$?
  echo "$rc $(regressed_workloads "$3" | tr '\n' ' ')"
}

if [ -n "$from" ]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/gobench-quality.XXXXXX") || exit 1
  trap 'rm -rf "$work"' EXIT
  mapfile -t sweeps < <(ls "$from"/s[0-9]*.csv | sort -V)
  aa_total=0; aa_green=0
  for ((i = 0; i < ${#sweeps[@]}; i++)); do
    for ((j = i + 1; j < ${#sweeps[@]}; j++)); do
      set -- $(trial "${sweeps[$i]}" "${sweeps[$j]}" "$work/aa.csv")
      aa_total=$((aa_total + 1)); [ "$1" -eq 0 ] && aa_green=$((aa_green + 1))
      shift; echo "quality.sh: A/A $(basename "${sweeps[$i]}") vs $(basename "${sweeps[$j]}"): regressions in: ${*:-none}" >&2
    done
  done
  p_total=0; p_caught=0
  for ((i = 0; i < ${#sweeps[@]}; i++)); do
    for ((j = 0; j < ${#sweeps[@]}; j++)); do
      [ "$i" -eq "$j" ] && continue
      inj="$from/inj$(basename "${sweeps[$j]}" .csv | tr -dc 0-9).csv"
      [ -f "$inj" ] || continue
      python3 - "${sweeps[$j]}" "$inj" "$work/new.csv" <<'EOF'
import csv, sys
sweep, injected, out = sys.argv[1:]
rows = [r for r in csv.DictReader(open(sweep)) if r['workload'] != 'parallel-compute']
fields = list(csv.DictReader(open(sweep)).fieldnames)
for r in csv.DictReader(open(injected)):
    r['env'] = ''  # a code change, not a setting: the same label as the base
    rows.append(r)
with open(out, 'w', newline='') as f:
    w = csv.DictWriter(f, fieldnames=fields, lineterminator='\n')
    w.writeheader(); w.writerows(rows)
EOF
      set -- $(trial "${sweeps[$i]}" "$work/new.csv" "$work/power.csv")
      rc=$1; shift
      p_total=$((p_total + 1))
      if [ "$rc" -eq 2 ] && [[ " $* " == *" parallel-compute "* ]]; then p_caught=$((p_caught + 1)); fi
      echo "quality.sh: power $(basename "${sweeps[$i]}") vs $(basename "${sweeps[$j]}")+$(basename "$inj"): exit $rc, regressions in: ${*:-none}" >&2
    done
  done
  echo "A/A: compare exited 0 in $aa_green of $aa_total pairs of sweeps"
  echo "Power: a 20% slowdown injected into parallel-compute was caught in $p_caught of $p_total trials"
  exit 0
fi

mkdir -p "$dir"
export GOBENCH_GO_PEER=$(scripts/go-env.sh)
green=0
for i in $(seq 1 "$pairs"); do
  # shellcheck disable=SC2086
  "$bin" sweep $grid --seed "$i" -o "$dir/aa-$i-a.csv" >/dev/null 2>&1
  # shellcheck disable=SC2086
  "$bin" sweep $grid --seed "$((i + 100))" -o "$dir/aa-$i-b.csv" >/dev/null 2>&1
  set -- $(trial "$dir/aa-$i-a.csv" "$dir/aa-$i-b.csv" "$dir/aa-$i.compare.csv")
  [ "$1" -eq 0 ] && green=$((green + 1))
  shift; echo "quality.sh: A/A pair $i: regressions in: ${*:-none}" >&2
done
echo "A/A: compare exited 0 in $green of $pairs pairs of sweeps"
caught=0
for i in $(seq 1 "$trials"); do
  base="$dir/aa-$(( (i - 1) % pairs + 1 ))-a.csv"; new="$dir/power-$i.csv"
  # shellcheck disable=SC2086
  GOBENCH_INJECT_WORK_PERCENT=20 "$bin" sweep $grid --seed "$((i + 200))" -o "$new" >/dev/null 2>&1
  set -- $(trial "$base" "$new" "$dir/power-$i.compare.csv")
  rc=$1; shift
  if [ "$rc" -eq 2 ] && [[ " $* " == *" parallel-compute "* ]]; then caught=$((caught + 1)); fi
  echo "quality.sh: power trial $i: exit $rc, regressions in: ${*:-none}" >&2
done
echo "Power: a 20% slowdown injected into parallel-compute was caught in $caught of $trials trials"
