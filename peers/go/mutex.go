// mutex-contention: goroutines incrementing one counter under a sync.Mutex.
package main

import (
	"fmt"
	"sync"
)

var mutexContentionSpec = workloadSpec{
	Name:        "mutex-contention",
	Description: "goroutines sharing n Lock/increment/Unlock operations on one sync.Mutex; one op is one locked increment",
	Params: []paramSpec{
		intParam("n", 1_000_000, 1, maxCount, "locked increments in all"),
		intParam("goroutines", 0, 0, 1<<20, "contending goroutines (0: 4 x GOMAXPROCS)"),
	},
	Run: runMutexContention,
}

func runMutexContention(ctx *runContext) (measurement, error) {
	n, goroutines := ctx.params.int("n"), ctx.params.int("goroutines")
	if goroutines == 0 {
		goroutines = 4 * ctx.procs
	}
	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(goroutines)
	for g := range goroutines {
		go func() {
			defer wg.Done()
			for range shareOf(n, goroutines, g) {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wall, cpu := clock.stop()
	if counter != n {
		return measurement{}, fmt.Errorf("mutex-contention: counter is %d, want %d", counter, n)
	}
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}
