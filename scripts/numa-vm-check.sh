#!/usr/bin/env bash
# The multi-node check: boots a static gobench in QEMU guests with known NUMA topologies
# and checks that `gobench topology` detects exactly what QEMU was told.
#
# Usage: scripts/numa-vm-check.sh [--binary PATH] [--vm-timeout SECONDS] [--only 2node|4node] [--keep DIR]
#   --binary      use this static gobench instead of building one
#   --vm-timeout  seconds each guest may run before it counts as failed (default 420)
#   --only        run one topology
#   --keep        keep the work directory (initramfs, serial logs, outputs) at DIR
#
# Steps: install what is missing (apt-get: qemu-system-x86, linux-image-amd64,
# busybox-static, libnuma-dev); build gobench fully static and check that libnuma.a is
# linked in; pack an initramfs of busybox, gobench, scripts/vm/init.sh and
# scripts/vm/checks/*.sh; boot the Debian kernel with -accel kvm when KVM works and
# -accel tcg otherwise; cut each command's output from the serial log (markers of
# scripts/vm/init.sh) and verify it. Prints PASS/FAIL lines; exits 1 when any check
# fails, 2 when the set-up fails. A guest whose kernel does not reach init within 150 s
# is booted once more; a guest command that runs past its limit (scripts/vm/init.sh) is
# a FAIL that prints the goroutine dump its SIGQUIT gave; a guest that runs past
# --vm-timeout is a FAIL that prints the last lines of its console.
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BINARY=""
VM_TIMEOUT=420
BOOT_LIMIT=${GOBENCH_VM_BOOT_LIMIT:-150} # seconds for a guest to reach init (env: for testing this path)
ONLY=""
KEEP=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --vm-timeout) VM_TIMEOUT=${2:?--vm-timeout needs seconds}; shift 2 ;;
        --only) ONLY=${2:?--only needs 2node or 4node}; shift 2 ;;
        --keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "numa-vm-check: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case "$VM_TIMEOUT" in ''|*[!0-9]*) echo "numa-vm-check: error: --vm-timeout '$VM_TIMEOUT' is not a number of seconds" >&2; exit 2 ;; esac
case "$ONLY" in ''|2node|4node) ;; *) echo "numa-vm-check: error: --only '$ONLY' is not 2node or 4node" >&2; exit 2 ;; esac

FAILURES=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; FAILURES=$((FAILURES + 1)); }
die() { echo "FAIL setup: $*"; exit 2; }
note() { echo "---- $*"; }

if [ -n "$KEEP" ]; then
    WORK=$KEEP; mkdir -p "$WORK" || die "cannot create $WORK"
else
    WORK=$(mktemp -d /tmp/gobench-numa-vm.XXXXXX) || die "mktemp failed"
    trap 'rm -rf "$WORK"' EXIT
fi

# shellcheck source=vm/lib.sh
. "$ROOT/scripts/vm/lib.sh"

# ---- 1. tools ---------------------------------------------------------------------------
vm_install_tools

# ---- 2. the static binary ---------------------------------------------------------------
[ -z "$BINARY" ] && vm_build_static
[ -x "$BINARY" ] || die "no executable at $BINARY"
vm_check_static "$BINARY"

# ---- 3. the initramfs -------------------------------------------------------------------
vm_pack_initramfs "$ROOT/scripts/vm/checks"

# ---- 4. KVM or TCG ----------------------------------------------------------------------
vm_pick_accel

# ---- 5. boot and verify -----------------------------------------------------------------
# field JSON KEY: the first value of "KEY" in a JSON output (strings unquoted).
field() { grep -m1 -oE "\"$2\" *: *(\"[^\"]*\"|[^,}]*)" "$1" | sed -E 's/^"[^"]*" *: *//; s/^"//; s/"$//; s/ *$//'; }
# section NAME: the output of one command from the serial log; rc of it in $WORK/$VM.NAME.rc
section() { vm_section "$LOG" "$1" "$WORK/$VM.$1.out" "$WORK/$VM.$1.rc"; }
rc_of() { cat "$WORK/$VM.$1.rc"; }

