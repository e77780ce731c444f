// Package gobenchfixture is a tiny Go package whose benchmarks gobench's tests sweep with
// --go-test: one that scales with GOMAXPROCS, one that does not, one that fails, one with
// sub-benchmarks and a custom metric, and a channel-heavy one.
package gobenchfixture

// Spin is a CPU-bound kernel: n rounds of an xorshift step.
func Spin(n int) uint64 {
	x := uint64(88172645463325252)
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}
