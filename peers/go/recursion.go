// deep-recursion: recursion to a given depth under a stack limit, and, in overflow
// mode, unbounded recursion in a re-executed child that Go's stack check kills.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

var deepRecursionSpec = workloadSpec{
	Name: "deep-recursion",
	Description: "recursion with a frame of about frame bytes; depth: to depth frames; overflow: without bound " +
		"in a child process until Go's stack check kills it; one op is one frame",
	Params: []paramSpec{
		intParam("depth", 1_000_000, 1, maxCount, "depth mode: frames"),
		choiceParam("frame", "150", []string{"64", "150", "512"}, "bytes of local array per frame (64, 150, 512: the sizes both engines compile)"),
		choiceParam("mode", "depth", []string{"depth", "overflow"}, "depth or overflow"),
		intParam("maxstack_mb", 0, 0, 1<<20, "debug.SetMaxStack in MB (0: Go's default of 1 GB in depth mode, 64 MB in overflow mode)"),
	},
	Run: runDeepRecursion,
}

// overflowChildFlag is the first argument that makes the binary (or the test binary,
// see TestMain) run as the overflow child instead of parsing its flags.
const overflowChildFlag = "-internal-overflow-child"

// progressIntervalFrames is how often the overflow child reports its depth on stdout.
const progressIntervalFrames = 65536

// frameProbe watches a recursion: it keeps the address of two frames (to measure the
// stack bytes per frame) and, in the overflow child, stores every depth in memory
// shared with the parent and prints a progress line every progressIntervalFrames.
type frameProbe struct {
	firstDepth, lastDepth     int
	firstAddress, lastAddress uintptr
	sharedDepth               *int64 // in the overflow child: a MAP_SHARED page of a file the parent reads
}

func (p *frameProbe) visit(depth int, address uintptr) {
	if depth == p.firstDepth {
		p.firstAddress = address
	}
	if depth == p.lastDepth {
		p.lastAddress = address
	}
	if p.sharedDepth != nil {
		*p.sharedDepth = int64(depth)
		if depth%progressIntervalFrames == 0 {
			var line [32]byte
			syscall.Write(1, append(strconv.AppendInt(append(line[:0], "depth "...), int64(depth), 10), '\n'))
		}
	}
}

