#!/usr/bin/env bash
# quality.sh: how much to trust `gobench compare` as a CI gate on this machine.
# A trial is three sweeps of one build measured interleaved, rep r of each before rep r+1 (as
# scripts/ci-compare.sh runs base and new): A and B plain, N with a 20% slowdown injected
# into one workload (parallel-compute, GOBENCH_INJECT_WORK_PERCENT=20: real extra work,
# swift engine).
#   1. False alarms (A/A): compare A B with the default gate; the goal is exit 0 in at least
#      19 of 20 trials.
#   2. Power: compare A N and B N; caught when compare exits 2 with parallel-compute among
#      the regressions. The goal is at least 19 of 20.
# Usage:
#   scripts/quality.sh [--pairs N] [--trials N] [--grid "SWEEP ARGS"] [--dir DIR] [--compare-args "ARGS"]
#       measures max(PAIRS, TRIALS) trials (default 20: 60 sweeps of --grid, the default
#       sweep unless given, 5 reps a side unless --grid has --reps), then analyses them.
#   scripts/quality.sh --from DIR [--compare-args "ARGS"]
#       analyses sweeps already in DIR: the trials a1.csv b1.csv n1.csv, ... above; or, when
#       DIR has no a*.csv, separate sweeps s1.csv, s2.csv, ... of one grid and inj1.csv, ...
#       of parallel-compute alone with GOBENCH_INJECT_WORK_PERCENT=20 on the same grid, each
#       run right after its s file: every pair of distinct s files is an A/A trial (measured
#       at different times, not interleaved); a power trial is s_i against s_j whose
#       parallel-compute rows are replaced by inj_j's (their env label cleared, as a code
#       change would leave it), for every i != j.
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

if [ -n "$from" ] && ls "$from"/a[0-9]*.csv >/dev/null 2>&1; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/gobench-quality.XXXXXX") || exit 1
  trap 'rm -rf "$work"' EXIT
  aa_total=0; aa_green=0; p_total=0; p_caught=0
  for a in $(ls "$from"/a[0-9]*.csv | sort -V); do
    t=$(basename "$a" .csv | tr -dc 0-9); b="$from/b$t.csv"; n="$from/n$t.csv"
    if [ -f "$b" ]; then
      set -- $(trial "$a" "$b" "$work/aa.csv")
      aa_total=$((aa_total + 1)); [ "$1" -eq 0 ] && aa_green=$((aa_green + 1))
      shift; echo "quality.sh: A/A a$t vs b$t (interleaved): regressions in: ${*:-none}" >&2
    fi
    for side in "$a" "$b"; do
      [ -f "$side" ] && [ -f "$n" ] || continue
      set -- $(trial "$side" "$n" "$work/power.csv")
      rc=$1; shift
      p_total=$((p_total + 1))
      if [ "$rc" -eq 2 ] && [[ " $* " == *" parallel-compute "* ]]; then p_caught=$((p_caught + 1)); fi
      echo "quality.sh: power $(basename "$side" .csv) vs n$t (interleaved): exit $rc, regressions in: ${*:-none}" >&2
    done
  done
  echo "A/A: compare exited 0 in $aa_green of $aa_total interleaved pairs of sweeps"
  echo "Power: a 20% slowdown injected into parallel-compute was caught in $p_caught of $p_total interleaved trials"
  exit 0
fi

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
reps=5
# The sweep's own --reps in --grid, if given, sets the reps of each side.
if [[ " $grid " =~ \ --reps\ ([0-9]+) ]]; then reps=${BASH_REMATCH[1]}; grid=${grid/--reps ${BASH_REMATCH[1]}/}; fi
trials=$(( pairs > trials ? pairs : trials ))
for t in $(seq 1 "$trials"); do
  # Rep r of A, B and N before rep r+1 (as scripts/ci-compare.sh interleaves base and new).
  for r in $(seq 1 "$reps"); do
    resume=""; [ "$r" -gt 1 ] && resume=--resume
    # shellcheck disable=SC2086
    "$bin" sweep $grid --reps "$r" $resume --seed "$t" -o "$dir/a$t.csv" >/dev/null 2>&1
    # shellcheck disable=SC2086
    "$bin" sweep $grid --reps "$r" $resume --seed "$t" -o "$dir/b$t.csv" >/dev/null 2>&1
    # shellcheck disable=SC2086
    GOBENCH_INJECT_WORK_PERCENT=20 "$bin" sweep $grid --reps "$r" $resume --seed "$t" -o "$dir/n$t.csv" >/dev/null 2>&1
  done
  echo "quality.sh: trial $t of $trials measured" >&2
done
GOBENCH_BIN=$bin exec bash "$root/scripts/quality.sh" --from "$dir" ${compare_args:+--compare-args "$compare_args"}
