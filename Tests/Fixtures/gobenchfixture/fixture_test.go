package gobenchfixture

import (
	"os"
	"testing"
)

var sink uint64

// BenchmarkParallelSpin scales with GOMAXPROCS: RunParallel spreads the ops over the Ps.
func BenchmarkParallelSpin(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		var local uint64
		for pb.Next() {
			local += Spin(2000)
		}
		if local == 1 {
			sink = local
		}
	})
}

// BenchmarkSerialSpin does not scale: one goroutine does every op.
func BenchmarkSerialSpin(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink += Spin(2000)
	}
}

// BenchmarkFails always fails (the sweep records an error row naming it).
func BenchmarkFails(b *testing.B) {
	if os.Getenv("GOBENCHFIXTURE_PASS") == "" {
		b.Fatal("intentional failure")
	}
	for i := 0; i < b.N; i++ {
		sink++
	}
}

// BenchmarkSizes has sub-benchmarks (parameters) and a custom metric.
func BenchmarkSizes(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"size=100", 100}, {"size=1000", 1000}} {
		b.Run(size.name, func(b *testing.B) {
			buf := make([]byte, size.n)
			b.SetBytes(int64(size.n))
			for i := 0; i < b.N; i++ {
				for j := range buf {
					buf[j] = byte(i + j)
				}
			}
			b.ReportMetric(float64(size.n)/2, "items/op")
		})
	}
}

// BenchmarkChanPingPong is channel-heavy: round trips between two goroutines.
func BenchmarkChanPingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	close(ping)
}