// nearestFrameClass picks the compiled frame size closest to the requested bytes.
func nearestFrameClass(bytes int) frameClass {
	best := frameClasses[0]
	for _, class := range frameClasses {
		if abs(class.arrayBytes-bytes) < abs(best.arrayBytes-bytes) {
			best = class
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// measureFrameBytes measures the stack bytes one frame of the class takes: a fresh
// goroutine recurses deep once so that its stack has grown, then again while the probe
// records the addresses of frames 1 and 1001 (no stack copy can happen in between).
func measureFrameBytes(class frameClass) int {
	const frames = 1000
	result := make(chan int)
	go func() {
		class.recurse(1, 2*frames, nil)
		probe := &frameProbe{firstDepth: 1, lastDepth: 1 + frames}
		class.recurse(1, 1+frames, probe)
		result <- int(probe.firstAddress-probe.lastAddress) / frames
	}()
	return <-result
}

// stackBytesNeeded is the goroutine stack size Go must grow to for depth frames:
// stacks double, so it is the power of two at or above the frames plus 16 KB of margin
// for the goroutine's base frames.
func stackBytesNeeded(depth, frameBytes int) (uint64, bool) {
	hi, need := bits.Mul64(uint64(depth), uint64(frameBytes))
	need += 16 << 10
	if hi != 0 || need > 1<<62 {
		return 0, false
	}
	return 1 << bits.Len64(need-1), true
}

func runDeepRecursion(ctx *runContext) (measurement, error) {
	frameBytesWanted, _ := strconv.Atoi(ctx.params.choice("frame"))
	class := nearestFrameClass(frameBytesWanted)
	frameBytes := measureFrameBytes(class)
	frameMetric := metric{"frame_bytes", float64(frameBytes), "bytes", "none"}
	maxStackBytes := ctx.params.int("maxstack_mb") << 20
	if ctx.params.choice("mode") == "overflow" {
		if maxStackBytes == 0 {
			maxStackBytes = 64 << 20
		}
		return runOverflowParent(ctx, class, maxStackBytes, frameMetric)
	}

	depth := ctx.params.int("depth")
	limit := 1_000_000_000 // Go's default on 64-bit, per the seed
	if maxStackBytes > 0 {
		limit = maxStackBytes
		defer debug.SetMaxStack(debug.SetMaxStack(maxStackBytes))
	}
	// Going past the limit is a fatal error that no recover catches, so refuse a depth
	// that would need more; mode=overflow is the way to reach the limit.
	if need, ok := stackBytesNeeded(depth, frameBytes); !ok || need > uint64(limit) {
		return measurement{}, fmt.Errorf("deep-recursion: depth=%d with %d-byte frames needs a %d MB stack, above the %d MB limit (raise maxstack_mb or use mode=overflow)",
			depth, frameBytes, need>>20, limit>>20)
	}
	done := make(chan uint64)
	clock := startSection()
	go func() { done <- class.recurse(1, depth, nil) }()
	sink := <-done
	wall, cpu := clock.stop()
	printSink(ctx, sink)
	return measurement{
		ops:             int64(depth),
		wallNanoseconds: wall, cpuNanoseconds: cpu,
		extra: []metric{{"depth_reached", float64(depth), "count", "higher"}, frameMetric},
	}, nil
}

// monotonicNanoseconds reads CLOCK_MONOTONIC, which parent and child share (Go's own
// monotonic readings are private to a process).
func monotonicNanoseconds() int64 {
	var now syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&now)), 0)
	return now.Nano()
}

// headWriter keeps the first limit bytes written to it and discards the rest, so a
// child's huge traceback can never block it.
type headWriter struct {
	buffer bytes.Buffer
	limit  int
}