# boot_vm NAME EXPECTED_SIGNATURE NODE_MEMORY_MB QEMU_NUMA_ARGS...
boot_vm() {
    VM=$1; local expected=$2 node_memory_mb=$3; shift 3
    LOG=$WORK/$VM.serial.log
    note "$VM: booting ($ACCEL, -smp 4 -m 2G, expecting $expected)"
    local started=$SECONDS status attempt waited pid
    # The kernel reaches the guest's init in about 10 s under TCG. A guest that has not
    # printed GOBENCH-VM-BEGIN within BOOT_LIMIT seconds is stuck in the kernel's boot,
    # before any gobench code ran: it is stopped and booted once more (said in the output).
    for attempt in 1 2; do
        rm -f "$LOG"
        vm_boot "$LOG" "$WORK/$VM.qemu.log" "$VM_TIMEOUT" -smp 4 -m 2G "$@" &
        pid=$!
        waited=0
        while kill -0 "$pid" 2>/dev/null && ! grep -q '^GOBENCH-VM-BEGIN' "$LOG" 2>/dev/null \
              && [ $waited -lt "$BOOT_LIMIT" ]; do
            sleep 1; waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null && ! grep -q '^GOBENCH-VM-BEGIN' "$LOG" 2>/dev/null; then
            pkill -TERM -P "$pid" 2>/dev/null
            wait "$pid"
            note "$VM: no init after ${BOOT_LIMIT}s (try $attempt; serial: $(tail -3 "$LOG" 2>/dev/null | tr '\n' ' '))"
            [ $attempt = 1 ] && { note "$VM: booting again"; continue; }
            fail "$VM: the guest's kernel did not reach init within ${BOOT_LIMIT}s, twice"
            return
        fi
        wait "$pid"
        status=$?
        break
    done
    if [ $status -eq 124 ]; then
        fail "$VM: the guest did not finish within ${VM_TIMEOUT}s (serial log: $LOG); its last lines:"
        tail -40 "$LOG" 2>/dev/null | sed 's/^/    | /'
        return
    fi
    # A command that ran out of its time in the guest (scripts/vm/init.sh): named, with the
    # goroutine and scheduler dump its SIGQUIT printed.
    local hung
    for hung in $(grep -oE '^GOBENCH-VM-CMD-TIMEOUT [^ ]+' "$LOG" | cut -d' ' -f2); do
        fail "$VM: $hung did not finish within the guest's limit per command; its output:"
        section "$hung"
        head -150 "$WORK/$VM.$hung.out" | sed 's/^/    | /'
    done
    if ! grep -q '^GOBENCH-VM-END' "$LOG" 2>/dev/null; then
        fail "$VM: no end marker (qemu exit $status: $(tail -2 "$WORK/$VM.qemu.log" | tr '\n' ' '); serial: $(tail -3 "$LOG" 2>/dev/null | tr '\n' ' '))"
        return
    fi
    pass "$VM: booted and ran the checks in $((SECONDS - started))s ($(grep -m1 GOBENCH-VM-INFO "$LOG" | cut -d' ' -f2-))"
    for name in topology-json topology-text self-check-compact self-check-spread self-check-none \
                affinity-json gomaxprocs-env gomaxprocs-bad nodes-missing quota-json \
                placement-compact placement-spread steals-none-2 steals-compact-2 pingpong-none-2 \
                pingpong-compact-2 steals-none-4 steals-compact-4 pingpong-none-4 pingpong-compact-4; do
        section "$name"
    done
    verify "$expected" "$node_memory_mb"
}

