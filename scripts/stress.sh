#!/usr/bin/env bash
# Runs the runtime's randomized stress suite (Tests/RuntimeTests/StressTests.swift) and the
# 1,000,000-goroutine spawn storm (SpawnStormTests) in a release build, for a time budget.
#
# usage: scripts/stress.sh [--all] [--debug]
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
while [ $# -gt 0 ]; do
    case "$1" in
        --all) export GOBENCH_RUN_KNOWN_BUGS=1; shift ;;
        --debug) CONFIGURATION=debug; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "stress.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
    esac
done

SECONDS_BUDGET=${GOBENCH_STRESS_SECONDS:-30}
case "$SECONDS_BUDGET" in
    ''|*[!0-9.]*) echo "stress.sh: GOBENCH_STRESS_SECONDS must be a positive number of seconds, not \"$SECONDS_BUDGET\"" >&2; exit 2 ;;
esac
export GOBENCH_STRESS_SECONDS=$SECONDS_BUDGET
SCRATCH=${SCRATCH:-.build-stress}

echo "stress.sh: $CONFIGURATION build in $SCRATCH, ${GOBENCH_STRESS_SECONDS} s per stress test, known bugs ${GOBENCH_RUN_KNOWN_BUGS:-0}"
# Testable imports in release need -enable-testing (the tests read the scheduler's state).
swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH" --build-tests -Xswiftc -enable-testing
start=$(date +%s)
status=0
swift test -c "$CONFIGURATION" --scratch-path "$SCRATCH" --skip-build \
    --filter 'RuntimeTests\.(StressTests|SpawnStormTests)' 2>&1 | tee "${TMPDIR:-/tmp}/gobench-stress.log" || status=$?
end=$(date +%s)
grep -E '^StressTests\[' "${TMPDIR:-/tmp}/gobench-stress.log" || true
echo "stress.sh: $((end - start)) s of tests, status $status (log: ${TMPDIR:-/tmp}/gobench-stress.log)"
exit $status
