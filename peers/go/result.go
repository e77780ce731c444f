// The result line of docs/PROTOCOL.md section 2: the metrics every run reports, latency
// percentiles from recorded samples, and the process figures read from /proc/self.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// metric is one entry of the result line's "metrics" array.
type metric struct {
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Unit      string  `json:"unit"`
	Direction string  `json:"direction"` // lower, higher or none
}

type resultLine struct {
	GobenchResult int      `json:"gobench_result"`
	Status        string   `json:"status"`
	Workload      string   `json:"workload,omitempty"`
	Engine        string   `json:"engine"`
	Ops           *int64   `json:"ops,omitempty"`
	Metrics       []metric `json:"metrics,omitempty"`
	Error         string   `json:"error,omitempty"`
}

// writeError prints a status error line and returns exit status 1.
func writeError(w io.Writer, workload, message string) int {
	line, _ := json.Marshal(resultLine{GobenchResult: 1, Status: "error", Workload: workload, Engine: "go", Error: message})
	fmt.Fprintf(w, "%s\n", line)
	return 1
}

// writeResult prints the status ok line for a measurement and returns exit status 0.
func writeResult(w io.Writer, workload string, m measurement) int {
	if m.ops <= 0 || m.wallNanoseconds <= 0 || m.cpuNanoseconds <= 0 {
		return writeError(w, workload, fmt.Sprintf("measured %d ops in %d ns (%d ns of CPU time)", m.ops, m.wallNanoseconds, m.cpuNanoseconds))
	}
	nsPerOp := float64(m.wallNanoseconds) / float64(m.ops)
	metrics := []metric{
		{"wall_seconds", float64(m.wallNanoseconds) / 1e9, "s", "lower"},
		{"ops", float64(m.ops), "count", "none"},
		{"ns_per_op", nsPerOp, "ns", "lower"},
		{"ops_per_sec", float64(m.ops) * 1e9 / float64(m.wallNanoseconds), "ops/s", "higher"},
		{"cpu_ns_per_op", float64(m.cpuNanoseconds) / float64(m.ops), "ns", "lower"},
		{"cpu_utilisation", float64(m.cpuNanoseconds) / float64(m.wallNanoseconds), "ratio", "none"},
	}
	if len(m.latencies) > 0 {
		p50, p99, p999 := latencyPercentiles(m.latencies)
		metrics = append(metrics,
			metric{"latency_p50_ns", float64(p50), "ns", "lower"},
			metric{"latency_p99_ns", float64(p99), "ns", "lower"},
			metric{"latency_p999_ns", float64(p999), "ns", "lower"},
		)
	}
	metrics = append(metrics, m.extra...)
	if rss, err := residentSetBytes(); err == nil {
		metrics = append(metrics, metric{"final_rss_bytes", float64(rss), "bytes", "lower"})
	}
	if threads, err := threadCount(); err == nil {
		metrics = append(metrics, metric{"threads_created", float64(threads), "count", "lower"})
	}
	for _, each := range metrics {
		if math.IsNaN(each.Value) || math.IsInf(each.Value, 0) {
			return writeError(w, workload, fmt.Sprintf("metric %s is not a finite number", each.Name))
		}
	}
	ops := m.ops
	line, err := json.Marshal(resultLine{GobenchResult: 1, Status: "ok", Workload: workload, Engine: "go", Ops: &ops, Metrics: metrics})
	if err != nil {
		return writeError(w, workload, err.Error())
	}
	fmt.Fprintf(w, "%s\n", line)
	return 0
}

// latencyPercentiles sorts the samples in place and returns the 50th, 99th and 99.9th
// percentiles by the nearest-rank rule (the smallest sample with at least q of the
// samples at or below it).
func latencyPercentiles(samples []int64) (p50, p99, p999 int64) {
	slices.Sort(samples)
	return nearestRank(samples, 0.50), nearestRank(samples, 0.99), nearestRank(samples, 0.999)
}

func nearestRank(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// residentSetBytes reads the resident set size from /proc/self/statm (second field, in
// pages).
func residentSetBytes() (int64, error) {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return 0, fmt.Errorf("/proc/self/statm: unexpected %q", data)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/self/statm: %v", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// threadCount reads the number of OS threads of the process from /proc/self/status.
// The Go runtime never ends an M except one whose goroutine exits while locked, so at
// the end of a run this is the number of threads the runtime created.
func threadCount() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "Threads:"); ok {
			return strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/self/status: no Threads line")
}
