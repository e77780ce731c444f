// gosched-pingpong: two goroutines that each call runtime.Gosched n times.
package main

import (
	"runtime"
	"sync"
	"time"
)

var goschedPingPongSpec = workloadSpec{
	Name:        "gosched-pingpong",
	Description: "two goroutines each calling runtime.Gosched n times; one op is one Gosched call (ops = 2n)",
	Params: []paramSpec{
		intParam("n", 500_000, 1, maxCount, "Gosched calls per goroutine"),
	},
	Run: runGoschedPingPong,
}

func runGoschedPingPong(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	var wg sync.WaitGroup
	start := time.Now()
	wg.Add(2)
	for range 2 {
		go func() {
			defer wg.Done()
			for range n {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	return measurement{ops: 2 * int64(n), wallNanoseconds: time.Since(start).Nanoseconds()}, nil
}
