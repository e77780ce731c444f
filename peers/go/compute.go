// The compute kernel shared by every engine, and parallel-compute: one xorshift round
// per op spread over a fixed number of goroutines.
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// computeKernel runs rounds of the xorshift kernel of PROTOCOL.md on seed and returns
// the final state. Callers seed it with a goroutine's index + 1 and add the result to a
// sink they print, so the compiler cannot fold the loop away.
func computeKernel(seed uint64, rounds int) uint64 {
	x := seed
	for range rounds {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

// printSink prints the sum of the kernel results before the result line.
func printSink(ctx *runContext, sink uint64) {
	fmt.Fprintf(ctx.out, "sink %d\n", sink)
}

// shareOf splits total into parts as evenly as possible and returns part i's share.
func shareOf(total, parts, i int) int {
	share := total / parts
	if i < total%parts {
		share++
	}
	return share
}

var parallelComputeSpec = workloadSpec{
	Name:        "parallel-compute",
	Description: "work rounds of the compute kernel split over tasks goroutines; one op is one round",
	Params: []paramSpec{
		intParam("work", 200_000_000, 1, maxCount, "kernel rounds in all"),
		intParam("tasks", 64, 1, 1<<24, "goroutines sharing the work"),
	},
	Run: runParallelCompute,
}

func runParallelCompute(ctx *runContext) (measurement, error) {
	work, tasks := ctx.params.int("work"), ctx.params.int("tasks")
	var sink atomic.Uint64
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(tasks)
	for task := range tasks {
		go func() {
			defer wg.Done()
			sink.Add(computeKernel(uint64(task)+1, shareOf(work, tasks, task)))
		}()
	}
	wg.Wait()
	wall, cpu := clock.stop()
	printSink(ctx, sink.Load())
	return measurement{ops: int64(work), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}
