// Tests of the peer through its command line, run in-process: every workload at a tiny
// size, the overflow child, the settings, and the error line for bad input.
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// TestMain lets the test binary serve as the overflow child, as the peer binary does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == overflowChildFlag {
		os.Exit(runOverflowChild(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// peerRun is one in-process run of the peer's command line.
type peerRun struct {
	exitStatus int
	output     string
	result     resultLine
}

func (r peerRun) metric(t *testing.T, name string) float64 {
	t.Helper()
	for _, m := range r.result.Metrics {
		if m.Name == name {
			return m.Value
		}
	}
	t.Fatalf("no metric %q in %s", name, r.output)
	return 0
}

func runPeer(t *testing.T, args ...string) peerRun {
	t.Helper()
	var stdout, stderr bytes.Buffer
	status := run(args, &stdout, &stderr)
	output := strings.TrimRight(stdout.String(), "\n")
	lines := strings.Split(output, "\n")
	var result resultLine
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &result); err != nil {
		t.Fatalf("%v: last line is not JSON: %v\n%s", args, err, output)
	}
	if result.GobenchResult != 1 || result.Engine != "go" {
		t.Fatalf("%v: bad result line %s", args, lines[len(lines)-1])
	}
	return peerRun{exitStatus: status, output: output, result: result}
}

func TestEveryWorkloadTinyRunIsOK(t *testing.T) {
	cases := []struct {
		workload string
		params   []string
		ops      int64
		extra    []string // metrics that must be present besides the common ones
	}{
		{"spawn-storm", []string{"n=1000"}, 1000, nil},
		{"spawn-storm", []string{"n=1001", "mode=all"}, 1001, nil},
		{"spawn-storm", []string{"n=1000", "mode=chain"}, 1000, nil},
		{"live-goroutines", []string{"n=2000"}, 2000, []string{"bytes_per_goroutine"}},
		{"steal-imbalance", []string{"n=1000", "work=10"}, 1000, nil},
		{"gosched-pingpong", []string{"n=1000"}, 4000, nil}, // two goroutines per P at -procs 2
		{"gosched-pingpong", []string{"n=1000", "mode=lone"}, 2000, nil},
		{"chan-pingpong", []string{"n=1000"}, 1000, []string{"latency_p50_ns", "latency_p99_ns", "latency_p999_ns"}},
		{"chan-prodcons", []string{"n=1001", "buffer=0", "pairs=3"}, 1001, nil},
		{"chan-prodcons", []string{"n=1000", "buffer=100"}, 1000, nil},
		{"pingpong-hog", []string{"n=100"}, 100, nil},
		{"pingpong-hog", []string{"n=100", "hog_ms=1"}, 100, nil},
		{"syscall-heavy", []string{"goroutines=3", "n=50"}, 150, []string{"latency_p99_ns"}},
		{"syscall-heavy", []string{"goroutines=2", "n=20", "kind=nanosleep"}, 40, []string{"latency_p99_ns"}},
		{"syscall-heavy", []string{"goroutines=2", "n=5", "kind=fsync"}, 10, []string{"latency_p99_ns"}},
		{"locked-thread", []string{"n=100"}, 100, []string{"latency_p50_ns"}},
		{"locked-thread", []string{"n=100", "mode=mixed", "unlocked=4"}, 100, []string{"latency_p50_ns"}},
		{"deep-recursion", []string{"depth=10000"}, 10000, []string{"depth_reached", "frame_bytes"}},
		{"deep-recursion", []string{"depth=10000", "frame=512", "maxstack_mb=64"}, 10000, []string{"depth_reached"}},
		{"deep-recursion", []string{"depth=10000", "maxstack_mb=0"}, 10000, []string{"depth_reached"}},
		{"mutex-contention", []string{"n=10001", "goroutines=7"}, 10001, nil},
		{"mutex-contention", []string{"n=1000"}, 1000, nil},
		{"timer-storm", []string{"n=20", "sleep_us=100", "rounds=3"}, 60, []string{"latency_p999_ns"}},
		{"parallel-compute", []string{"work=100003", "tasks=7"}, 100003, nil},
		{"scavenger-burst", []string{"n=1000", "idle_ms=20", "sample_ms=5"}, 1000,
			[]string{"bytes_per_goroutine", "rss_after_idle_bytes", "rss_released_fraction"}},
		{"select", []string{"n=1000"}, 1000, nil},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.workload] = true
		t.Run(c.workload+"/"+strings.Join(c.params, ","), func(t *testing.T) {
			args := []string{"-workload", c.workload, "-procs", "2", "-scavenge", "off", "-placement", "none"}
			for _, p := range c.params {
				args = append(args, "-param", p)
			}
			r := runPeer(t, args...)
			if r.exitStatus != 0 || r.result.Status != "ok" {
				t.Fatalf("exit %d: %s", r.exitStatus, r.output)
			}
			if r.result.Workload != c.workload || r.result.Ops == nil || *r.result.Ops != c.ops {
				t.Fatalf("want %s with %d ops: %s", c.workload, c.ops, r.output)
			}
			if got := r.metric(t, "ops"); got != float64(c.ops) {
				t.Errorf("ops metric %v, want %d", got, c.ops)
			}
			for _, name := range []string{"ns_per_op", "wall_seconds", "ops_per_sec", "cpu_ns_per_op", "cpu_utilisation", "final_rss_bytes", "threads_created"} {
				if v := r.metric(t, name); v <= 0 {
					t.Errorf("%s = %v, want > 0", name, v)
				}
			}
			for _, name := range c.extra {
				r.metric(t, name)
			}
		})
	}
	for _, spec := range catalog {
		if !covered[spec.Name] {
			t.Errorf("workload %s has no tiny run", spec.Name)
		}
	}
}

