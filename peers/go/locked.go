// locked-thread: a channel ping-pong between two goroutines each locked to its own OS
// thread with runtime.LockOSThread, optionally beside unlocked ping-pong pairs.
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

var lockedThreadSpec = workloadSpec{
	Name: "locked-thread",
	Description: "a round trip over unbuffered channels between two goroutines locked to their threads; " +
		"mixed: the same while unlocked goroutines ping-pong in pairs beside them; one op is one locked round trip",
	Params: []paramSpec{
		intParam("n", 5_000, 1, maxCount, "locked round trips"),
		choiceParam("mode", "pingpong", []string{"pingpong", "mixed"}, "pingpong alone, or mixed with unlocked pairs"),
		intParam("unlocked", 4, 0, 1<<20, "mixed: unlocked goroutines, in ping-pong pairs (an even number)"),
	},
	Run: runLockedThread,
}

// unlockedPair starts two unlocked goroutines that ping-pong until stop is closed.
func unlockedPair(stop <-chan struct{}, wg *sync.WaitGroup) {
	ping, pong := make(chan int), make(chan int)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case ping <- i:
			}
			<-pong
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case v := <-ping:
				pong <- v
			}
		}
	}()
}

func runLockedThread(ctx *runContext) (measurement, error) {
	n, mode, unlocked := ctx.params.int("n"), ctx.params.choice("mode"), ctx.params.int("unlocked")
	if mode == "mixed" && unlocked%2 != 0 {
		return measurement{}, fmt.Errorf("locked-thread: unlocked=%d must be even (the unlocked goroutines ping-pong in pairs)", unlocked)
	}
	stopUnlocked := make(chan struct{})
	var unlockedGroup sync.WaitGroup
	if mode == "mixed" {
		for range unlocked / 2 {
			unlockedPair(stopUnlocked, &unlockedGroup)
		}
	}

	latencies := make([]int64, n)
	ping, pong := make(chan int), make(chan int)
	ready := make(chan struct{})
	var lockedGroup sync.WaitGroup
	lockedGroup.Add(1)
	go func() { // the echo side
		defer lockedGroup.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		ready <- struct{}{}
		for range n {
			pong <- <-ping
		}
	}()
	var wall, cpu int64
	lockedGroup.Add(1)
	go func() { // the measuring side
		defer lockedGroup.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		<-ready
		clock := startSection()
		previous := time.Duration(0)
		for i := range n { // one clock reading per round trip, as in chan-pingpong
			ping <- i
			<-pong
			now := time.Since(clock.wall)
			latencies[i] = int64(now - previous)
			previous = now
		}
		wall, cpu = clock.stop()
	}()
	lockedGroup.Wait()
	close(stopUnlocked)
	unlockedGroup.Wait()
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu, latencies: latencies}, nil
}
