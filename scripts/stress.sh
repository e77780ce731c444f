#!/usr/bin/env bash
# Runs the runtime's randomized stress suite (Tests/RuntimeTests/StressTests.swift) and the
# 1,000,000-goroutine spawn storm (SpawnStormTests) in a release build, for a time budget.
#
# usage: scripts/stress.sh [--all] [--debug] [--minutes M] [--random-seed]
#   --minutes M    a total budget of M minutes (the release stress run: --minutes 30), split
#                  between the two stress tests; implies --random-seed unless
#                  GOBENCH_STRESS_SEED is set.
#   --random-seed  a seed drawn from /dev/urandom, printed first: GOBENCH_STRESS_SEED=S with
#                  the same budget replays the run's scripts.
#   --all     also the operations and tests that a filed runtime bug keeps out of the
#             default run (GOBENCH_RUN_KNOWN_BUGS=1; StressTests.operationsBlockedByKnownBugs,
#             empty today: every operation, GOMAXPROCS changes included, is in the mix).
#   --debug   a debug build (quicker to build, 100,000-goroutine storm).
# env:  GOBENCH_STRESS_SECONDS   time budget of each stress test (default 30; CI: 10; long: 3600)
#       GOBENCH_STRESS_SEED      seed of the random scripts (default fixed; printed by the run)
#       GOBENCH_STRESS_STALL_SECONDS  no progress for this long fails the run (default 30)
#       GOBENCH_STRESS_ONLY      comma-separated operations to narrow a failure down
#       GOBENCH_STORM_GOROUTINES goroutines of the spawn storm (default 1,000,000 in release)
#       SCRATCH                  the swift build folder (default .build-stress)
# exit: 0 when every test passed; the test's status otherwise (the seed to reproduce is
#       printed on the "StressTests[...]" lines).
set -euo pipefail
cd "$(dirname "$0")/.."

CONFIGURATION=release
MINUTES=
RANDOM_SEED=0
while [ $# -gt 0 ]; do
    case "$1" in
        --all) export GOBENCH_RUN_KNOWN_BUGS=1; shift ;;
        --debug) CONFIGURATION=debug; shift ;;
        --minutes)
            [ $# -ge 2 ] || { echo "stress.sh: --minutes needs a number of minutes" >&2; exit 2; }
            case "$2" in ''|*[!0-9]*|0) echo "stress.sh: --minutes must be a positive whole number, not \"$2\"" >&2; exit 2 ;; esac
            MINUTES=$2; shift 2 ;;
        --random-seed) RANDOM_SEED=1; shift ;;
        -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
        *) echo "stress.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$MINUTES" ]; then
    # Two stress tests share the budget (the spawn storm takes seconds).
    GOBENCH_STRESS_SECONDS=$((MINUTES * 60 / 2))
    [ -n "${GOBENCH_STRESS_SEED:-}" ] || RANDOM_SEED=1
fi
if [ "$RANDOM_SEED" = 1 ]; then
    GOBENCH_STRESS_SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
    export GOBENCH_STRESS_SEED
fi
SECONDS_BUDGET=${GOBENCH_STRESS_SECONDS:-30}
case "$SECONDS_BUDGET" in
    ''|*[!0-9.]*) echo "stress.sh: GOBENCH_STRESS_SECONDS must be a positive number of seconds, not \"$SECONDS_BUDGET\"" >&2; exit 2 ;;
esac
export GOBENCH_STRESS_SECONDS=$SECONDS_BUDGET
SCRATCH=${SCRATCH:-.build-stress}

echo "stress.sh: $CONFIGURATION build in $SCRATCH, ${GOBENCH_STRESS_SECONDS} s per stress test, seed ${GOBENCH_STRESS_SEED:-default} (replay: GOBENCH_STRESS_SEED=${GOBENCH_STRESS_SEED:-<default>} GOBENCH_STRESS_SECONDS=${GOBENCH_STRESS_SECONDS}), known bugs ${GOBENCH_RUN_KNOWN_BUGS:-0}"
# Testable imports in release need -enable-testing (the tests read the scheduler's state).
swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH" --build-tests -Xswiftc -enable-testing
# The log: a fresh file (mktemp), not a fixed name another user could plant a link at.
LOG=$(mktemp "${TMPDIR:-/tmp}/gobench-stress.XXXXXX.log")
start=$(date +%s)
status=0
swift test -c "$CONFIGURATION" --scratch-path "$SCRATCH" --skip-build \
    --filter 'RuntimeTests\.(StressTests|SpawnStormTests)' 2>&1 | tee "$LOG" || status=$?
end=$(date +%s)
grep -E '^StressTests\[' "$LOG" || true
echo "stress.sh: $((end - start)) s of tests, status $status, seed ${GOBENCH_STRESS_SEED:-default} (log: $LOG)"
exit $status
