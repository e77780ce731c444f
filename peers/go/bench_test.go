// Go benchmarks of the catalog's shapes, written the way runtime's proc_test.go and
// chan_test.go write theirs. They share no harness code with the peer, so
// scripts/go-crosscheck.sh can use them as an independent measurement of its figures.
package main

import (
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSpawnStorm is spawn-storm mode=single: one spawner, each goroutine signals a
// WaitGroup (runtime's BenchmarkCreateGoroutinesSingle without the warm-up).
func BenchmarkSpawnStorm(b *testing.B) {
	var wg sync.WaitGroup
	wg.Add(b.N)
	for i := 0; i < b.N; i++ {
		go func() {
			wg.Done()
		}()
	}
	wg.Wait()
}

// BenchmarkSpawnStormChain is spawn-storm mode=chain: each goroutine starts the next
// (runtime's BenchmarkCreateGoroutines).
func BenchmarkSpawnStormChain(b *testing.B) {
	done := make(chan bool)
	var f func(n int)
	f = func(n int) {
		if n == 0 {
			done <- true
			return
		}
		go f(n - 1)
	}
	go f(b.N)
	<-done
}

// BenchmarkLiveGoroutines is live-goroutines: b.N goroutines parked on one channel.
func BenchmarkLiveGoroutines(b *testing.B) {
	before, err := residentSetBytes()
	if err != nil {
		b.Fatal(err)
	}
	release := make(chan struct{})
	var started, finished sync.WaitGroup
	started.Add(b.N)
	finished.Add(b.N)
	for i := 0; i < b.N; i++ {
		go func() {
			started.Done()
			<-release
			finished.Done()
		}()
	}
	started.Wait()
	b.StopTimer()
	after, _ := residentSetBytes()
	b.ReportMetric(float64(after-before)/float64(b.N), "B/goroutine")
	close(release)
	finished.Wait()
}

// BenchmarkStealImbalance is steal-imbalance work=200: one spawner, goroutines that
// compute, other Ps stealing them.
func BenchmarkStealImbalance(b *testing.B) {
	procs := runtime.GOMAXPROCS(0)
	var warm sync.WaitGroup
	warm.Add(procs)
	for i := 0; i < procs; i++ {
		go func() {
			defer warm.Done()
			for end := time.Now().Add(time.Millisecond); time.Now().Before(end); {
			}
		}()
	}
	warm.Wait()
	b.ResetTimer()

	var sink atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(b.N)
	for i := 0; i < b.N; i++ {
		go func(seed uint64) {
			x := seed
			for r := 0; r < 200; r++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink.Add(x)
			wg.Done()
		}(uint64(i) + 1)
	}
	wg.Wait()
}

// BenchmarkGosched is gosched-pingpong mode=pairs: two goroutines per P yielding; one op
// is one Gosched.
func BenchmarkGosched(b *testing.B) {
	goroutines := goschedGoroutines("pairs", runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	wg.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		calls := b.N / goroutines
		if g == 0 {
			calls += b.N % goroutines
		}
		go func() {
			for i := 0; i < calls; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// BenchmarkChanPingPong is chan-pingpong: one op is one round trip over two
// unbuffered channels.
func BenchmarkChanPingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for i := 0; i < b.N; i++ {
			pong <- <-ping
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
}

// benchmarkChanProdCons is chan-prodcons with pairs=GOMAXPROCS (runtime's
// benchmarkChanProdCons without local work): one op is one item.
func benchmarkChanProdCons(b *testing.B, buffer int) {
	procs := runtime.GOMAXPROCS(0)
	items := make(chan int, buffer)
	var producers, consumers sync.WaitGroup
	producers.Add(procs)
	consumers.Add(procs)
	for p := 0; p < procs; p++ {
		count := b.N / procs
		if p < b.N%procs {
			count++
		}
		go func() {
			for i := 0; i < count; i++ {
				items <- i
			}
			producers.Done()
		}()
		go func() {
			for range items {
			}
			consumers.Done()
		}()
	}
	producers.Wait()
	close(items)
	consumers.Wait()
}

func BenchmarkChanProdCons0(b *testing.B)   { benchmarkChanProdCons(b, 0) }
func BenchmarkChanProdCons10(b *testing.B)  { benchmarkChanProdCons(b, 10) }
func BenchmarkChanProdCons100(b *testing.B) { benchmarkChanProdCons(b, 100) }

// BenchmarkPingPongHog is runtime's BenchmarkPingPongHog: a ping-pong at GOMAXPROCS=1
// beside a goroutine that never blocks.
func BenchmarkPingPongHog(b *testing.B) {
	if b.N == 0 {
		return
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))

	stop, done := make(chan bool), make(chan bool)
	go func() {
		for {
			select {
			case <-stop:
				done <- true
				return
			default:
			}
		}
	}()

	ping, pong := make(chan bool), make(chan bool)
	go func() {
		for j := 0; j < b.N; j++ {
			pong <- <-ping
		}
		close(stop)
		done <- true
	}()
	go func() {
		for i := 0; i < b.N; i++ {
			ping <- <-pong
		}
		done <- true
	}()
	b.ResetTimer()
	ping <- true
	<-stop
	b.StopTimer()
	<-ping
	<-done
	<-done
	<-done
}

// BenchmarkSyscallPipe is syscall-heavy kind=pipe with one goroutine per P: one op is
// a 1-byte write and read on the goroutine's own pipe.
func BenchmarkSyscallPipe(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		reader, writer, err := os.Pipe()
		if err != nil {
			b.Error(err)
			return
		}
		defer reader.Close()
		defer writer.Close()
		readFD, writeFD := int(reader.Fd()), int(writer.Fd())
		buffer := []byte{1}
		for pb.Next() {
			if _, err := syscall.Write(writeFD, buffer); err != nil {
				b.Error(err)
				return
			}
			if _, err := syscall.Read(readFD, buffer); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLockedPingPong is locked-thread mode=pingpong: a round trip between two
// goroutines each locked to its own thread.
func BenchmarkLockedPingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := 0; i < b.N; i++ {
			pong <- <-ping
		}
		wg.Done()
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	wg.Wait()
}

//go:noinline
func benchRecurse(depth int) uint64 {
	var frame [150 + 8]byte // as frames.go: 224 stack bytes, as the swift engine's frame
	frame[depth%len(frame)] = byte(depth)
	sum := uint64(frame[(depth*7)%len(frame)])
	if depth > 1 {
		sum += benchRecurse(depth - 1)
	}
	frame[(depth*3)%len(frame)] += byte(sum)
	return sum + uint64(frame[(depth*5)%len(frame)])
}

// BenchmarkDeepRecursion is deep-recursion mode=depth: one op is one 150-byte frame,
// recursed in a fresh goroutine (so stack growth by copying is part of the cost), at
// most a million frames per goroutine.
func BenchmarkDeepRecursion(b *testing.B) {
	const framesPerGoroutine = 1_000_000
	var sink uint64
	for remaining := b.N; remaining > 0; remaining -= framesPerGoroutine {
		depth := min(remaining, framesPerGoroutine)
		done := make(chan uint64)
		go func() { done <- benchRecurse(depth) }()
		sink += <-done
	}
	if sink == 42 {
		b.Log(sink)
	}
}

// BenchmarkMutexContention is mutex-contention goroutines=0: 4 x GOMAXPROCS goroutines
// share b.N Lock/increment/Unlock operations evenly (a static split, as the peer does,
// rather than RunParallel's batches handed out on demand).
func BenchmarkMutexContention(b *testing.B) {
	goroutines := 4 * runtime.GOMAXPROCS(0)
	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	wg.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		increments := b.N / goroutines
		if g < b.N%goroutines {
			increments++
		}
		go func() {
			for i := 0; i < increments; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	if counter != b.N {
		b.Fatalf("counter %d, want %d", counter, b.N)
	}
}

// BenchmarkParallelCompute is parallel-compute tasks=64: one op is one kernel round.
func BenchmarkParallelCompute(b *testing.B) {
	const tasks = 64
	var sink atomic.Uint64
	var wg sync.WaitGroup
	wg.Add(tasks)
	for task := 0; task < tasks; task++ {
		rounds := b.N / tasks
		if task < b.N%tasks {
			rounds++
		}
		go func(x uint64) {
			for r := 0; r < rounds; r++ {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
			}
			sink.Add(x)
			wg.Done()
		}(uint64(task) + 1)
	}
	wg.Wait()
}

// BenchmarkTimerStorm is timer-storm with 1 ms sleeps over 1000 goroutines: one op is
// one sleep.
func BenchmarkTimerStorm(b *testing.B) {
	const goroutines = 1000
	var wg sync.WaitGroup
	wg.Add(goroutines)
	for g := 0; g < goroutines; g++ {
		sleeps := b.N / goroutines
		if g < b.N%goroutines {
			sleeps++
		}
		go func() {
			for i := 0; i < sleeps; i++ {
				time.Sleep(time.Millisecond)
			}
			wg.Done()
		}()
	}
	wg.Wait()
}
