// The channel workloads: chan-pingpong, chan-prodcons and pingpong-hog.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var chanPingPongSpec = workloadSpec{
	Name:        "chan-pingpong",
	Description: "two goroutines bouncing a value over two unbuffered channels; one op is one round trip",
	Params: []paramSpec{
		intParam("n", 200_000, 1, maxCount, "round trips"),
	},
	Run: runChanPingPong,
}

func runChanPingPong(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	latencies := make([]int64, n)
	ping, pong := make(chan int), make(chan int)
	go func() {
		for range n {
			pong <- <-ping
		}
	}()
	// One clock reading per round trip: each latency is the time since the previous
	// reading, which halves the clock's share of the measured section.
	clock := startSection()
	previous := time.Duration(0)
	for i := range n {
		ping <- i
		<-pong
		now := time.Since(clock.wall)
		latencies[i] = int64(now - previous)
		previous = now
	}
	wall, cpu := clock.stop()
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu, latencies: latencies}, nil
}

var chanProdConsSpec = workloadSpec{
	Name:        "chan-prodcons",
	Description: "pairs producers and pairs consumers sharing one channel of the given buffer; one op is one item sent and received",
	Params: []paramSpec{
		intParam("n", 400_000, 1, maxCount, "items in all"),
		intParam("buffer", 10, 0, 1<<24, "channel capacity (0: unbuffered)"),
		intParam("pairs", 0, 0, 1<<20, "producer/consumer pairs (0: GOMAXPROCS)"),
	},
	Run: runChanProdCons,
}

func runChanProdCons(ctx *runContext) (measurement, error) {
	n, buffer, pairs := ctx.params.int("n"), ctx.params.int("buffer"), ctx.params.int("pairs")
	if pairs == 0 {
		pairs = ctx.procs
	}
	items := make(chan int, buffer)
	var received atomic.Int64
	var producers, consumers sync.WaitGroup
	clock := startSection()
	producers.Add(pairs)
	consumers.Add(pairs)
	for producer := range pairs {
		go func() {
			defer producers.Done()
			for i := range shareOf(n, pairs, producer) {
				items <- i
			}
		}()
		go func() {
			defer consumers.Done()
			count := int64(0)
			for range items {
				count++
			}
			received.Add(count)
		}()
	}
	producers.Wait()
	close(items)
	consumers.Wait()
	wall, cpu := clock.stop()
	if got := received.Load(); got != int64(n) {
		return measurement{}, fmt.Errorf("chan-prodcons: consumers received %d items, want %d", got, n)
	}
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}

var pingPongHogSpec = workloadSpec{
	Name:        "pingpong-hog",
	Description: "a channel ping-pong beside a spinning CPU hog, always at GOMAXPROCS=1 (Go's PingPongHog); one op is one round trip",
	Params: []paramSpec{
		intParam("n", 1_000_000, 1, maxCount, "round trips"),
		intParam("hog_ms", 0, 0, 1<<31, "how long the hog spins (0: until the ping-pong ends)"),
	},
	Run: runPingPongHog,
}

func runPingPongHog(ctx *runContext) (measurement, error) {
	n, hogMilliseconds := ctx.params.int("n"), ctx.params.int("hog_ms")
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	// The hog spins on a non-blocking receive, as in runtime's BenchmarkPingPongHog; only
	// preemption lets the ping-pong pair run.
	stopHog, hogDone := make(chan struct{}), make(chan struct{})
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { close(stopHog) }) }
	go func() {
		defer close(hogDone)
		for {
			select {
			case <-stopHog:
				return
			default:
			}
		}
	}()
	if hogMilliseconds > 0 {
		timer := time.AfterFunc(time.Duration(hogMilliseconds)*time.Millisecond, stop)
		defer timer.Stop()
	}

	ping, pong := make(chan struct{}), make(chan struct{})
	pairDone := make(chan struct{})
	go func() {
		for range n {
			pong <- <-ping
		}
		close(pairDone)
	}()
	clock := startSection()
	go func() {
		for range n {
			ping <- struct{}{}
			<-pong
		}
	}()
	<-pairDone
	wall, cpu := clock.stop()
	stop()
	<-hogDone
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}
