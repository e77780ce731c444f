#!/usr/bin/env bash
# go-crosscheck.sh: checks the Go peer's ns_per_op against `go test -bench` on the same
# shapes (an independent measurement) and prints both side by side with their ratio.
#
# Usage: scripts/go-crosscheck.sh [-count N] [-procs "1 2"] [SHAPE ...]
# Each shape runs the peer binary N times (default 5) and the matching benchmark of
# peers/go/bench_test.go N times (the equivalent of -count N, but one process each) with
# -benchtime set to the peer's op count, at each GOMAXPROCS, alternating. Both columns
# are medians; the load average is printed, since other work on the machine skews both. A ratio far from 1 means the peer's harness
# (or the benchmark) measures something else than intended.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
count=5
procs_list="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    -count) count="$2"; shift 2 ;;
    -procs) procs_list="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    -*) echo "go-crosscheck.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[[ "$count" =~ ^[1-9][0-9]*$ ]] || { echo "go-crosscheck.sh: -count wants a positive integer" >&2; exit 2; }

binary=$("$root/scripts/go-env.sh")
export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-trimpath GOCACHE="$root/.build-go/cache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root/peers/go" && "$root/.venv/bin/go" test -c -o "$work/peer.test" .) >/dev/null

# Shapes: name | peer workload and params | benchmark | ops per run. @P@ stands for
# GOMAXPROCS, @NP@ for the per-goroutine share of the syscall ops.
shapes=(
  "spawn-storm|spawn-storm n=1000000 mode=single|BenchmarkSpawnStorm|1000000"
  "spawn-chain|spawn-storm n=1000000 mode=chain|BenchmarkSpawnStormChain|1000000"
  "live-goroutines|live-goroutines n=100000|BenchmarkLiveGoroutines|100000"
  "steal-imbalance|steal-imbalance n=100000 work=200|BenchmarkStealImbalance|100000"
  "gosched|gosched-pingpong n=500000 mode=pairs|BenchmarkGosched|1000000"
  "chan-pingpong|chan-pingpong n=200000|BenchmarkChanPingPong|200000"
  "chan-prodcons-0|chan-prodcons n=400000 buffer=0 pairs=@P@|BenchmarkChanProdCons0|400000"
  "chan-prodcons-10|chan-prodcons n=400000 buffer=10 pairs=@P@|BenchmarkChanProdCons10|400000"
  "pingpong-hog|pingpong-hog n=1000000|BenchmarkPingPongHog|1000000"
  "syscall-pipe|syscall-heavy kind=pipe goroutines=@P@ n=@NP@|BenchmarkSyscallPipe|128000"
  "locked-pingpong|locked-thread n=5000 mode=pingpong|BenchmarkLockedPingPong|5000"
  "deep-recursion|deep-recursion depth=1000000 frame=150|BenchmarkDeepRecursion|1000000"
  "mutex|mutex-contention n=1000000 goroutines=0|BenchmarkMutexContention|1000000"
  "parallel-compute|parallel-compute work=200000000 tasks=64|BenchmarkParallelCompute|200000000"
)
if [ $# -gt 0 ]; then
  selected=()
  for want in "$@"; do
    found=""
    for shape in "${shapes[@]}"; do
      [ "${shape%%|*}" = "$want" ] && { selected+=("$shape"); found=1; }
    done
    [ -n "$found" ] || { echo "go-crosscheck.sh: unknown shape $want" >&2; exit 2; }
  done
  shapes=("${selected[@]}")
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$work/results.tsv"
: >"$results"
for shape in "${shapes[@]}"; do
  IFS='|' read -r name peer benchmark ops <<<"$shape"
  for procs in $procs_list; do
    spec=${peer//@P@/$procs}
    spec=${spec//@NP@/$((ops / procs))}
    read -r workload params <<<"$spec"
    args=(-workload "$workload" -procs "$procs" -scavenge off -placement none)
    for param in $params; do args+=(-param "$param"); done
    # Peer and benchmark runs alternate, so that a change in the machine's load hits
    # both columns alike. The benchmark gets one process per run, as the peer does: a
    # fresh heap and fresh stack memory each time (with -test.count N in one process,
    # later runs reuse the first run's memory and skip its page faults).
    # Each process's output is parsed only after it has exited, so that no parser
    # competes with it for the CPUs while it measures.
    for _ in $(seq "$count"); do
      peer_output=$("$binary" "${args[@]}")
      value=$(tail -n 1 <<<"$peer_output" | python3 -c '
import json, sys
line = json.load(sys.stdin)
if line["status"] != "ok":
    sys.exit("peer: " + line.get("error", line["status"]))
print(next(m["value"] for m in line["metrics"] if m["name"] == "ns_per_op"))')
      printf '%s\t%s\tpeer\t%s\n' "$name" "$procs" "$value" >>"$results"
      bench_output=$("$work/peer.test" -test.run '^$' -test.bench "^${benchmark}\$" -test.benchtime "${ops}x" -test.cpu "$procs")
      awk -v name="$name" -v procs="$procs" '$1 ~ /^Benchmark/ { for (i = 3; i <= NF; i++) if ($(i+1) == "ns/op") print name "\t" procs "\tbench\t" $i }' \
        <<<"$bench_output" >>"$results"
    done
  done
done

python3 - "$results" "$count" "$load_before" <<'PY'
import os, statistics, sys
rows = {}
order = []
for line in open(sys.argv[1]):
    name, procs, side, value = line.rstrip("\n").split("\t")
    key = (name, int(procs))
    if key not in rows:
        rows[key] = {"peer": [], "bench": []}
        order.append(key)
    rows[key][side].append(float(value))
count = sys.argv[2]
load_after = " ".join(open("/proc/loadavg").read().split()[:3])
print(f"load average before: {sys.argv[3]}, after: {load_after} ({os.cpu_count()} CPUs)")
print(f"{'shape':<18} {'P':>2} {'peer ns/op':>12} {'go test ns/op':>14} {'peer/bench':>10}   (medians of {count})")
for key in order:
    peer, bench = rows[key]["peer"], rows[key]["bench"]
    p = statistics.median(peer) if peer else float("nan")
    b = statistics.median(bench) if bench else float("nan")
    ratio = p / b if peer and bench and b > 0 else float("nan")
    print(f"{key[0]:<18} {key[1]:>2} {p:>12.1f} {b:>14.1f} {ratio:>10.2f}")
PY
