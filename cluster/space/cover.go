package space

import (
	"math"
	"slices"
)

// Split cuts the given ranges (typically those of the views serving one
// space, possibly overlapping and from different partitionings) at every
// range boundary. It returns sorted, disjoint sub-ranges whose union equals
// the union of the input, such that each sub-range lies entirely inside or
// entirely outside every input range. Invalid ranges (Start > End) are
// ignored.
//
// For example, a 2-way and a 3-way partitioning together give the pieces
// [0, 1/3), [1/3, 1/2), [1/2, 2/3), [2/3, 1].
func Split(ranges []Range) []Range {
	cuts := cutPoints(ranges)
	var out []Range
	for k, start := range cuts {
		end := uint64(math.MaxUint64)
		if k+1 < len(cuts) {
			end = cuts[k+1] - 1
		}
		if covered(ranges, start) {
			out = append(out, Range{Start: start, End: end})
		}
	}
	return out
}

// cutPoints returns the sorted, distinct hashes at which some valid range
// starts or just after which one ends.
func cutPoints(ranges []Range) []uint64 {
	cuts := make([]uint64, 0, 2*len(ranges))
	for _, r := range ranges {
		if !r.Valid() {
			continue
		}
		cuts = append(cuts, r.Start)
		if r.End < math.MaxUint64 {
			cuts = append(cuts, r.End+1)
		}
	}
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// covered reports whether any range contains h.
func covered(ranges []Range, h uint64) bool {
	for _, r := range ranges {
		if r.Contains(h) {
			return true
		}
	}
	return false
}

// Uncovered returns the sorted gaps of the full space [0, math.MaxUint64]
// that no valid range covers. It returns nil when the space is fully
// covered, and [Full()] when no range is given.
func Uncovered(ranges []Range) []Range {
	valid := make([]Range, 0, len(ranges))
	for _, r := range ranges {
		if r.Valid() {
			valid = append(valid, r)
		}
	}
	slices.SortFunc(valid, func(a, b Range) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	var gaps []Range
	next := uint64(0) // the lowest hash not yet known to be covered
	for _, r := range valid {
		if r.Start > next {
			gaps = append(gaps, Range{Start: next, End: r.Start - 1})
		}
		if r.End >= next {
			if r.End == math.MaxUint64 {
				return gaps
			}
			next = r.End + 1
		}
	}
	return append(gaps, Range{Start: next, End: math.MaxUint64})
}
