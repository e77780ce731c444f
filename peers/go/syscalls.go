// syscall-heavy: goroutines that spend their time in blocking system calls, through
// package syscall so every op goes through entersyscall/exitsyscall.
package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

var syscallHeavySpec = workloadSpec{
	Name: "syscall-heavy",
	Description: "goroutines each making n system calls: pipe (1-byte write + read on its own pipe), " +
		"nanosleep (a 1 µs nanosleep) or fsync (1-byte write + fsync of a temporary file); one op is one such call",
	Params: []paramSpec{
		intParam("goroutines", 64, 1, 1<<20, "goroutines, each with its own pipe or file"),
		intParam("n", 2_000, 1, maxCount, "ops per goroutine"),
		choiceParam("kind", "pipe", []string{"pipe", "nanosleep", "fsync"}, "the system call made"),
	},
	Run: runSyscallHeavy,
}

// syscallChannel is one goroutine's file descriptors: a pipe's two ends, or one
// temporary file for both.
type syscallChannel struct {
	readFD, writeFD int
	close           func()
}

func openSyscallChannel(kind string) (syscallChannel, error) {
	switch kind {
	case "pipe":
		reader, writer, err := os.Pipe()
		if err != nil {
			return syscallChannel{}, err
		}
		// Fd puts both ends in blocking mode, so Read and Write below are plain
		// blocking system calls rather than the netpoller's.
		return syscallChannel{int(reader.Fd()), int(writer.Fd()), func() { reader.Close(); writer.Close() }}, nil
	case "fsync":
		file, err := os.CreateTemp("", "gobench-go-fsync-*")
		if err != nil {
			return syscallChannel{}, err
		}
		os.Remove(file.Name())
		fd := int(file.Fd())
		return syscallChannel{fd, fd, func() { file.Close() }}, nil
	}
	return syscallChannel{-1, -1, func() {}}, nil
}

func runSyscallHeavy(ctx *runContext) (measurement, error) {
	goroutines, n, kind := ctx.params.int("goroutines"), ctx.params.int("n"), ctx.params.choice("kind")
	channels := make([]syscallChannel, goroutines)
	defer func() {
		for _, channel := range channels {
			if channel.close != nil {
				channel.close()
			}
		}
	}()
	for i := range channels {
		channel, err := openSyscallChannel(kind)
		if err != nil {
			return measurement{}, fmt.Errorf("syscall-heavy: %v", err)
		}
		channels[i] = channel
	}

	latencies := make([]int64, goroutines*n)
	failures := make(chan error, goroutines)
	var wg sync.WaitGroup
	clock := startSection()
	wg.Add(goroutines)
	for g, channel := range channels {
		go func() {
			defer wg.Done()
			mine := latencies[g*n : (g+1)*n]
			buffer := []byte{1}
			pause := syscall.Timespec{Nsec: 1_000} // 1 µs
			previous := time.Now()                 // one clock reading per op, as in chan-pingpong
			for i := range mine {
				var err error
				switch kind {
				case "pipe":
					if _, err = syscall.Write(channel.writeFD, buffer); err == nil {
						_, err = syscall.Read(channel.readFD, buffer)
					}
				case "nanosleep":
					// nanosleep is not restarted after a signal (the runtime's
					// preemption signal may land here); a cut-short sleep still counts.
					if err = syscall.Nanosleep(&pause, nil); err == syscall.EINTR {
						err = nil
					}
				case "fsync":
					if _, err = syscall.Write(channel.writeFD, buffer); err == nil {
						err = syscall.Fsync(channel.writeFD)
					}
				}
				if err != nil {
					failures <- fmt.Errorf("syscall-heavy %s: %v", kind, err)
					return
				}
				now := time.Now()
				mine[i] = now.Sub(previous).Nanoseconds()
				previous = now
			}
		}()
	}
	wg.Wait()
	wall, cpu := clock.stop()
	close(failures)
	if err := <-failures; err != nil {
		return measurement{}, err
	}
	return measurement{ops: int64(goroutines) * int64(n), wallNanoseconds: wall, cpuNanoseconds: cpu, latencies: latencies}, nil
}
