#!/usr/bin/env bash
# usercode-overhead.sh: the per-run overhead of gobench's go-test engine over running the
# test binary directly with the same flags, measured as hyperfine does (whole-process wall
# time, repeated): REPS direct runs of the fixture's test binary, timed one by one, against
# the gap between consecutive runs of a `gobench sweep --go-test` of the same benchmark
# (spawn, child, classification, CSV append and fsync: everything gobench does per run),
# without and with `--cpu-quota none` (a transient cgroup and the joining shell per run).
# ROUNDS rounds (default 8), interleaved; prints the medians in milliseconds.
#
# Usage: scripts/usercode-overhead.sh [REPS [ROUNDS]]   (default 10 reps per round)   Environment: GOBENCH (default .build/release/gobench)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
gobench=${GOBENCH:-$root/.build/release/gobench}
reps=${1:-10}
rounds=${2:-8}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go=${GOBENCH_GO:-$root/.venv/bin/go}
"$go" -C "$root/Tests/Fixtures/gobenchfixture" test -c -o "$work/fixture.test" . >/dev/null
python3 - "$gobench" "$work" "$reps" "$rounds" <<'PY'
import csv, datetime, os, statistics, subprocess, sys, time
gobench, work, reps, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
binary = work + "/fixture.test"
flags = ["-test.run", "^$", "-test.bench", "^BenchmarkSerialSpin$", "-test.count", "1", "-test.benchtime", "1x", "-test.benchmem"]
env = dict(os.environ, GOMAXPROCS="2")

def direct():
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run([binary] + flags, env=env, stdout=subprocess.DEVNULL, check=True)
        times.append((time.perf_counter() - t) * 1000)
    return times

def through_gobench(extra, tag):
    out = f"{work}/{tag}.csv"
    if os.path.exists(out): os.unlink(out)
    subprocess.run([gobench, "sweep", "--go-test", "Tests/Fixtures/gobenchfixture", "--bench", "^BenchmarkSerialSpin$",
                    "--benchtime", "1x", "--procs", "2", "--reps", str(reps), "-o", out] + extra,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    stamps, walls = [], []
    for row in csv.DictReader(open(out)):
        if row["metric"] == "iterations":
            stamps.append(datetime.datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")))
        if row["metric"] == "wall_seconds":
            walls.append(float(row["value"]) * 1000)
    return walls, [(b - a).total_seconds() * 1000 for a, b in zip(stamps, stamps[1:])]

d, g, q, gc, qc = [], [], [], [], []
for _ in range(rounds):
    d += direct()
    w, c = through_gobench([], "plain"); g += w; gc += c
    w, c = through_gobench(["--cpu-quota", "none"], "quota"); q += w; qc += c
md = statistics.median(d)
print(f"direct test binary (timed from python):  median {md:.2f} ms per run ({len(d)} runs)")
for name, walls, cycles in [("gobench --go-test", g, gc), ("gobench --go-test --cpu-quota none", q, qc)]:
    mw, mc = statistics.median(walls), statistics.median(cycles)
    print(f"{name}: child process {mw:.2f} ms (overhead {mw - md:+.2f} ms); whole cycle per run, CSV append and fsync included, {mc:.2f} ms ({mc - md:+.2f} ms)")
PY
