package main

import (
	"runtime"
	"strconv"
	"testing"
)

// TestSelectEveryItemOnce runs every mode of the select workload at several GOMAXPROCS:
// the workload counts what arrives and fails on a lost or duplicated item.
func TestSelectEveryItemOnce(t *testing.T) {
	cases := []struct {
		mode   string
		n, ops int
	}{
		{"stress4", 4003, 4000}, {"stress4", 5, 8}, {"prodcons", 3001, 3001}, {"contended", 3001, 3001},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, c := range cases {
		for _, procs := range []int{1, 2, 3} {
			runtime.GOMAXPROCS(procs)
			spec, _ := lookupWorkload("select")
			params, err := spec.resolve(map[string]string{"mode": c.mode, "n": strconv.Itoa(c.n)})
			if err != nil {
				t.Fatal(err)
			}
			m, err := spec.Run(&runContext{procs: procs, params: params})
			if err != nil {
				t.Errorf("mode=%s n=%d procs=%d: %v", c.mode, c.n, procs, err)
				continue
			}
			if m.ops != int64(c.ops) {
				t.Errorf("mode=%s n=%d procs=%d: ops %d, want %d", c.mode, c.n, procs, m.ops, c.ops)
			}
		}
	}
}