func TestLatencyMetricsAreOrdered(t *testing.T) {
	r := runPeer(t, "-workload", "chan-pingpong", "-param", "n=2000")
	p50, p99, p999 := r.metric(t, "latency_p50_ns"), r.metric(t, "latency_p99_ns"), r.metric(t, "latency_p999_ns")
	if !(0 < p50 && p50 <= p99 && p99 <= p999) {
		t.Fatalf("want 0 < p50 <= p99 <= p999, got %v %v %v", p50, p99, p999)
	}
}

func TestNearestRankPercentiles(t *testing.T) {
	samples := make([]int64, 1000)
	for i := range samples {
		samples[i] = int64(1000 - i) // 1..1000, reversed
	}
	p50, p99, p999 := latencyPercentiles(samples)
	if p50 != 500 || p99 != 990 || p999 != 999 {
		t.Fatalf("got %d %d %d, want 500 990 999", p50, p99, p999)
	}
	if got := nearestRank([]int64{7}, 0.999); got != 7 {
		t.Fatalf("one sample: got %d", got)
	}
}

func TestDeepRecursionDepthModeReportsDepth(t *testing.T) {
	r := runPeer(t, "-workload", "deep-recursion", "-param", "depth=20000", "-param", "frame=150")
	if r.metric(t, "depth_reached") != 20000 {
		t.Fatalf("depth_reached: %s", r.output)
	}
	if frame := r.metric(t, "frame_bytes"); frame < 150 || frame > 400 {
		t.Fatalf("frame_bytes %v for frame=150", frame)
	}
}

