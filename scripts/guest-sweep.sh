#!/usr/bin/env bash
# The scaling sweep in a guest: boots a static gobench and the Go peer in a QEMU guest with
# more CPUs and NUMA nodes than this machine has (8 vCPUs, 2 nodes by default), runs
# `gobench sweep` there at GOMAXPROCS 8, 16 and 32 with both engines interleaved, brings
# the results CSV out over the serial console and prints `gobench figures` of it.
# For correctness (every run completes) and the shape of the curves: under TCG (no KVM)
# every instruction is emulated, so the absolute figures are no speed reference; the
# swift/go ratios of one guest run are measured the same way on both engines.
# Not part of CI: about 22 minutes under TCG on 2 host cores (the 20-minute sweep budget,
# the boot and the CSV out).
#
# Usage: scripts/guest-sweep.sh [options] [-- SWEEP_ARGS...]
#   -o FILE        the results CSV (default results/guest-8vcpu-2node.csv)
#   --procs L      GOMAXPROCS values (default 8,16,32)
#   --reps N       reps per cell (default 3)
#   --workloads L  (default: the catalog's, less those pinned to GOMAXPROCS 1)
#   --sizes S      guest (default: the sizes below, a fraction of the default sweep's) or
#                  sweep (the default sweep's own)
#   --timeout T    per-run timeout in the guest (default 90s: a run takes 2 to 30 s there)
#   --smp N        vCPUs (default 8, split evenly over the 2 nodes)
#   --memory MB    guest memory (default 4096, split evenly over the 2 nodes)
#   --budget S     seconds the sweep may take in the guest (default 1200): then it is
#                  stopped with SIGTERM, which leaves every finished run in the CSV (the
#                  sweep is interleaved: rep r of every cell before rep r + 1), and the
#                  CSV comes out as after a whole sweep (the runs left are reported)
#   --vm-timeout S seconds the guest may run in all (default: the budget + 900)
#   --binary PATH  a static gobench instead of building one (.build-static)
#   --go-peer PATH the Go peer (default peers/go/bin/gobench-go; must be static)
#   --keep DIR     keep the work directory (initramfs, serial log, outputs) at DIR
#   SWEEP_ARGS     more arguments for `gobench sweep` in the guest (e.g. --param n=1000)
# QEMU runs under `nice -n 5` (GUEST_NICE overrides: GUEST_NICE= for none).
# Exit status: 0 every run ok (a sweep cut short by --budget included); 1 some run not ok
# (crashed, timeout, error: listed), or the guest failed; 2 the set-up failed.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/results/guest-8vcpu-2node.csv
PROCS=8,16,32
REPS=3
WORKLOADS=""
SIZES=guest
RUN_TIMEOUT=90s
SMP=8
MEMORY_MB=4096
BUDGET=1200
VM_TIMEOUT=""
BINARY=""
GO_PEER=$ROOT/peers/go/bin/gobench-go
KEEP=""
EXTRA=()
while [ $# -gt 0 ]; do
    case "$1" in
        -o) OUT=${2:?-o needs a file}; shift 2 ;;
        --procs) PROCS=${2:?--procs needs a list}; shift 2 ;;
        --reps) REPS=${2:?--reps needs a number}; shift 2 ;;
        --workloads) WORKLOADS=${2:?--workloads needs a list}; shift 2 ;;
        --sizes) SIZES=${2:?--sizes needs guest or sweep}; shift 2 ;;
        --timeout) RUN_TIMEOUT=${2:?--timeout needs a duration}; shift 2 ;;
        --smp) SMP=${2:?--smp needs a number}; shift 2 ;;
        --memory) MEMORY_MB=${2:?--memory needs megabytes}; shift 2 ;;
        --budget) BUDGET=${2:?--budget needs seconds}; shift 2 ;;
        --vm-timeout) VM_TIMEOUT=${2:?--vm-timeout needs seconds}; shift 2 ;;
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --go-peer) GO_PEER=${2:?--go-peer needs a path}; shift 2 ;;
        --keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
        --) shift; EXTRA=("$@"); break ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "guest-sweep: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$VM_TIMEOUT" ] || VM_TIMEOUT=$((${BUDGET//[!0-9]/} + 900))
for pair in "reps:$REPS" "smp:$SMP" "memory:$MEMORY_MB" "budget:$BUDGET" "vm-timeout:$VM_TIMEOUT"; do
    case "${pair#*:}" in ''|*[!0-9]*|0) echo "guest-sweep: error: --${pair%%:*} '${pair#*:}' is not a positive number" >&2; exit 2 ;; esac
done
[ $((SMP % 2)) -eq 0 ] || { echo "guest-sweep: error: --smp $SMP is odd: the 2 nodes get half each" >&2; exit 2; }
case "$SIZES" in guest|sweep) ;; *) echo "guest-sweep: error: --sizes '$SIZES' is not guest or sweep" >&2; exit 2 ;; esac
case "$PROCS$WORKLOADS$RUN_TIMEOUT" in *[!A-Za-z0-9,.:-]*) echo "guest-sweep: error: --procs, --workloads and --timeout take letters, digits and , . : - only" >&2; exit 2 ;; esac

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILURES=$((FAILURES + 1)); }
die() { echo "FAIL setup: $*"; exit 2; }
note() { echo "---- $*"; }
FAILURES=0

