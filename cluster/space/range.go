package space

import (
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// Range is a contiguous range of a 64-bit hash space. Both ends are
// inclusive, so the full space is {0, math.MaxUint64}. A Range with
// Start > End is invalid and contains nothing.
type Range struct {
	Start, End uint64
}

// Full returns the range covering the whole space.
func Full() Range {
	return Range{Start: 0, End: math.MaxUint64}
}

// Valid reports whether Start <= End.
func (r Range) Valid() bool {
	return r.Start <= r.End
}

// Contains reports whether h lies within r.
func (r Range) Contains(h uint64) bool {
	return r.Start <= h && h <= r.End
}

// Overlaps reports whether r and o share at least one hash.
func (r Range) Overlaps(o Range) bool {
	return r.Valid() && o.Valid() && r.Start <= o.End && o.Start <= r.End
}

// String formats r as 0x0000000000000000-0x7fffffffffffffff, the form
// accepted by ParseRange.
func (r Range) String() string {
	return fmt.Sprintf("0x%016x-0x%016x", r.Start, r.End)
}

// ParseRange parses "0xSTART-0xEND" (hexadecimal, inclusive ends,
// START <= END), the form produced by Range.String.
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Range{}, fmt.Errorf("space: parse range %q: want 0xSTART-0xEND", s)
	}
	start, err := parseHex(lo)
	if err != nil {
		return Range{}, fmt.Errorf("space: parse range %q: start: %w", s, err)
	}
	end, err := parseHex(hi)
	if err != nil {
		return Range{}, fmt.Errorf("space: parse range %q: end: %w", s, err)
	}
	if start > end {
		return Range{}, fmt.Errorf("space: parse range %q: start is after end", s)
	}
	return Range{Start: start, End: end}, nil
}

// parseHex parses a 0x-prefixed 64-bit hexadecimal number.
func parseHex(s string) (uint64, error) {
	digits, ok := strings.CutPrefix(s, "0x")
	if !ok {
		digits, ok = strings.CutPrefix(s, "0X")
	}
	if !ok || digits == "" {
		return 0, fmt.Errorf("%q is not a 0x-prefixed hexadecimal number", s)
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 64-bit hexadecimal number", s)
	}
	return v, nil
}

// Partition returns the i-th of n equal partitions of the full space,
// counting i from 1. Partition i covers
// [floor((i-1)*2^64/n), floor(i*2^64/n)-1]; the last one ends at
// math.MaxUint64.
func Partition(i, n int) (Range, error) {
	if n < 1 {
		return Range{}, fmt.Errorf("space: partition %d/%d: count must be at least 1", i, n)
	}
	if i < 1 || i > n {
		return Range{}, fmt.Errorf("space: partition %d/%d: index must be in 1..%d", i, n, n)
	}
	start := scaledBoundary(uint64(i-1), uint64(n))
	end := uint64(math.MaxUint64)
	if i < n {
		end = scaledBoundary(uint64(i), uint64(n)) - 1
	}
	return Range{Start: start, End: end}, nil
}

// scaledBoundary returns floor(k*2^64/n) for k < n.
func scaledBoundary(k, n uint64) uint64 {
	q, _ := bits.Div64(k, 0, n)
	return q
}

// ParsePartition parses "I/N" (as in --partition 2/3) and returns
// Partition(I, N).
func ParsePartition(s string) (Range, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Range{}, fmt.Errorf("space: parse partition %q: want I/N, e.g. 1/3", s)
	}
	i, err := strconv.Atoi(is)
	if err != nil {
		return Range{}, fmt.Errorf("space: parse partition %q: index %q is not a number", s, is)
	}
	n, err := strconv.Atoi(ns)
	if err != nil {
		return Range{}, fmt.Errorf("space: parse partition %q: count %q is not a number", s, ns)
	}
	r, err := Partition(i, n)
	if err != nil {
		return Range{}, fmt.Errorf("space: parse partition %q: %w", s, err)
	}
	return r, nil
}
