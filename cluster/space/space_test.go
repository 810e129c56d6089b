package space

import (
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
)

func TestParseSpace(t *testing.T) {
	for _, s := range []string{"hashsp", "HashSP", " hashpo "} {
		if _, err := ParseSpace(s); err != nil {
			t.Errorf("ParseSpace(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "hash", "hashsp2"} {
		if _, err := ParseSpace(s); err == nil {
			t.Errorf("ParseSpace(%q): want error", s)
		}
	}
}

func TestRangeBasics(t *testing.T) {
	half := Range{0, 0x7fffffffffffffff}
	if got, want := half.String(), "0x0000000000000000-0x7fffffffffffffff"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	if !Full().Contains(0) || !Full().Contains(math.MaxUint64) {
		t.Error("Full must contain both ends")
	}
	if half.Contains(1<<63) || !half.Contains(1<<63-1) {
		t.Error("Contains is wrong at the end boundary")
	}
	other := Range{1 << 63, math.MaxUint64}
	if half.Overlaps(other) || !half.Overlaps(Range{1<<63 - 1, 1 << 63}) {
		t.Error("Overlaps is wrong at the boundary")
	}
	if (Range{5, 4}).Overlaps(Full()) {
		t.Error("an invalid range overlaps nothing")
	}
}

func TestParseRange(t *testing.T) {
	for _, r := range []Range{{0, math.MaxUint64}, {0, 0}, {0x10, 0xff}} {
		got, err := ParseRange(r.String())
		if err != nil || got != r {
			t.Errorf("ParseRange(%q) = %v, %v", r.String(), got, err)
		}
	}
	if got, err := ParseRange("0x0-0xFF"); err != nil || got != (Range{0, 255}) {
		t.Errorf("ParseRange short form = %v, %v", got, err)
	}
	bad := map[string]string{
		"":                        "want 0xSTART-0xEND",
		"0x10":                    "want 0xSTART-0xEND",
		"10-20":                   "0x-prefixed",
		"0x-0x1":                  "0x-prefixed",
		"0x1-0xzz":                "end",
		"0x20-0x10":               "start is after end",
		"0x1-0x10000000000000000": "64-bit",
	}
	for in, want := range bad {
		_, err := ParseRange(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRange(%q) error = %v, want containing %q", in, err, want)
		}
	}
}

// bigBoundary computes floor(k*2^64/n) with math/big, as a reference.
func bigBoundary(k, n int) uint64 {
	v := new(big.Int).Lsh(big.NewInt(int64(k)), 64)
	return v.Div(v, big.NewInt(int64(n))).Uint64()
}

func TestPartition(t *testing.T) {
	for _, n := range []int{1, 2, 3, 4, 7, 1000} {
		var prevEnd uint64
		for i := 1; i <= n; i++ {
			r, err := Partition(i, n)
			if err != nil {
				t.Fatalf("Partition(%d, %d): %v", i, n, err)
			}
			if want := bigBoundary(i-1, n); r.Start != want {
				t.Fatalf("Partition(%d, %d).Start = %#x, want %#x", i, n, r.Start, want)
			}
			if i > 1 && r.Start != prevEnd+1 {
				t.Fatalf("Partition(%d, %d) leaves a gap or overlap", i, n)
			}
			prevEnd = r.End
		}
		if prevEnd != math.MaxUint64 {
			t.Fatalf("last of %d partitions ends at %#x", n, prevEnd)
		}
	}
	if r, _ := Partition(1, 2); r.String() != "0x0000000000000000-0x7fffffffffffffff" {
		t.Errorf("Partition(1, 2) = %v", r)
	}
	if r, _ := Partition(2, 3); r != (Range{0x5555555555555555, 0xaaaaaaaaaaaaaaa9}) {
		t.Errorf("Partition(2, 3) = %v", r)
	}
}

func TestParsePartition(t *testing.T) {
	if r, err := ParsePartition("1/1"); err != nil || r != Full() {
		t.Errorf("ParsePartition(1/1) = %v, %v", r, err)
	}
	if r, err := ParsePartition("2/2"); err != nil || r != (Range{1 << 63, math.MaxUint64}) {
		t.Errorf("ParsePartition(2/2) = %v, %v", r, err)
	}
	for _, in := range []string{"", "1", "0/3", "4/3", "1/0", "-1/3", "a/3", "1/b", "1/3/4"} {
		if _, err := ParsePartition(in); err == nil {
			t.Errorf("ParsePartition(%q): want error", in)
		}
	}
}

func partitions(t *testing.T, n int) []Range {
	t.Helper()
	out := make([]Range, n)
	for i := range out {
		r, err := Partition(i+1, n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

func TestSplitTwoAndThreeWay(t *testing.T) {
	two, three := partitions(t, 2), partitions(t, 3)
	got := Split(append(append([]Range{}, two...), three...))
	want := []Range{
		{0, three[0].End},
		{three[1].Start, two[0].End},
		{two[1].Start, three[1].End},
		{three[2].Start, math.MaxUint64},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Split(2-way + 3-way) =\n%v\nwant\n%v", got, want)
	}
	if gaps := Uncovered(got); gaps != nil {
		t.Errorf("Uncovered(split) = %v, want none", gaps)
	}
}

func TestSplitPartialAndInvalid(t *testing.T) {
	three := partitions(t, 3)
	// Only the first of three and the second of two serve: one hole.
	half2, _ := Partition(2, 2)
	in := []Range{half2, three[0], {10, 5}, three[0]}
	got := Split(in)
	want := []Range{three[0], half2}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Split = %v, want %v", got, want)
	}
	gaps := Uncovered(in)
	wantGaps := []Range{{three[1].Start, half2.Start - 1}}
	if !reflect.DeepEqual(gaps, wantGaps) {
		t.Fatalf("Uncovered = %v, want %v", gaps, wantGaps)
	}
	if Split(nil) != nil {
		t.Error("Split(nil) must be empty")
	}
}

func TestSplitPointRanges(t *testing.T) {
	in := []Range{{5, 5}, {0, 10}, {math.MaxUint64, math.MaxUint64}}
	got := Split(in)
	want := []Range{{0, 4}, {5, 5}, {6, 10}, {math.MaxUint64, math.MaxUint64}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Split = %v, want %v", got, want)
	}
	gaps := Uncovered(in)
	wantGaps := []Range{{11, math.MaxUint64 - 1}}
	if !reflect.DeepEqual(gaps, wantGaps) {
		t.Fatalf("Uncovered = %v, want %v", gaps, wantGaps)
	}
}

func TestUncovered(t *testing.T) {
	if got := Uncovered(nil); !reflect.DeepEqual(got, []Range{Full()}) {
		t.Errorf("Uncovered(nil) = %v", got)
	}
	if got := Uncovered([]Range{Full()}); got != nil {
		t.Errorf("Uncovered(full) = %v", got)
	}
	in := []Range{{100, 200}, {150, 160}, {201, 300}, {0, 9}}
	want := []Range{{10, 99}, {301, math.MaxUint64}}
	if got := Uncovered(in); !reflect.DeepEqual(got, want) {
		t.Errorf("Uncovered = %v, want %v", got, want)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add(uint64(0), uint64(10), uint64(5), uint64(20), uint64(30), uint64(40))
	f.Fuzz(func(t *testing.T, a, b, c, d, e, g uint64) {
		in := []Range{{a, b}, {c, d}, {e, g}}
		pieces := Split(in)
		for k, p := range pieces {
			if !p.Valid() || (k > 0 && pieces[k-1].End >= p.Start) {
				t.Fatalf("pieces not sorted and disjoint: %v", pieces)
			}
			for _, r := range in {
				if r.Overlaps(p) && !(r.Contains(p.Start) && r.Contains(p.End)) {
					t.Fatalf("piece %v straddles %v", p, r)
				}
			}
		}
		// Pieces plus gaps must tile the full space.
		all := append(append([]Range{}, pieces...), Uncovered(in)...)
		if len(Uncovered(all)) != 0 || len(Split(all)) != len(all) {
			t.Fatalf("pieces %v and gaps do not tile the space", pieces)
		}
	})
}
