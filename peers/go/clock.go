// The clocks of a measured section (docs/PROTOCOL.md section 1): wall time and the CPU
// time of the whole process, user and system, every thread (CLOCK_PROCESS_CPUTIME_ID).
package main

import (
	"syscall"
	"time"
	"unsafe"
)

// sectionClock is a measured section's start: the CPU clock is read before the wall
// clock at the start and after it at the stop, so the CPU reading covers the whole wall
// interval.
type sectionClock struct {
	cpu  int64
	wall time.Time
}

func startSection() sectionClock {
	cpu := processCPUNanoseconds()
	return sectionClock{cpu: cpu, wall: time.Now()}
}

// stop ends the section and returns its wall and CPU nanoseconds.
func (c sectionClock) stop() (wall, cpu int64) {
	wall = time.Since(c.wall).Nanoseconds()
	cpu = processCPUNanoseconds() - c.cpu
	return wall, cpu
}

// measured is the measurement of a section of ops operations ending now.
func (c sectionClock) measured(ops int64) measurement {
	wall, cpu := c.stop()
	return measurement{ops: ops, wallNanoseconds: wall, cpuNanoseconds: cpu}
}

// processCPUNanoseconds reads CLOCK_PROCESS_CPUTIME_ID (the same clock as the swift
// engine's; Go's syscall package has no wrapper for it).
func processCPUNanoseconds() int64 {
	var now syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, 2 /* CLOCK_PROCESS_CPUTIME_ID */, uintptr(unsafe.Pointer(&now)), 0)
	return now.Nano()
}