# The guest's sizes: the default sweep's (`gobench list`) divided so that one run of each
# workload at GOMAXPROCS 32 takes seconds under TCG, not minutes. Recorded in every row
# (the params column).
GUEST_PARAMS=(
    spawn-storm.n=20000
    live-goroutines.n=10000
    steal-imbalance.n=20000
    gosched-pingpong.n=20000
    chan-pingpong.n=10000
    chan-prodcons.n=40000
    syscall-heavy.n=100
    locked-thread.n=500
    mutex-contention.n=100000
    timer-storm.n=2000
    timer-storm.rounds=2
    parallel-compute.work=10000000
    scavenger-burst.n=10000
    select.n=40000
)
# Pinned to GOMAXPROCS 1 (the catalog's deep-recursion and pingpong-hog): nothing to scale.
DEFAULT_WORKLOADS=spawn-storm,live-goroutines,steal-imbalance,gosched-pingpong,chan-pingpong,chan-prodcons,syscall-heavy,locked-thread,mutex-contention,timer-storm,parallel-compute,scavenger-burst,select
[ -n "$WORKLOADS" ] || WORKLOADS=$DEFAULT_WORKLOADS

if [ -n "$KEEP" ]; then
    WORK=$KEEP; mkdir -p "$WORK" || die "cannot create $WORK"
else
    WORK=$(mktemp -d /tmp/gobench-guest-sweep.XXXXXX) || die "mktemp failed"
    trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$(dirname "$OUT")" || die "cannot create the directory of $OUT"

# shellcheck source=vm/lib.sh
. "$ROOT/scripts/vm/lib.sh"
VM_NICE=${GUEST_NICE-nice -n 5}

vm_install_tools
if [ -z "$BINARY" ]; then vm_build_static; fi
[ -x "$BINARY" ] || die "no executable at $BINARY"
vm_check_static "$BINARY"
[ -x "$GO_PEER" ] || die "no Go peer at $GO_PEER (scripts/go-env.sh builds it)"
file -L "$GO_PEER" | grep -q 'statically linked' || die "the Go peer $GO_PEER is not statically linked (CGO_ENABLED=0 builds it so)"
[ "$FAILURES" -eq 0 ] || die "the binary cannot run in the guest"

# The guest's one check: the topology it sees, then the sweep, then the CSV as gzip in
# base64 (a quarter of the bytes on the serial line) with its checksum.
sweep_args=(sweep --engines swift,go --procs "$PROCS" --reps "$REPS" --workloads "$WORKLOADS" --scavenge off
            --timeout "$RUN_TIMEOUT" --go-peer /bin/gobench-go -o /tmp/guest.csv)
[ "$SIZES" = guest ] && for p in "${GUEST_PARAMS[@]}"; do sweep_args+=(--param "$p"); done
sweep_args+=("${EXTRA[@]}")
mkdir -p "$WORK/checks"
{
    echo "# Generated by scripts/guest-sweep.sh."
    echo "hostname gobench-guest"
    echo "run topology gobench topology --format json"
    printf 'run sweep-plan gobench'; printf ' %q' "${sweep_args[@]}" --dry-run; echo
    echo 'start=$(date +%s)'
    printf 'run sweep timeout -s TERM %s gobench' "$BUDGET"; printf ' %q' "${sweep_args[@]}"; echo
    echo 'echo "GOBENCH-VM-INFO sweep_seconds=$(($(date +%s) - start))"'
    echo "run csv-md5 md5sum /tmp/guest.csv"
    echo "run csv sh -c 'gzip -c /tmp/guest.csv | base64'"
} >"$WORK/checks/10-sweep.sh"
note "guest sweep: gobench ${sweep_args[*]}"
vm_pack_initramfs "$WORK/checks" "$GO_PEER" bin/gobench-go
vm_pick_accel

