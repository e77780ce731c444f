#!/usr/bin/env bash
# usercode-overhead.sh: the per-run overhead of gobench's go-test engine over running the
# test binary directly with the same flags, measured as hyperfine does (whole-process wall
# time, repeated): R direct runs of the fixture's test binary, timed one by one, against the
# gap between consecutive runs of a `gobench sweep --go-test` of the same benchmark (spawn,
# child, classification, CSV append and fsync: everything gobench does per run), without and
# with `--cpu-quota none` (a transient cgroup and the joining shell per run). Three rounds,
# interleaved; prints the medians in milliseconds.
#
# Usage: scripts/usercode-overhead.sh [REPS]   Environment: GOBENCH (default .build/release/gobench)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
gobench=${GOBENCH:-$root/.build/release/gobench}
reps=${1:-40}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
go=${GOBENCH_GO:-$root/.venv/bin/go}
"$go" -C Tests/Fixtures/gobenchfixture test -c -o "$work/fixture.test" . >/dev/null
python3 - "$gobench" "$work" "$reps" <<'PY'
import csv, datetime, os, statistics, subprocess, sys, time
gobench, work, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
    stamps = []
    for row in csv.DictReader(open(out)):
        if row["metric"] == "iterations":
            stamps.append(datetime.datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")))
    return [(b - a).total_seconds() * 1000 for a, b in zip(stamps, stamps[1:])]

d, g, q = [], [], []
for _ in range(3):
    d += direct(); g += through_gobench([], "plain"); q += through_gobench(["--cpu-quota", "none"], "quota")
md, mg, mq = statistics.median(d), statistics.median(g), statistics.median(q)
print(f"direct test binary:            median {md:.2f} ms per run ({len(d)} runs)")
print(f"gobench --go-test:             median {mg:.2f} ms per run ({len(g)} gaps): overhead {mg - md:+.2f} ms")
print(f"gobench --go-test --cpu-quota: median {mq:.2f} ms per run ({len(q)} gaps): overhead {mq - md:+.2f} ms")
PY