verify() {
    local expected=$1 node_memory_mb=$2 out signature value
    out=$WORK/$VM.topology-json.out
    if [ "$(rc_of topology-json)" = 0 ] && [ "$(field "$out" source)" = libnuma ]; then
        pass "$VM: topology read through libnuma"
    else
        fail "$VM: topology-json rc=$(rc_of topology-json) source=$(field "$out" source): $(head -c 300 "$out")"
    fi
    signature=$(field "$out" topology_signature)
    [ "$signature" = "$expected" ] && pass "$VM: nodes, CPUs and distances are the configured ones ($signature)" \
        || fail "$VM: detected topology '$signature', configured '$expected'"
    # Node memory: the kernel keeps some, so accept 75-100 % of what QEMU gave each node.
    local low=$((node_memory_mb * 1024 * 1024 * 3 / 4)) high=$((node_memory_mb * 1024 * 1024)) bad=""
    for value in $(grep -oE '"memory_total_bytes" *: *[0-9]+' "$out" | grep -oE '[0-9]+$'); do
        { [ "$value" -ge "$low" ] && [ "$value" -le "$high" ]; } || bad="$bad $value"
    done
    local counted=$(grep -cE '"memory_total_bytes" *: *[0-9]+' "$out")
    local nodes=$(($(echo "$expected" | cut -d/ -f1 | tr -cd ':' | wc -c) + 1))
    [ -z "$bad" ] && [ "$counted" = "$nodes" ] && pass "$VM: every node has about ${node_memory_mb} MiB" \
        || fail "$VM: node memory outside 75-100 % of ${node_memory_mb} MiB or missing:$bad (found $counted of $nodes)"
    [ "$(field "$out" default_gomaxprocs)" = 4 ] && pass "$VM: default GOMAXPROCS 4 (all CPUs, no quota)" \
        || fail "$VM: default GOMAXPROCS $(field "$out" default_gomaxprocs), expected 4"
    grep -q '^placement: spread, 4 Ps' "$WORK/$VM.topology-text.out" && pass "$VM: text format prints the placement" \
        || fail "$VM: text format: $(head -c 300 "$WORK/$VM.topology-text.out")"

    for policy in compact spread none; do
        out=$WORK/$VM.self-check-$policy.out
        local passed=$(grep -cE '"status" *: *"passed"' "$out") failed=$(grep -cE '"status" *: *"failed"' "$out")
        if [ "$(rc_of self-check-$policy)" = 0 ] && [ "$failed" = 0 ] && [ "$passed" -ge 2 ]; then
            pass "$VM: self-check $policy: $passed checks passed (binding read back, memory on its node)"
        else
            fail "$VM: self-check $policy rc=$(rc_of self-check-$policy) passed=$passed failed=$failed: $(grep -A1 '"failed"' "$out" | head -c 400)"
        fi
    done

    out=$WORK/$VM.affinity-json.out
    [ "$(field "$out" affinity)" = 1-2 ] && [ "$(field "$out" default_gomaxprocs)" = 2 ] \
        && pass "$VM: taskset -c 1-2 narrows the mask and GOMAXPROCS to 2" \
        || fail "$VM: under taskset -c 1-2: affinity $(field "$out" affinity), GOMAXPROCS $(field "$out" default_gomaxprocs)"
    out=$WORK/$VM.gomaxprocs-env.out
    [ "$(field "$out" default_gomaxprocs)" = 5 ] && pass "$VM: GOMAXPROCS=5 wins" \
        || fail "$VM: with GOMAXPROCS=5 got $(field "$out" default_gomaxprocs)"
    out=$WORK/$VM.gomaxprocs-bad.out
    [ "$(rc_of gomaxprocs-bad)" = 1 ] && [ "$(wc -l <"$out")" = 1 ] && grep -q "GOMAXPROCS must be an integer" "$out" \
        && pass "$VM: GOMAXPROCS=x is one clear error line, exit 1" \
        || fail "$VM: GOMAXPROCS=x: rc=$(rc_of gomaxprocs-bad): $(head -c 300 "$out")"
    out=$WORK/$VM.nodes-missing.out
    [ "$(rc_of nodes-missing)" = 1 ] && grep -q "node 9 does not exist" "$out" \
        && pass "$VM: --placement nodes=9 names the missing node, exit 1" \
        || fail "$VM: --placement nodes=9: rc=$(rc_of nodes-missing): $(head -c 300 "$out")"

    for check in placement-compact placement-spread; do
        out=$WORK/$VM.$check.out
        if [ "$(rc_of $check)" = 0 ] && grep -q "placement-check: passed" "$out"; then
            pass "$VM: $check: every P's M on the P's CPUs, every run queue, goroutine stack and cached free goroutine on the P's node ($(grep -oE 'P[0-9]+ free_goroutines_cached=[0-9]+ on_node=[0-9]+' "$out" | tr '\n' ' '))"
        else
            fail "$VM: $check rc=$(rc_of $check): $(grep -E 'problem|P[0-9]' "$out" | head -c 400)"
        fi
    done
    # remote_steals' value from a result line: a metric object is one {...} with its keys
    # in any order (the child writes them sorted: direction, name, unit, value).
    remote() { grep -oE '\{[^{}]*"name":"remote_steals"[^{}]*\}' "$1" | grep -oE '"value":[0-9]+' | grep -oE '[0-9]+$'; }
    # The comparison runs in the 2-node guest, at one node's worth of Ps (GOMAXPROCS 2),
    # where compact keeps every P on node 0. The 4-node guest has one CPU per node: there
    # every steal crosses nodes under any placement, so its figures are printed, not judged.
    local procs=2
    if [ "$VM" = 4node ]; then
        for pair in steals pingpong; do
            note "$VM: $pair at GOMAXPROCS 4: remote steals compact=$(remote "$WORK/$VM.$pair-compact-4.out") none=$(remote "$WORK/$VM.$pair-none-4.out") (one CPU per node: not judged)"
        done
    fi
    for pair in steals pingpong; do
        [ "$VM" = 4node ] && continue
        local none=$(remote "$WORK/$VM.$pair-none-$procs.out") compact=$(remote "$WORK/$VM.$pair-compact-$procs.out")
        if [ -n "$none" ] && [ -n "$compact" ] && [ "$compact" -lt "$none" ]; then
            pass "$VM: $pair at GOMAXPROCS $procs: compact steals across nodes less than none ($compact < $none remote steals)"
        elif [ -n "$none" ] && [ "$none" = 0 ] && [ "$compact" = 0 ]; then
            pass "$VM: $pair: no remote steals under either placement"
        else
            fail "$VM: $pair at GOMAXPROCS $procs: remote steals compact=${compact:-?} none=${none:-?}: $(head -c 300 "$WORK/$VM.$pair-compact-$procs.out")"
        fi
    done

    out=$WORK/$VM.quota-json.out
    if [ "$(field "$out" quota_us)" = 250000 ] && [ "$(field "$out" period_us)" = 100000 ] \
        && [ "$(field "$out" default_gomaxprocs)" = 3 ]; then
        pass "$VM: cgroup v2 cpu.max 250000/100000 gives GOMAXPROCS 3 ($(field "$out" default_gomaxprocs_rule))"
    else
        fail "$VM: cgroup quota: rc=$(rc_of quota-json) quota=$(field "$out" quota_us) GOMAXPROCS=$(field "$out" default_gomaxprocs): $(head -c 300 "$out")"
    fi
}