func (w *headWriter) Write(p []byte) (int, error) {
	if room := w.limit - w.buffer.Len(); room > 0 {
		w.buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// runOverflowParent runs the unbounded recursion in a child (this executable, with
// overflowChildFlag) and reports how deep it got, how long it took to fail and how it
// exited. The child stores its depth on every frame in a shared page, so the depth is
// exact, and prints "start NS" then "depth N" every progressIntervalFrames on stdout.
func runOverflowParent(ctx *runContext, class frameClass, maxStackBytes int, frameMetric metric) (measurement, error) {
	shared, err := os.CreateTemp("", "gobench-go-depth-*")
	if err != nil {
		return measurement{}, fmt.Errorf("deep-recursion: %v", err)
	}
	defer os.Remove(shared.Name())
	defer shared.Close()
	if err := shared.Truncate(int64(os.Getpagesize())); err != nil {
		return measurement{}, fmt.Errorf("deep-recursion: %v", err)
	}

	child := exec.Command("/proc/self/exe", overflowChildFlag,
		strconv.Itoa(class.arrayBytes), strconv.Itoa(maxStackBytes), shared.Name())
	child.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(ctx.procs), "GOTRACEBACK=single")
	stderr := &headWriter{limit: 64 << 10}
	child.Stderr = stderr
	stdout, err := child.StdoutPipe()
	if err != nil {
		return measurement{}, fmt.Errorf("deep-recursion: %v", err)
	}
	if err := child.Start(); err != nil {
		return measurement{}, fmt.Errorf("deep-recursion: starting the child: %v", err)
	}
	var startNanoseconds, progressDepth int64
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		field, value, _ := strings.Cut(lines.Text(), " ")
		number, err := strconv.ParseInt(value, 10, 64)
		switch {
		case err != nil:
		case field == "start":
			startNanoseconds = number
		case field == "depth":
			progressDepth = number
		}
	}
	waitErr := child.Wait()
	endNanoseconds := monotonicNanoseconds()

	var exitError *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitError) {
		return measurement{}, fmt.Errorf("deep-recursion: waiting for the child: %v", waitErr)
	}
	status := child.ProcessState.Sys().(syscall.WaitStatus)
	firstLine, _, _ := strings.Cut(strings.TrimSpace(stderr.buffer.String()), "\n")
	switch {
	case status.Signaled():
		return measurement{}, fmt.Errorf("deep-recursion: the overflow child died of signal %v (%s)", status.Signal(), firstLine)
	case startNanoseconds == 0:
		return measurement{}, fmt.Errorf("deep-recursion: the overflow child exited %d before recursing (%s)", status.ExitStatus(), firstLine)
	case !strings.Contains(stderr.buffer.String(), "goroutine stack exceeds"):
		return measurement{}, fmt.Errorf("deep-recursion: the overflow child exited %d without Go's stack overflow message (%s)", status.ExitStatus(), firstLine)
	}

	var page [8]byte
	if _, err := shared.ReadAt(page[:], 0); err != nil {
		return measurement{}, fmt.Errorf("deep-recursion: reading the child's depth: %v", err)
	}
	depth := max(*(*int64)(unsafe.Pointer(&page)), progressDepth)
	timeToFailure := endNanoseconds - startNanoseconds
	// The overflow child's CPU time, its whole life (the swift engine: RUSAGE_CHILDREN).
	childCPU := (child.ProcessState.UserTime() + child.ProcessState.SystemTime()).Nanoseconds()
	if depth <= 0 || timeToFailure <= 0 {
		return measurement{}, fmt.Errorf("deep-recursion: the overflow child reached depth %d in %d ns", depth, timeToFailure)
	}
	return measurement{
		ops:             depth,
		wallNanoseconds: timeToFailure,
		cpuNanoseconds:  childCPU,
		extra: []metric{
			{"depth_reached", float64(depth), "count", "higher"},
			{"time_to_failure_ns", float64(timeToFailure), "ns", "lower"},
			{"exit_status", float64(status.ExitStatus()), "count", "none"},
			{"progress_depth", float64(progressDepth), "count", "none"},
			frameMetric,
		},
	}, nil
}

// runOverflowChild is the overflow child's whole life: arguments ARRAY_BYTES
// MAX_STACK_BYTES SHARED_FILE. It never returns normally: Go's stack check ends the
// process with "goroutine stack exceeds" and exit status 2. It returns 1 on bad
// arguments.
func runOverflowChild(args []string) int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "gobench-go overflow child:", err)
		return 1
	}
	if len(args) != 3 {
		return fail(fmt.Errorf("want ARRAY_BYTES MAX_STACK_BYTES SHARED_FILE, got %q", args))
	}
	arrayBytes, err1 := strconv.Atoi(args[0])
	maxStackBytes, err2 := strconv.Atoi(args[1])
	if err := errors.Join(err1, err2); err != nil {
		return fail(err)
	}
	class := nearestFrameClass(arrayBytes)
	if class.arrayBytes != arrayBytes {
		return fail(fmt.Errorf("no frame class of %d bytes", arrayBytes))
	}
	file, err := os.OpenFile(args[2], os.O_RDWR, 0)
	if err != nil {
		return fail(err)
	}
	page, err := syscall.Mmap(int(file.Fd()), 0, os.Getpagesize(), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return fail(fmt.Errorf("mmap: %v", err))
	}
	probe := &frameProbe{firstDepth: -1, lastDepth: -1, sharedDepth: (*int64)(unsafe.Pointer(&page[0]))}
	debug.SetMaxStack(maxStackBytes)
	fmt.Printf("start %d\n", monotonicNanoseconds())
	done := make(chan uint64)
	go func() { done <- class.recurse(1, int(^uint(0)>>1), probe) }()
	fmt.Println("returned", <-done)
	runtime.KeepAlive(file)
	return fail(errors.New("the unbounded recursion returned"))
}
