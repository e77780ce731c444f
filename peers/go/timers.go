// timer-storm: many goroutines sleeping at once; the latency is the oversleep.
package main

import (
	"sync"
	"time"
)

var timerStormSpec = workloadSpec{
	Name:        "timer-storm",
	Description: "n goroutines each calling time.Sleep(sleep_us) rounds times; one op is one sleep, latency is the oversleep",
	Params: []paramSpec{
		intParam("n", 10_000, 1, maxCount, "sleeping goroutines"),
		intParam("sleep_us", 1_000, 0, 1<<40, "microseconds per sleep"),
		intParam("rounds", 5, 1, maxCount, "sleeps per goroutine"),
	},
	Run: runTimerStorm,
}

func runTimerStorm(ctx *runContext) (measurement, error) {
	n, rounds := ctx.params.int("n"), ctx.params.int("rounds")
	sleep := time.Duration(ctx.params.int("sleep_us")) * time.Microsecond
	oversleeps := make([]int64, n*rounds)
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(n)
	for g := range n {
		go func() {
			defer wg.Done()
			mine := oversleeps[g*rounds : (g+1)*rounds]
			previous := time.Now() // one clock reading per sleep
			for i := range mine {
				time.Sleep(sleep)
				now := time.Now()
				mine[i] = (now.Sub(previous) - sleep).Nanoseconds()
				previous = now
			}
		}()
	}
	wg.Wait()
	wall, cpu := clock.stop()
	return measurement{ops: int64(n) * int64(rounds), wallNanoseconds: wall, cpuNanoseconds: cpu, latencies: oversleeps}, nil
}