if [ -z "$ONLY" ] || [ "$ONLY" = 2node ]; then
    boot_vm 2node "0-1:2-3/10,21:21,10" 1024 \
        -object memory-backend-ram,id=m0,size=1G -numa node,nodeid=0,cpus=0-1,memdev=m0 \
        -object memory-backend-ram,id=m1,size=1G -numa node,nodeid=1,cpus=2-3,memdev=m1 \
        -numa dist,src=0,dst=1,val=21
fi
if [ -z "$ONLY" ] || [ "$ONLY" = 4node ]; then
    # One CPU per node, distances 10 + 10 x |i - j| (a line of four sockets).
    args=()
    for node in 0 1 2 3; do
        args+=(-object "memory-backend-ram,id=m$node,size=512M" -numa "node,nodeid=$node,cpus=$node,memdev=m$node")
    done
    for from in 0 1 2 3; do for to in 0 1 2 3; do
        [ "$from" -lt "$to" ] && args+=(-numa "dist,src=$from,dst=$to,val=$((10 + 10 * (to - from)))")
    done; done
    boot_vm 4node "0:1:2:3/10,20,30,40:20,10,20,30:30,20,10,20:40,30,20,10" 512 "${args[@]}"
fi

if [ "$FAILURES" -eq 0 ]; then
    echo "PASS numa-vm-check: all checks passed ($ACCEL)"
    exit 0
fi
if [ -n "$KEEP" ]; then where="logs in $KEEP"; else where="rerun with --keep DIR to keep the logs"; fi
echo "FAIL numa-vm-check: $FAILURES check(s) failed ($ACCEL; $where)"
exit 1