func TestDeepRecursionOverflowKillsTheChild(t *testing.T) {
	r := runPeer(t, "-workload", "deep-recursion", "-param", "mode=overflow", "-param", "maxstack_mb=4", "-param", "frame=64")
	if r.exitStatus != 0 || r.result.Status != "ok" {
		t.Fatalf("exit %d: %s", r.exitStatus, r.output)
	}
	if status := r.metric(t, "exit_status"); status != 2 {
		t.Fatalf("child exit status %v, want 2", status)
	}
	depth, frame := r.metric(t, "depth_reached"), r.metric(t, "frame_bytes")
	if depth <= 0 || r.metric(t, "time_to_failure_ns") <= 0 || r.metric(t, "ns_per_op") <= 0 {
		t.Fatalf("want positive depth, time and ns_per_op: %s", r.output)
	}
	// A 4 MB stack holds between 4 MB / (2 x frame) and 4 MB / frame frames: the last
	// doubling that fails may come at any point past 2 MB.
	if low, high := float64(2<<20)/frame*0.9, float64(4<<20)/frame; depth < low || depth > high {
		t.Fatalf("depth_reached %v outside [%v, %v] for %v-byte frames", depth, low, high, frame)
	}
	if r.metric(t, "progress_depth") > depth {
		t.Fatalf("progress beyond the exact depth: %s", r.output)
	}
}

func TestBadInputGivesErrorLine(t *testing.T) {
	cases := [][]string{
		{"-workload", "no-such-workload"},
		{},
		{"-workload", "spawn-storm", "-param", "nope=1"},
		{"-workload", "spawn-storm", "-param", "n=abc"},
		{"-workload", "spawn-storm", "-param", "n=0"},
		{"-workload", "spawn-storm", "-param", "n=-5"},
		{"-workload", "spawn-storm", "-param", "mode=sideways"},
		{"-workload", "spawn-storm", "-param", "n=1", "-param", "n=2"},
		{"-workload", "spawn-storm", "-param", "novalue"},
		{"-workload", "spawn-storm", "-procs", "-1"},
		{"-workload", "spawn-storm", "-procs", "two"},
		{"-workload", "spawn-storm", "-scavenge", "sometimes"},
		{"-workload", "spawn-storm", "-scavenge", "-5ms"},
		{"-workload", "spawn-storm", "-placement", "everywhere"},
		{"-workload", "spawn-storm", "-placement", "nodes="},
		{"-workload", "spawn-storm", "-placement", "nodes=0,x"},
		{"-workload", "spawn-storm", "-placement", "nodes=4095"},
		{"-workload", "spawn-storm", "-placement", "nodes=0,0"},
		{"-workload", "spawn-storm", "-engine", "swift"},
		{"-workload", "spawn-storm", "-no-such-flag"},
		{"-workload", "spawn-storm", "stray"},
		{"-workload", "locked-thread", "-param", "mode=mixed", "-param", "unlocked=3"},
		{"-workload", "deep-recursion", "-param", "depth=1000000", "-param", "maxstack_mb=1"},
		{"-workload", "deep-recursion", "-param", "frame=5000"},
		{"-workload", "deep-recursion", "-param", "maxstack_mb=-1"},
	}
	for _, args := range cases {
		r := runPeer(t, args...)
		if r.exitStatus != 1 || r.result.Status != "error" || r.result.Error == "" {
			t.Errorf("%q: want status error and exit 1, got exit %d: %s", args, r.exitStatus, r.output)
		}
		if strings.Contains(r.result.Error, "\n") {
			t.Errorf("%q: error is not one line: %q", args, r.result.Error)
		}
	}
}

func TestListPrintsTheWholeCatalog(t *testing.T) {
	var stdout bytes.Buffer
	if status := run([]string{"-list"}, &stdout, &bytes.Buffer{}); status != 0 {
		t.Fatalf("exit %d", status)
	}
	var listing catalogListing
	if err := json.Unmarshal(stdout.Bytes(), &listing); err != nil {
		t.Fatalf("-list is not JSON: %v", err)
	}
	var names []string
	for _, w := range listing.Workloads {
		names = append(names, w.Name)
		if w.Description == "" || len(w.Params) == 0 {
			t.Errorf("%s: missing description or params", w.Name)
		}
	}
	want := []string{"spawn-storm", "live-goroutines", "steal-imbalance", "gosched-pingpong", "chan-pingpong",
		"chan-prodcons", "pingpong-hog", "syscall-heavy", "locked-thread", "deep-recursion", "mutex-contention",
		"timer-storm", "parallel-compute", "scavenger-burst", "select"}
	if !slices.Equal(names, want) {
		t.Fatalf("catalog %v, want %v", names, want)
	}
	// Every default must pass its own validation.
	for _, spec := range catalog {
		if _, err := spec.resolve(nil); err != nil {
			t.Errorf("%s defaults: %v", spec.Name, err)
		}
	}
}

