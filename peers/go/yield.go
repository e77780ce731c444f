// gosched-pingpong: goroutines that each call runtime.Gosched n times: two per P
// (mode=pairs), or two in all (mode=lone).
package main

import (
	"runtime"
	"sync"
)

var goschedPingPongSpec = workloadSpec{
	Name: "gosched-pingpong",
	Description: "goroutines each calling runtime.Gosched n times, two per P (pairs) or two in all (lone); " +
		"one op is one Gosched call (ops = goroutines x n)",
	Params: []paramSpec{
		intParam("n", 500_000, 1, maxCount, "Gosched calls per goroutine"),
		choiceParam("mode", "pairs", []string{"pairs", "lone"},
			"pairs: two goroutines per P, so that a Gosched finds another goroutine to run; lone: two in all, at GOMAXPROCS >= 2 each may be alone on its P and its Gosched takes it straight back"),
	},
	Run: runGoschedPingPong,
}

// goschedGoroutines is the number of yielding goroutines of a mode.
func goschedGoroutines(mode string, procs int) int {
	if mode == "lone" {
		return 2
	}
	return 2 * procs
}

func runGoschedPingPong(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	goroutines := goschedGoroutines(ctx.params.choice("mode"), ctx.procs)
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(goroutines)
	for range goroutines {
		go func() {
			defer wg.Done()
			for range n {
				runtime.Gosched()
			}
		}()
	}
	wg.Wait()
	return clock.measured(int64(goroutines) * int64(n)), nil
}
