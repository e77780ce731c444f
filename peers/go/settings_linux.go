// The run settings that are not workload parameters: -scavenge (a goroutine that calls
// debug.FreeOSMemory) and -placement (the CPU affinity of the process, from the NUMA
// nodes in /sys/devices/system/node).
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// parseScavenge reads -scavenge: "off" (zero) or a positive Go duration such as 10ms or 2m.
func parseScavenge(text string) (time.Duration, error) {
	if text == "off" {
		return 0, nil
	}
	interval, err := time.ParseDuration(text)
	if err != nil || interval <= 0 {
		return 0, fmt.Errorf("-scavenge %q: want off or a positive duration such as 10ms or 2m", text)
	}
	return interval, nil
}

// startScavenger starts a goroutine that calls debug.FreeOSMemory every interval (a
// forced GC that then returns as much memory to the OS as it can) and returns the
// function that stops it and waits for it. Go's own background scavenger always runs
// beside it; "off" only means no forced calls.
func startScavenger(interval time.Duration) (stop func()) {
	if interval == 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				debug.FreeOSMemory()
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// placementSetting is a parsed -placement value.
type placementSetting struct {
	kind  string // none, compact, spread or nodes
	nodes []int  // for kind nodes
}

// String is the canonical text: none, compact, spread or nodes=1,0 (the order named).
func (p placementSetting) String() string {
	if p.kind != "nodes" {
		return p.kind
	}
	parts := make([]string, len(p.nodes))
	for i, node := range p.nodes {
		parts[i] = strconv.Itoa(node)
	}
	return "nodes=" + strings.Join(parts, ",")
}

// parseSetting is -parse-setting KIND=TEXT: the value this peer reads from a -scavenge or
// -placement text, as one line (scavenge: off or the interval in nanoseconds; placement:
// its canonical text), for the test that checks it agrees with gobench's parsers.
func parseSetting(request string) (string, error) {
	kind, text, ok := strings.Cut(request, "=")
	if !ok {
		return "", fmt.Errorf("-parse-setting %q is not KIND=TEXT (KIND scavenge or placement)", request)
	}
	switch kind {
	case "scavenge":
		interval, err := parseScavenge(text)
		if err != nil {
			return "", err
		}
		if interval == 0 {
			return "off", nil
		}
		return strconv.FormatInt(int64(interval), 10), nil
	case "placement":
		setting, err := parsePlacement(text)
		if err != nil {
			return "", err
		}
		return setting.String(), nil
	}
	return "", fmt.Errorf("-parse-setting: unknown kind %q (scavenge or placement)", kind)
}

// parsePlacement reads -placement: none, compact, spread, or nodes= and node numbers, each
// named once, in the order named (the meaning of gobench's PlacementPolicy).
func parsePlacement(text string) (placementSetting, error) {
	switch text {
	case "none", "compact", "spread":
		return placementSetting{kind: text}, nil
	}
	list, ok := strings.CutPrefix(text, "nodes=")
	if !ok || list == "" {
		return placementSetting{}, fmt.Errorf("-placement %q: want none, compact, spread or nodes=0,1", text)
	}
	setting := placementSetting{kind: "nodes"}
	for _, field := range strings.Split(list, ",") {
		node, err := strconv.Atoi(field)
		if err != nil || node < 0 {
			return placementSetting{}, fmt.Errorf("-placement %q: %q is not a node number", text, field)
		}
		if slices.Contains(setting.nodes, node) {
			return placementSetting{}, fmt.Errorf("-placement %q: node %d is listed twice", text, node)
		}
		setting.nodes = append(setting.nodes, node)
	}
	return setting, nil
}

// numaNode is one node of /sys/devices/system/node with the CPUs it holds.
type numaNode struct {
	id   int
	cpus []int
}

// readNumaNodes lists the nodes in ascending order. A kernel without NUMA support has
// no node directory; then every online CPU is in node 0.
func readNumaNodes() ([]numaNode, error) {
	entries, err := os.ReadDir("/sys/devices/system/node")
	if errors.Is(err, os.ErrNotExist) {
		online, err := os.ReadFile("/sys/devices/system/cpu/online")
		if err != nil {
			return nil, err
		}
		cpus, err := parseCPUList(string(online))
		return []numaNode{{id: 0, cpus: cpus}}, err
	}
	if err != nil {
		return nil, err
	}
	var nodes []numaNode
	for _, entry := range entries {
		suffix, ok := strings.CutPrefix(entry.Name(), "node")
		id, err := strconv.Atoi(suffix)
		if !ok || err != nil {
			continue
		}
		list, err := os.ReadFile(filepath.Join("/sys/devices/system/node", entry.Name(), "cpulist"))
		if err != nil {
			return nil, err
		}
		cpus, err := parseCPUList(string(list))
		if err != nil {
			return nil, fmt.Errorf("node %d cpulist: %v", id, err)
		}
		nodes = append(nodes, numaNode{id: id, cpus: cpus})
	}
	slices.SortFunc(nodes, func(a, b numaNode) int { return a.id - b.id })
	return nodes, nil
}

// parseCPUList reads the kernel's CPU list format, such as "0-3,8,10-11".
func parseCPUList(text string) ([]int, error) {
	var cpus []int
	text = strings.TrimSpace(text)
	if text == "" {
		return cpus, nil
	}
	for _, part := range strings.Split(text, ",") {
		first, last, isRange := strings.Cut(part, "-")
		lo, err := strconv.Atoi(first)
		if err != nil {
			return nil, fmt.Errorf("bad CPU list %q", text)
		}
		hi := lo
		if isRange {
			if hi, err = strconv.Atoi(last); err != nil || hi < lo {
				return nil, fmt.Errorf("bad CPU list %q", text)
			}
		}
		for cpu := lo; cpu <= hi; cpu++ {
			cpus = append(cpus, cpu)
		}
	}
	return cpus, nil
}

// placementCPUs chooses the CPUs for a placement: compact takes nodes in order until
// they hold at least procs CPUs (ceil(procs / CPUs per node) nodes), spread takes every
// node, nodes=... takes the listed ones. Nodes without CPUs (memory only) are skipped.
func placementCPUs(setting placementSetting, procs int, nodes []numaNode) ([]int, error) {
	var cpus []int
	switch setting.kind {
	case "compact":
		for _, node := range nodes {
			if len(cpus) >= procs {
				break
			}
			cpus = append(cpus, node.cpus...)
		}
	case "spread":
		for _, node := range nodes {
			cpus = append(cpus, node.cpus...)
		}
	case "nodes":
		for _, want := range setting.nodes {
			index := slices.IndexFunc(nodes, func(n numaNode) bool { return n.id == want })
			if index < 0 {
				return nil, fmt.Errorf("-placement: no NUMA node %d on this machine (%d nodes)", want, len(nodes))
			}
			if len(nodes[index].cpus) == 0 {
				return nil, fmt.Errorf("-placement: NUMA node %d has no CPUs", want)
			}
			cpus = append(cpus, nodes[index].cpus...)
		}
	}
	if len(cpus) == 0 {
		return nil, fmt.Errorf("-placement %s: no CPUs found", setting.kind)
	}
	return cpus, nil
}

// cpuMask is a sched_setaffinity bit mask for up to 4096 CPUs.
type cpuMask [64]uint64

func maskOf(cpus []int) (cpuMask, error) {
	var mask cpuMask
	for _, cpu := range cpus {
		if cpu >= len(mask)*64 {
			return mask, fmt.Errorf("CPU %d is beyond the %d CPUs this peer supports", cpu, len(mask)*64)
		}
		mask[cpu/64] |= 1 << (cpu % 64)
	}
	return mask, nil
}

// applyPlacement sets the CPU affinity of the whole process and returns the function
// that restores the previous one. "none" changes nothing.
func applyPlacement(setting placementSetting, procs int) (restore func(), err error) {
	noop := func() {}
	if setting.kind == "none" {
		return noop, nil
	}
	nodes, err := readNumaNodes()
	if err != nil {
		return noop, fmt.Errorf("-placement: reading NUMA nodes: %v", err)
	}
	cpus, err := placementCPUs(setting, procs, nodes)
	if err != nil {
		return noop, err
	}
	mask, err := maskOf(cpus)
	if err != nil {
		return noop, err
	}
	var previous cpuMask
	if _, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(previous), uintptr(unsafe.Pointer(&previous))); errno != 0 {
		return noop, fmt.Errorf("-placement: sched_getaffinity: %v", errno)
	}
	if err := setProcessAffinity(&mask); err != nil {
		setProcessAffinity(&previous)
		return noop, fmt.Errorf("-placement %s (CPUs %v): %v", setting.kind, cpus, err)
	}
	return func() { setProcessAffinity(&previous) }, nil
}

// setProcessAffinity applies the mask to every thread of the process.
// sched_setaffinity(0, ...) changes the calling thread only, so this walks
// /proc/self/task; threads created later inherit the mask from the thread that creates
// them. The walk repeats until a pass finds no thread it has not set, in case the
// runtime starts an M meanwhile.
func setProcessAffinity(mask *cpuMask) error {
	done := map[int]bool{}
	for pass := 0; pass < 10; pass++ {
		entries, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := 0
		for _, entry := range entries {
			tid, err := strconv.Atoi(entry.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh++
			_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, uintptr(tid), unsafe.Sizeof(*mask), uintptr(unsafe.Pointer(mask)))
			if errno != 0 && errno != syscall.ESRCH { // ESRCH: the thread ended meanwhile
				return fmt.Errorf("sched_setaffinity(thread %d): %v", tid, errno)
			}
			done[tid] = true
		}
		if fresh == 0 {
			return nil
		}
	}
	return nil
}
