// scavenger-burst: a burst of parked goroutines, then an idle period during which the
// resident set is sampled to see how much memory goes back to the OS.
package main

import (
	"fmt"
	"sync"
	"time"
)

var scavengerBurstSpec = workloadSpec{
	Name: "scavenger-burst",
	Description: "n goroutines created and parked at once, then released; then idle_ms of idleness sampling RSS " +
		"every sample_ms; one op is one goroutine of the burst",
	Params: []paramSpec{
		intParam("n", 100_000, 1, maxCount, "goroutines in the burst"),
		intParam("idle_ms", 300, 0, 1<<31, "idle time after the burst"),
		intParam("sample_ms", 10, 1, 1<<31, "RSS sampling interval while idle"),
	},
	Run: runScavengerBurst,
}

func runScavengerBurst(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	idle := time.Duration(ctx.params.int("idle_ms")) * time.Millisecond
	samplePeriod := time.Duration(ctx.params.int("sample_ms")) * time.Millisecond
	rssBefore, err := residentSetBytes()
	if err != nil {
		return measurement{}, err
	}

	// The measured section: the burst, from the first spawn to the last exit.
	release := make(chan struct{})
	var finished sync.WaitGroup
	clock := startSection()
	check := parkGoroutines(n, release, &finished)
	rssPeak, err := residentSetBytes()
	close(release)
	finished.Wait()
	wall, cpu := clock.stop()
	if err != nil {
		return measurement{}, err
	}
	if err := check.failure(n); err != nil {
		return measurement{}, fmt.Errorf("scavenger-burst: %w", err)
	}

	// Idle: nothing runs but the runtime (and the -scavenge goroutine, if any).
	// Each sample is also printed as "rss MILLISECONDS BYTES" (time since the burst
	// ended) before the result line, for a plot over time.
	grown := rssPeak - rssBefore
	rssAfterIdle := rssPeak
	halfReleasedMs := int64(-1) // the first sample with half of the growth given back
	idleStart := time.Now()
	deadline := idleStart.Add(idle)
	for {
		if rssAfterIdle, err = residentSetBytes(); err != nil {
			return measurement{}, err
		}
		elapsedMs := time.Since(idleStart).Milliseconds()
		fmt.Fprintf(ctx.out, "rss %d %d\n", elapsedMs, rssAfterIdle)
		if halfReleasedMs < 0 && grown > 0 && 2*(rssPeak-rssAfterIdle) >= grown {
			halfReleasedMs = elapsedMs
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			break
		}
		time.Sleep(min(samplePeriod, remaining))
	}

	released := 0.0
	if grown > 0 {
		released = max(0, min(1, float64(rssPeak-rssAfterIdle)/float64(grown)))
	}
	extra := []metric{
		{"bytes_per_goroutine", float64(grown) / float64(n), "bytes", "lower"},
		{"rss_peak_bytes", float64(rssPeak), "bytes", "lower"},
		{"rss_after_idle_bytes", float64(rssAfterIdle), "bytes", "lower"},
		{"rss_released_fraction", released, "ratio", "higher"},
	}
	if halfReleasedMs >= 0 {
		extra = append(extra, metric{"time_to_half_release_ms", float64(halfReleasedMs), "ms", "lower"})
	}
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu, extra: extra}, nil
}
