// The goroutine-creation workloads: spawn-storm, live-goroutines and steal-imbalance.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

var spawnStormSpec = workloadSpec{
	Name:        "spawn-storm",
	Description: "n goroutines created, run, and each calling WaitGroup.Done; one op is one goroutine",
	Params: []paramSpec{
		intParam("n", 200_000, 1, maxCount, "goroutines created"),
		choiceParam("mode", "single", []string{"single", "all", "chain"},
			"single: one spawner; all: one spawner per P, n/procs each; chain: each goroutine spawns the next"),
	},
	Run: runSpawnStorm,
}

func runSpawnStorm(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(n)
	switch ctx.params.choice("mode") {
	case "single":
		for range n {
			go func() { wg.Done() }()
		}
	case "all":
		var spawners sync.WaitGroup
		spawners.Add(ctx.procs)
		for spawner := range ctx.procs {
			go func() {
				defer spawners.Done()
				for range shareOf(n, ctx.procs, spawner) {
					go func() { wg.Done() }()
				}
			}()
		}
		spawners.Wait()
	case "chain":
		var link func(remaining int)
		link = func(remaining int) {
			if remaining > 1 {
				go link(remaining - 1)
			}
			wg.Done()
		}
		go link(n)
	}
	wg.Wait()
	return clock.measured(int64(n)), nil
}

var liveGoroutinesSpec = workloadSpec{
	Name:        "live-goroutines",
	Description: "n goroutines created and parked on one channel; reports the resident memory per parked goroutine",
	Params: []paramSpec{
		intParam("n", 100_000, 1, maxCount, "goroutines kept alive at once"),
		choiceParam("scavenge", "0", []string{"0", "1"},
			"1: debug.FreeOSMemory (one scavenger pass) over the parked goroutines before measuring"),
	},
	Run: runLiveGoroutines,
}

// burstCheck is what the goroutines of a burst found when they resumed: the sum of their
// indexes, and how many found the values they kept across the park changed.
type burstCheck struct {
	indexSum  atomic.Int64
	corrupted atomic.Int64
}

func (c *burstCheck) failure(n int) error {
	want := int64(n) * int64(n-1) / 2
	if c.corrupted.Load() == 0 && c.indexSum.Load() == want {
		return nil
	}
	return fmt.Errorf("%d goroutines resumed with corrupted values; index sum %d, expected %d",
		c.corrupted.Load(), c.indexSum.Load(), want)
}

// parkGoroutines starts n goroutines that each signal started and then park on release
// until it is closed, keeping their index and values derived from it across the park
// (checked when they resume, as the Swift engine does); finished counts their exits.
func parkGoroutines(n int, release <-chan struct{}, finished *sync.WaitGroup) *burstCheck {
	var started sync.WaitGroup
	check := &burstCheck{}
	started.Add(n)
	finished.Add(n)
	for i := range n {
		go func() {
			defer finished.Done()
			slot := [4]int{i, ^i, i * 0x9E3779B9, n - i}
			started.Done()
			<-release
			if slot != [4]int{i, ^i, i * 0x9E3779B9, n - i} {
				check.corrupted.Add(1)
			}
			check.indexSum.Add(int64(slot[0]))
		}()
	}
	started.Wait()
	return check
}

func runLiveGoroutines(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	rssBefore, err := residentSetBytes()
	if err != nil {
		return measurement{}, err
	}
	release := make(chan struct{})
	var finished sync.WaitGroup
	clock := startSection()
	check := parkGoroutines(n, release, &finished)
	wall, cpu := clock.stop()
	if ctx.params.choice("scavenge") == "1" {
		debug.FreeOSMemory()
	}
	rssParked, err := residentSetBytes()
	close(release)
	finished.Wait()
	if err != nil {
		return measurement{}, err
	}
	if err := check.failure(n); err != nil {
		return measurement{}, fmt.Errorf("live-goroutines: %w", err)
	}
	return measurement{
		ops:             int64(n),
		wallNanoseconds: wall, cpuNanoseconds: cpu,
		extra: []metric{
			{"bytes_per_goroutine", float64(rssParked-rssBefore) / float64(n), "bytes", "lower"},
		},
	}, nil
}

var stealImbalanceSpec = workloadSpec{
	Name:        "steal-imbalance",
	Description: "n goroutines from a single spawner, each doing work kernel rounds; the other Ps must steal (Go's CreateGoroutinesSingle)",
	Params: []paramSpec{
		intParam("n", 100_000, 1, maxCount, "goroutines spawned"),
		intParam("work", 200, 0, maxCount, "kernel rounds per goroutine"),
	},
	Run: runStealImbalance,
}

// warmUpScheduler gets every P running once, as runtime's warmupScheduler does, so the
// measured section starts with spinning Ms ready to steal rather than idle ones.
func warmUpScheduler(procs int) {
	var ready atomic.Int32
	var wg sync.WaitGroup
	wg.Add(procs)
	for range procs {
		go func() {
			defer wg.Done()
			ready.Add(1)
			deadline := time.Now().Add(10 * time.Millisecond)
			for ready.Load() < int32(procs) && time.Now().Before(deadline) {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
}

func runStealImbalance(ctx *runContext) (measurement, error) {
	n, work := ctx.params.int("n"), ctx.params.int("work")
	warmUpScheduler(ctx.procs)
	var sink atomic.Uint64
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(n)
	for i := range n {
		go func() {
			defer wg.Done()
			sink.Add(computeKernel(uint64(i)+1, work))
		}()
	}
	wg.Wait()
	wall, cpu := clock.stop()
	printSink(ctx, sink.Load())
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}
