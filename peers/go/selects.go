// The select workload (docs/PROTOCOL.md, "select"): three shapes from Go's own select
// benchmarks, the same structure as Sources/Workloads/SelectWorkloads.swift.
//
//   - prodcons (BenchmarkSelectProdCons): GOMAXPROCS producers and consumers over one
//     channel of 128 slots; each send and each receive is a select with two more cases
//     that never fire (two channels nothing sends on, for Go's timer an hour away and
//     its close channel); a producer ends with a plain send of 0, which stops one consumer.
//     One op: one item.
//   - contended (BenchmarkSelectContended): GOMAXPROCS goroutines and two channels of
//     GOMAXPROCS slots; each goroutine puts one token in the first, then selects over
//     receiving from either and passes what it got to the other. One op: one select.
//   - stress4 (TestSelectStress): four channels (unbuffered, unbuffered, 2 and 3 slots);
//     a plain sender and a plain receiver per channel, one goroutine sending on all four
//     in one select and one receiving from all four in one select, N = n/8 items per
//     channel from each sending side; a channel whose N items went is set to nil in that
//     select. One op: one item sent and received (8N in all).
//
// Every item is counted where it is received; a lost or duplicated item is an error.
package main

import (
	"fmt"
	"slices"
	"sync"
)

var selectSpec = workloadSpec{
	Name:        "select",
	Description: "selects over several channels (Go's select benchmarks and TestSelectStress); one op is one item (prodcons, stress4) or one select (contended)",
	Params: []paramSpec{
		intParam("n", 400_000, 1, maxCount, "ops: items (prodcons, stress4) or selects (contended)"),
		choiceParam("mode", "stress4", []string{"stress4", "prodcons", "contended"},
			"stress4: TestSelectStress's 4 channels; prodcons: BenchmarkSelectProdCons; contended: BenchmarkSelectContended"),
	},
	Run: runSelect,
}

func runSelect(ctx *runContext) (measurement, error) {
	n := ctx.params.int("n")
	switch ctx.params.choice("mode") {
	case "prodcons":
		return runSelectProdCons(n, ctx.procs)
	case "contended":
		return runSelectContended(n, ctx.procs)
	default:
		return runSelectStress4(n)
	}
}

func runSelectProdCons(n, procs int) (measurement, error) {
	items := make(chan int, 128)
	never, quit := make(chan int), make(chan bool)
	received := make([]int, procs)
	var done sync.WaitGroup
	done.Add(2 * procs)
	clock := startSection()
	for k := range procs {
		count := shareOf(n, procs, k)
		go func() {
			for range count {
				select {
				case items <- 1:
				case <-never:
				case <-quit:
				}
			}
			items <- 0
			done.Done()
		}()
		go func() {
			got := 0
		loop:
			for {
				select {
				case v := <-items:
					if v == 0 {
						break loop
					}
					got++
				case <-never:
				case <-quit:
				}
			}
			received[k] = got
			done.Done()
		}()
	}
	done.Wait()
	wall, cpu := clock.stop()
	total := 0
	for _, got := range received {
		total += got
	}
	if total != n {
		return measurement{}, fmt.Errorf("select prodcons: consumers received %d items, want %d", total, n)
	}
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}

func runSelectContended(n, procs int) (measurement, error) {
	c1, c2 := make(chan int, procs), make(chan int, procs)
	var done sync.WaitGroup
	done.Add(procs)
	clock := startSection()
	for k := range procs {
		count := shareOf(n, procs, k)
		go func() {
			c1 <- k + 1
			for range count {
				select {
				case v := <-c1:
					c2 <- v
				case v := <-c2:
					c1 <- v
				}
			}
			done.Done()
		}()
	}
	done.Wait()
	wall, cpu := clock.stop()
	// The tokens: each of 1..procs once, in one channel or the other.
	tokens := []int{}
	for len(c1) > 0 {
		tokens = append(tokens, <-c1)
	}
	for len(c2) > 0 {
		tokens = append(tokens, <-c2)
	}
	slices.Sort(tokens)
	for i, t := range tokens {
		if t != i+1 {
			return measurement{}, fmt.Errorf("select contended: tokens at the end %v, want 1..%d", tokens, procs)
		}
	}
	if len(tokens) != procs {
		return measurement{}, fmt.Errorf("select contended: tokens at the end %v, want 1..%d", tokens, procs)
	}
	return measurement{ops: int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}

func runSelectStress4(n int) (measurement, error) {
	perChannel := max(1, n/8)
	c := [4]chan int{make(chan int), make(chan int), make(chan int, 2), make(chan int, 3)}
	var plainReceived, selectReceived [4]int
	var done sync.WaitGroup
	done.Add(10)
	clock := startSection()
	for k := range 4 {
		go func() {
			for range perChannel {
				c[k] <- 0
			}
			done.Done()
		}()
		go func() {
			got := 0
			for range perChannel {
				if _, ok := <-c[k]; ok {
					got++
				}
			}
			plainReceived[k] = got
			done.Done()
		}()
	}
	go func() {
		var sent [4]int
		c1 := c
		for range 4 * perChannel {
			select {
			case c1[3] <- 0:
				sent[3]++
				if sent[3] == perChannel {
					c1[3] = nil
				}
			case c1[2] <- 0:
				sent[2]++
				if sent[2] == perChannel {
					c1[2] = nil
				}
			case c1[1] <- 0:
				sent[1]++
				if sent[1] == perChannel {
					c1[1] = nil
				}
			case c1[0] <- 0:
				sent[0]++
				if sent[0] == perChannel {
					c1[0] = nil
				}
			}
		}
		done.Done()
	}()
	go func() {
		c1 := c
		for range 4 * perChannel {
			select {
			case <-c1[0]:
				selectReceived[0]++
				if selectReceived[0] == perChannel {
					c1[0] = nil
				}
			case <-c1[1]:
				selectReceived[1]++
				if selectReceived[1] == perChannel {
					c1[1] = nil
				}
			case <-c1[2]:
				selectReceived[2]++
				if selectReceived[2] == perChannel {
					c1[2] = nil
				}
			case <-c1[3]:
				selectReceived[3]++
				if selectReceived[3] == perChannel {
					c1[3] = nil
				}
			}
		}
		done.Done()
	}()
	done.Wait()
	wall, cpu := clock.stop()
	for k := range 4 {
		if plainReceived[k]+selectReceived[k] != 2*perChannel {
			return measurement{}, fmt.Errorf("select stress4: channel %d delivered %d + %d items, want %d",
				k, plainReceived[k], selectReceived[k], 2*perChannel)
		}
	}
	ops := 8 * perChannel
	return measurement{ops: int64(ops), wallNanoseconds: wall, cpuNanoseconds: cpu}, nil
}
