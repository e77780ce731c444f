#!/usr/bin/env bash
# ci-recipe-check.sh: runs the commands of the README's CI recipe ("Performance CI at scale":
# the GitHub Actions matrix and the Slurm job array) locally, in the same order, on a tiny
# grid: a baseline sweep in N shards merged (the baseline artifact), the change's sweep in N
# shards (the matrix jobs), merge, compare against the baseline with a Markdown report (the
# final job), which must pass; then the same compare against a copy of the merged file whose
# ns_per_op values are tripled, which must fail with compare's regression status 2.
#
# Usage: scripts/ci-recipe-check.sh [WORK_DIR]   (default: a temporary folder, removed)
# Environment: GOBENCH (default .build/debug/gobench), SHARDS (default 2).
# Exit status: 0 when the recipe behaves as documented, 1 otherwise.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
gobench=${GOBENCH:-$root/.build/debug/gobench}
shards=${SHARDS:-2}
fail() { echo "ci-recipe-check.sh: $*" >&2; exit 1; }
[ -x "$gobench" ] || fail "no gobench binary at $gobench (swift build first, or set GOBENCH)"

if [ $# -ge 1 ]; then work=$1; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
cd "$work"
rm -rf baseline shards merged.csv report.md regressed.csv regressed.md sweep.log

# The commands must be the README's: each step below is checked to appear there.
for step in 'gobench sweep --shard' 'gobench merge merged.csv' 'gobench compare baseline/merged.csv merged.csv' \
            '--shard ${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}'; do
  grep -qF -- "$step" "$root/README.md" || fail "the README's recipe has no '$step'"
done

# A tiny grid in place of the recipe's full default sweep.
grid=(--workloads chan-pingpong,gosched-pingpong --engines swift --procs 1,2 --scavenge off
      --param n=2000 --reps 6 --seed 1)
# Compare with wide thresholds for the unchanged code (this machine is shared and noisy);
# the doctored copy below is 200% slower, far beyond them.
printf 'workload,metric,relative_percent,absolute\n*,*,60,\n' > thresholds.csv

sweep_in_shards() {  # $1: folder
  mkdir -p "$1"
  for i in $(seq 1 "$shards"); do   # the matrix jobs (or array tasks), one per shard
    "$gobench" sweep --shard "$i/$shards" "${grid[@]}" -o "$1/shard-$i.csv" >/dev/null 2>>sweep.log \
      || fail "sweep of shard $i/$shards failed: $(tail -n 3 sweep.log)"
  done
}

# The baseline artifact: the same recipe run earlier on the base revision.
sweep_in_shards baseline
(cd baseline && "$gobench" merge merged.csv shard-*.csv >/dev/null)

# The matrix jobs, then the final job: merge, compare, post the Markdown, fail on regression.
sweep_in_shards shards
"$gobench" merge merged.csv shards/shard-*.csv >/dev/null
cells=$(tail -n +2 merged.csv | cut -d, -f4-9 | sort -u | wc -l)
[ "$cells" -eq 4 ] || fail "merged.csv has $cells cells, expected the 4 of the grid (shards lost or repeated a cell)"
set +e
"$gobench" compare baseline/merged.csv merged.csv --thresholds thresholds.csv --format markdown -o report.md
status=$?
set -e
[ "$status" -eq 0 ] || fail "compare of the unchanged code exited $status (expected 0); report: $(head -c 2000 report.md)"
grep -q '|' report.md || fail "report.md has no Markdown table"

# A regression must fail the job.
python3 - merged.csv regressed.csv <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
header = rows[0]; m = header.index('metric'); v = header.index('value')
for r in rows[1:]:
    if r[m] == 'ns_per_op' and r[v]:
        r[v] = repr(float(r[v]) * 3)
w = csv.writer(open(sys.argv[2], 'w', newline=''), lineterminator='\n')
w.writerows(rows)
PY
set +e
"$gobench" compare baseline/merged.csv regressed.csv --thresholds thresholds.csv --format markdown -o regressed.md
status=$?
set -e
[ "$status" -eq 2 ] || fail "compare of a 3x slower run exited $status (expected 2, a regression)"
echo "ci-recipe-check.sh: ok ($shards shards, $cells cells; unchanged code passes, a 3x slowdown fails with status 2)"