LOG=$WORK/serial.log
half=$((SMP / 2)) node_mb=$((MEMORY_MB / 2))
note "booting ($ACCEL, -smp $SMP -m ${MEMORY_MB}M, 2 nodes of $half CPUs and $node_mb MiB; serial log $LOG)"
started=$SECONDS
vm_boot "$LOG" "$WORK/qemu.log" "$VM_TIMEOUT" -smp "$SMP" -m "${MEMORY_MB}M" \
    -object "memory-backend-ram,id=m0,size=${node_mb}M" -numa "node,nodeid=0,cpus=0-$((half - 1)),memdev=m0" \
    -object "memory-backend-ram,id=m1,size=${node_mb}M" -numa "node,nodeid=1,cpus=$half-$((SMP - 1)),memdev=m1" \
    -numa dist,src=0,dst=1,val=21
status=$?
elapsed=$((SECONDS - started))
if [ $status -eq 124 ]; then
    fail "guest: did not finish within ${VM_TIMEOUT}s (serial log: $LOG; the last lines: $(tail -3 "$LOG" | tr '\n' ' '))"
    exit 1
fi
grep -q '^GOBENCH-VM-END' "$LOG" || { fail "guest: no end marker (qemu exit $status: $(tail -2 "$WORK/qemu.log" | tr '\n' ' '); serial: $(tail -3 "$LOG" | tr '\n' ' '))"; exit 1; }
pass "guest: booted and ran the sweep in ${elapsed}s ($(grep GOBENCH-VM-INFO "$LOG" | cut -d' ' -f2- | tr '\n' ' '))"

for name in topology sweep-plan sweep csv-md5 csv; do vm_section "$LOG" "$name" "$WORK/$name.out" "$WORK/$name.rc"; done
note "guest topology: $(grep -oE '"topology_signature" *: *"[^"]*"' "$WORK/topology.out")"
note "guest plan: $(head -1 "$WORK/sweep-plan.out")"
sweep_rc=$(cat "$WORK/sweep.rc")
base64 -d "$WORK/csv.out" 2>/dev/null | gunzip -c >"$WORK/guest.csv" 2>/dev/null \
    || { fail "csv: cannot decode the CSV from the serial log ($WORK/csv.out)"; exit 1; }
want=$(cut -d' ' -f1 "$WORK/csv-md5.out")
got=$(md5sum "$WORK/guest.csv" | cut -d' ' -f1)
[ -n "$want" ] && [ "$want" = "$got" ] || { fail "csv: checksum $got, the guest's $want"; exit 1; }
cp "$WORK/guest.csv" "$OUT" || die "cannot write $OUT"
pass "csv: $(($(wc -l <"$OUT") - 1)) rows to $OUT (checksum as in the guest)"

# Correctness: every run ok. (status is column 11; the error column may hold commas, so
# the rows that are not ok are listed whole.) A sweep stopped by the budget (exit 143,
# SIGTERM) is not a failure of the runs it finished.
runs=$(awk -F, 'NR > 1 { print $2 }' "$OUT" | sort -u | wc -l)
bad=$(awk -F, 'NR > 1 && $11 != "ok" { print }' "$OUT")
case "$sweep_rc" in
    0|3) ;;
    143) note "budget: the sweep was stopped after ${BUDGET}s with $runs runs done (the plan: $(head -1 "$WORK/sweep-plan.out")): the CSV holds the finished runs" ;;
    *) fail "runs: gobench sweep exit status $sweep_rc: $(tail -5 "$WORK/sweep.out" | tr '\n' ' ' | cut -c1-600)" ;;
esac
if [ -z "$bad" ]; then
    pass "runs: all $runs runs ok"
else
    fail "runs: $(printf '%s\n' "$bad" | wc -l) of $runs runs not ok:"
    printf '%s\n' "$bad" | cut -c1-400
fi

"$BINARY" figures "$OUT" || fail "figures: gobench figures $OUT failed"
echo "guest-sweep: ${elapsed}s in the guest ($ACCEL, $SMP vCPUs, 2 nodes); results in $OUT"
[ "$FAILURES" -eq 0 ]