func TestDefaultsMatchTheProtocol(t *testing.T) {
	want := map[string]string{
		"spawn-storm": "mode=single n=200000", "live-goroutines": "n=100000 scavenge=0", "steal-imbalance": "n=100000 work=200",
		"gosched-pingpong": "mode=pairs n=500000", "chan-pingpong": "n=200000", "chan-prodcons": "buffer=10 n=400000 pairs=0",
		"pingpong-hog": "hog_ms=0 n=1000000", "syscall-heavy": "goroutines=64 kind=pipe n=2000",
		"locked-thread": "mode=pingpong n=5000 unlocked=4", "deep-recursion": "depth=1000000 frame=150 maxstack_mb=0 mode=depth",
		"mutex-contention": "goroutines=0 n=1000000", "timer-storm": "n=10000 rounds=5 sleep_us=1000",
		"parallel-compute": "tasks=64 work=200000000", "scavenger-burst": "idle_ms=300 n=100000 sample_ms=10",
		"select": "mode=stress4 n=400000",
	}
	for _, spec := range catalog {
		var pairs []string
		for _, p := range spec.Params {
			pairs = append(pairs, p.Name+"="+p.Default)
		}
		slices.Sort(pairs)
		if got := strings.Join(pairs, " "); got != want[spec.Name] {
			t.Errorf("%s defaults %q, want %q", spec.Name, got, want[spec.Name])
		}
	}
}

func TestProcsAndPingPongHogRestoreGOMAXPROCS(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for _, args := range [][]string{
		{"-workload", "pingpong-hog", "-procs", "3", "-param", "n=50"},
		{"-workload", "spawn-storm", "-procs", "1", "-param", "n=50"},
	} {
		if r := runPeer(t, args...); r.result.Status != "ok" {
			t.Fatalf("%v: %s", args, r.output)
		}
		if after := runtime.GOMAXPROCS(0); after != before {
			t.Fatalf("%v: GOMAXPROCS %d after the run, %d before", args, after, before)
		}
	}
}

func TestScavengeSetting(t *testing.T) {
	if d, err := parseScavenge("off"); err != nil || d != 0 {
		t.Fatalf("off: %v %v", d, err)
	}
	if d, err := parseScavenge("2m"); err != nil || d.Minutes() != 2 {
		t.Fatalf("2m: %v %v", d, err)
	}
	r := runPeer(t, "-workload", "scavenger-burst", "-scavenge", "5ms",
		"-param", "n=2000", "-param", "idle_ms=50", "-param", "sample_ms=5")
	if r.result.Status != "ok" {
		t.Fatalf("%s", r.output)
	}
	if f := r.metric(t, "rss_released_fraction"); f < 0 || f > 1 {
		t.Fatalf("rss_released_fraction %v outside [0, 1]", f)
	}
	if !strings.Contains(r.output, "\nrss ") && !strings.HasPrefix(r.output, "rss ") {
		t.Fatalf("no RSS samples printed: %s", r.output)
	}
}

