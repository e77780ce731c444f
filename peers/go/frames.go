// The recursive frames of deep-recursion: one function per frame size class, each with
// a local array the compiler must keep in the frame (written and read at run-time
// indices), because Go array sizes are fixed at compile time.
package main

import "unsafe"

// frameFunction recurses from depth to limit (one frame per depth) and returns a value
// that depends on every frame's array. probe, when not nil, is told each frame's depth
// and address (the overflow child and the frame-size probe use it).
type frameFunction func(depth, limit int, probe *frameProbe) uint64

// frameClass is one compiled frame size.
type frameClass struct {
	arrayBytes int
	recurse    frameFunction
}

// The arrays of the three classes the catalog offers (64, 150 and 512) are lengthened
// (by 16, 8 and 16 bytes) so that their frames take the same stack bytes as the swift
// engine's: 144, 224 and 592 on amd64 (`frame_bytes` on both engines, checked by
// TestFrameBytesMatchTheSwiftEngine). A Swift frame is a multiple of 16 bytes (the System V
// ABI aligns the stack at every call); with the bare arrays Go's are 120, 216 and 568.

// frameClasses lists the array sizes available, ascending; a requested frame uses the
// nearest one.
var frameClasses = []frameClass{
	{16, recurse16},
	{32, recurse32},
	{64, recurse64},
	{96, recurse96},
	{128, recurse128},
	{150, recurse150},
	{192, recurse192},
	{256, recurse256},
	{384, recurse384},
	{512, recurse512},
	{768, recurse768},
	{1024, recurse1024},
	{2048, recurse2048},
	{4096, recurse4096},
}

//go:noinline
func recurse16(depth, limit int, probe *frameProbe) uint64 {
	var pad [16]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse16(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse32(depth, limit int, probe *frameProbe) uint64 {
	var pad [32]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse32(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse64(depth, limit int, probe *frameProbe) uint64 {
	var pad [64 + 16]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse64(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse96(depth, limit int, probe *frameProbe) uint64 {
	var pad [96]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse96(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse128(depth, limit int, probe *frameProbe) uint64 {
	var pad [128]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse128(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse150(depth, limit int, probe *frameProbe) uint64 {
	var pad [150 + 8]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse150(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse192(depth, limit int, probe *frameProbe) uint64 {
	var pad [192]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse192(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse256(depth, limit int, probe *frameProbe) uint64 {
	var pad [256]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse256(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse384(depth, limit int, probe *frameProbe) uint64 {
	var pad [384]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse384(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse512(depth, limit int, probe *frameProbe) uint64 {
	var pad [512 + 16]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse512(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse768(depth, limit int, probe *frameProbe) uint64 {
	var pad [768]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse768(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse1024(depth, limit int, probe *frameProbe) uint64 {
	var pad [1024]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse1024(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse2048(depth, limit int, probe *frameProbe) uint64 {
	var pad [2048]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse2048(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}

//go:noinline
func recurse4096(depth, limit int, probe *frameProbe) uint64 {
	var pad [4096]byte
	pad[depth%len(pad)] = byte(depth)
	if probe != nil {
		probe.visit(depth, uintptr(unsafe.Pointer(&pad)))
	}
	sum := uint64(pad[(depth*7)%len(pad)])
	if depth < limit {
		sum += recurse4096(depth+1, limit, probe)
	}
	pad[(depth*3)%len(pad)] += byte(sum)
	return sum + uint64(pad[(depth*5)%len(pad)])
}
