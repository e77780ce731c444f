package gobenchbroken

import "testing"

func BenchmarkBroken(b *testing.B) {
	undefinedFunction(b.N)
}