func TestPlacementKeepsTheOrderNamedAndRefusesRepeats(t *testing.T) {
	setting, err := parsePlacement("nodes=2,0,1")
	if err != nil || !slices.Equal(setting.nodes, []int{2, 0, 1}) || setting.String() != "nodes=2,0,1" {
		t.Fatalf("nodes=2,0,1: %v %v", setting, err)
	}
	if _, err := parsePlacement("nodes=1,0,1"); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("nodes=1,0,1: want a repeat error, got %v", err)
	}
	for request, want := range map[string]string{
		"scavenge=off": "off", "scavenge=1500ms": "1500000000", "placement=nodes=1,0": "nodes=1,0", "placement=spread": "spread",
	} {
		if got, err := parseSetting(request); err != nil || got != want {
			t.Errorf("-parse-setting %s: got %q %v, want %q", request, got, err, want)
		}
	}
	if _, err := parseSetting("placement=nodes=0,0"); err == nil {
		t.Errorf("-parse-setting placement=nodes=0,0 was accepted")
	}
}

func TestCPUListParsing(t *testing.T) {
	got, err := parseCPUList("0-3,8,10-11\n")
	if err != nil || !slices.Equal(got, []int{0, 1, 2, 3, 8, 10, 11}) {
		t.Fatalf("got %v %v", got, err)
	}
	if got, err := parseCPUList(""); err != nil || len(got) != 0 {
		t.Fatalf("empty list: %v %v", got, err)
	}
	for _, bad := range []string{"a", "3-1", "1-x"} {
		if _, err := parseCPUList(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestPlacementChoosesNodes(t *testing.T) {
	nodes := []numaNode{{0, []int{0, 1}}, {1, []int{2, 3}}, {2, nil}, {3, []int{4, 5}}}
	cases := []struct {
		setting placementSetting
		procs   int
		want    []int
	}{
		{placementSetting{kind: "compact"}, 1, []int{0, 1}},
		{placementSetting{kind: "compact"}, 2, []int{0, 1}},
		{placementSetting{kind: "compact"}, 3, []int{0, 1, 2, 3}},
		{placementSetting{kind: "compact"}, 64, []int{0, 1, 2, 3, 4, 5}},
		{placementSetting{kind: "spread"}, 1, []int{0, 1, 2, 3, 4, 5}},
		{placementSetting{kind: "nodes", nodes: []int{3, 0}}, 1, []int{4, 5, 0, 1}},
	}
	for _, c := range cases {
		got, err := placementCPUs(c.setting, c.procs, nodes)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%+v procs %d: got %v %v, want %v", c.setting, c.procs, got, err, c.want)
		}
	}
	for _, bad := range []placementSetting{{kind: "nodes", nodes: []int{2}}, {kind: "nodes", nodes: []int{9}}} {
		if _, err := placementCPUs(bad, 1, nodes); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func threadAffinity(t *testing.T) cpuMask {
	var mask cpuMask
	if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask))); errno != 0 {
		t.Fatal(errno)
	}
	return mask
}

func TestPlacementRunsAndRestoresAffinity(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before := threadAffinity(t)
	for _, placement := range []string{"compact", "spread", "nodes=0"} {
		r := runPeer(t, "-workload", "spawn-storm", "-procs", "1", "-placement", placement, "-param", "n=100")
		if r.result.Status != "ok" {
			t.Fatalf("%s: %s", placement, r.output)
		}
		if after := threadAffinity(t); after != before {
			t.Fatalf("%s: affinity not restored", placement)
		}
	}
}

// TestFrameBytesMatchTheSwiftEngine: the three frame classes take the stack bytes of the
// swift engine's frames on amd64 (Sources/Workloads/StackWorkloads.swift: 144, 224, 592),
// so that deep-recursion compares frames of one size.
func TestFrameBytesMatchTheSwiftEngine(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("the sizes are amd64's")
	}
	for class, want := range map[string]float64{"64": 144, "150": 224, "512": 592} {
		r := runPeer(t, "-workload", "deep-recursion", "-param", "depth=5000", "-param", "frame="+class)
		if got := r.metric(t, "frame_bytes"); got != want {
			t.Errorf("frame=%s: %v stack bytes per frame, want %v", class, got, want)
		}
	}
}
