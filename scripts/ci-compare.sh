#!/usr/bin/env bash
# ci-compare.sh: the CI recipe for performance changes. Builds the base revision (a git
# worktree of --base) and the working tree, runs the same sweep with both in this one job,
# interleaved rep by rep so that machine drift hits both sides alike, then runs
# `gobench compare` (the change's build) and prints its Markdown, for a pull-request comment.
#
# Usage: scripts/ci-compare.sh [--base REF] [--workloads LIST] [--engines LIST] [--procs LIST]
#          [--reps N] [--thresholds FILE] [--work-dir DIR] [--configuration release|debug]
#          [--no-interleave] [-- EXTRA SWEEP ARGUMENTS]
#   --base REF        the revision to compare against (default: main)
#   --workloads ...   passed to `gobench sweep` (defaults: chan-pingpong,spawn-storm,
#                     steal-imbalance,mutex-contention; swift; 1,2; 10 reps)
#   --thresholds F    default results/thresholds.csv of the change, when it exists
#   --work-dir DIR    where the worktree, builds, CSVs and compare.md go
#                     (default .build-ci-compare, ignored by git)
#   --no-interleave   run every base rep, then every new rep (for a base whose sweep lacks --resume)
#
# Exit status: that of gobench compare: 0 no regression, 2 regression, 3 incomparable
# results; 1 for a usage, build or sweep set-up error (compare's own 1 also means bad input).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

fail() { echo "ci-compare.sh: $*" >&2; exit 1; }
say() { echo "ci-compare.sh: $*" >&2; }

base_ref=main
workloads=chan-pingpong,spawn-storm,steal-imbalance,mutex-contention
engines=swift
procs=1,2
reps=10
thresholds=""
work="$root/.build-ci-compare"
configuration=release
interleave=1
extra=()

while [ $# -gt 0 ]; do
  case "$1" in
    --base) base_ref=${2:?--base needs a revision}; shift 2 ;;
    --workloads) workloads=${2:?--workloads needs a list}; shift 2 ;;
    --engines) engines=${2:?--engines needs a list}; shift 2 ;;
    --procs) procs=${2:?--procs needs a list}; shift 2 ;;
    --reps) reps=${2:?--reps needs a number}; shift 2 ;;
    --thresholds) thresholds=${2:?--thresholds needs a file}; shift 2 ;;
    --work-dir) work=${2:?--work-dir needs a folder}; shift 2 ;;
    --configuration) configuration=${2:?--configuration needs release or debug}; shift 2 ;;
    --no-interleave) interleave=0; shift ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

[[ "$reps" =~ ^[1-9][0-9]*$ ]] || fail "--reps is '$reps', expected a positive integer"
[ "$configuration" = release ] || [ "$configuration" = debug ] || fail "--configuration is '$configuration', expected release or debug"
[ "$reps" -ge 4 ] || say "warning: $reps reps a side cannot reach p < 0.05; compare will say so"
if [ -z "$thresholds" ] && [ -f "$root/results/thresholds.csv" ]; then
  thresholds="$root/results/thresholds.csv"
fi
command -v swift >/dev/null || fail "swift is not in PATH"
base_commit=$(git rev-parse --verify --quiet "$base_ref^{commit}") || fail "--base '$base_ref' is not a revision of this repository"

mkdir -p "$work"
work=$(cd "$work" && pwd)
tree="$work/base"

# The base revision in its own worktree, removed again on exit.
cleanup() { git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
rm -rf "$tree"
git worktree add --detach --quiet "$tree" "$base_commit" || fail "git worktree add $base_ref failed"
say "base is $base_ref ($(git rev-parse --short "$base_commit")), new is the working tree of $(git rev-parse --short HEAD)"
# The base builds its Go peer with the same project-local toolchain.
if [ -d "$root/.venv" ] && [ ! -e "$tree/.venv" ]; then ln -s "$root/.venv" "$tree/.venv"; fi

build() {  # build NAME PACKAGE_DIR -> prints the gobench binary path
  local name=$1 package=$2 scratch="$work/build-$1"
  say "building $name ($configuration)"
  swift build -c "$configuration" --package-path "$package" --scratch-path "$scratch" >&2 \
    || fail "swift build of $name failed"
  local bin
  bin="$(swift build -c "$configuration" --package-path "$package" --scratch-path "$scratch" --show-bin-path)/gobench"
  [ -x "$bin" ] || fail "no gobench binary for $name at $bin"
  echo "$bin"
}
base_bin=$(build base "$tree")
new_bin=$(build new "$root")

# Each side's Go peer, built from its own sources.
base_peer=() new_peer=()
if [[ ",$engines," == *",go,"* ]]; then
  p=$("$tree/scripts/go-env.sh") || fail "the base's scripts/go-env.sh could not build its Go peer"
  base_peer=(--go-peer "$p")
  p=$("$root/scripts/go-env.sh") || fail "scripts/go-env.sh could not build the Go peer"
  new_peer=(--go-peer "$p")
fi

base_csv="$work/base.csv"
new_csv="$work/new.csv"
rm -f "$base_csv" "$new_csv"
common=(--workloads "$workloads" --engines "$engines" --procs "$procs" --seed 1)

sweep() {  # sweep BIN CSV REPS RESUME PEER... ; a sweep with failed runs (status 3) still counts
  local bin=$1 csv=$2 n=$3 resume=$4; shift 4
  local status=0
  local args=("${common[@]}" --reps "$n" -o "$csv")
  [ "$resume" = 1 ] && args+=(--resume)
  "$bin" sweep "${args[@]}" "$@" ${extra[@]+"${extra[@]}"} >&2 || status=$?
  case $status in
    0|3) ;;
    *) fail "gobench sweep ($bin) exited $status" ;;
  esac
}

if [ "$interleave" = 1 ]; then
  # Rep r of both sides before rep r+1: --resume with --reps r runs only the missing rep.
  for ((r = 1; r <= reps; r++)); do
    say "rep $r of $reps"
    resume=0; [ "$r" -gt 1 ] && resume=1
    sweep "$base_bin" "$base_csv" "$r" "$resume" ${base_peer[@]+"${base_peer[@]}"}
    sweep "$new_bin" "$new_csv" "$r" "$resume" ${new_peer[@]+"${new_peer[@]}"}
  done
else
  sweep "$base_bin" "$base_csv" "$reps" 0 ${base_peer[@]+"${base_peer[@]}"}
  sweep "$new_bin" "$new_csv" "$reps" 0 ${new_peer[@]+"${new_peer[@]}"}
fi

rm -f "$work/compare.md"
compare_args=("$base_csv" "$new_csv" --format markdown --output "$work/compare.md")
[ -n "$thresholds" ] && compare_args+=(--thresholds "$thresholds")
status=0
"$new_bin" compare "${compare_args[@]}" || status=$?
[ -f "$work/compare.md" ] && [ "$status" -ne 1 ] && cat "$work/compare.md"
say "results: $base_csv $new_csv; comparison: $work/compare.md; exit $status"
exit "$status"
