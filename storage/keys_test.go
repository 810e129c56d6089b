package storage

import (
	"bytes"
	"encoding/hex"
	"math"
	"strings"
	"testing"
	"time"
)

// sampleFacts returns facts over every sample object with varied IDs.
func sampleFacts() []Fact {
	var facts []Fact
	for i, o := range sampleObjects() {
		n := uint64(i)
		facts = append(facts, Fact{
			Index:     n + 1,
			ID:        KIDOf(n+1, uint32(i%3)),
			Subject:   n * 0x0101010101,
			Predicate: math.MaxUint64 - n,
			Object:    o,
		})
	}
	return append(facts, Fact{Object: AEntity(1)}, Fact{
		Index: math.MaxUint64, ID: math.MaxUint64, Subject: math.MaxUint64,
		Predicate: math.MaxUint64, Object: AString("\xff", "\xff"),
	})
}

// diffFacts describes how got differs from want, or returns "".
func diffFacts(got, want Fact) string {
	var d []string
	if got.Index != want.Index || got.ID != want.ID || got.Subject != want.Subject || got.Predicate != want.Predicate {
		d = append(d, "IDs: got "+factIDs(got)+", want "+factIDs(want))
	}
	if od := diffObjects(got.Object, want.Object); od != "" {
		d = append(d, "Object: "+od)
	}
	return strings.Join(d, "; ")
}

func factIDs(f Fact) string {
	return hex.EncodeToString(AppendSPPrefix(nil, f.Subject, f.Predicate)) + "/" +
		hex.EncodeToString(appendKeySuffix(nil, f.ID, f.Index, false))
}

// keyCodec names one key space's encoder and decoder.
type keyCodec struct {
	name   string
	encode func([]byte, Fact, bool) []byte
	decode func([]byte) (Fact, bool, error)
}

func keyCodecs() []keyCodec {
	return []keyCodec{
		{"SP", AppendSPKey, DecodeSPKey},
		{"PO", AppendPOKey, DecodePOKey},
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, c := range keyCodecs() {
		for _, f := range sampleFacts() {
			for _, deleted := range []bool{false, true} {
				k := c.encode(nil, f, deleted)
				got, gotDeleted, err := c.decode(k)
				if err != nil {
					t.Errorf("%s: decoding key %x of %v: %v", c.name, k, f, err)
					continue
				}
				if d := diffFacts(got, canonicalFact(f)); d != "" || gotDeleted != deleted {
					t.Errorf("%s: key %x decoded to deleted=%v, %s; want deleted=%v", c.name, k, gotDeleted, d, deleted)
				}
			}
		}
	}
}

func canonicalFact(f Fact) Fact {
	f.Object = canonical(f.Object)
	return f
}

// TestKeyGolden pins the exact key layouts: they are a durable format.
func TestKeyGolden(t *testing.T) {
	f := Fact{Index: 0x11, ID: 0x22, Subject: 0x33, Predicate: 0x44, Object: ABool(true)}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"SP", AppendSPKey(nil, f, false),
			"53 0000000000000033 0000000000000044 0501 0000000000000022 0000000000000011 00"},
		{"SP deleted", AppendSPKey(nil, f, true),
			"53 0000000000000033 0000000000000044 0501 0000000000000022 0000000000000011 01"},
		{"PO", AppendPOKey(nil, f, false),
			"50 0000000000000044 0501 0000000000000033 0000000000000022 0000000000000011 00"},
		{"S prefix", AppendSPrefix(nil, 0x33), "53 0000000000000033"},
		{"SP prefix", AppendSPPrefix(nil, 0x33, 0x44), "53 0000000000000033 0000000000000044"},
		{"SPO prefix", AppendSPOPrefix(nil, 0x33, 0x44, ABool(true)), "53 0000000000000033 0000000000000044 0501"},
		{"P prefix", AppendPPrefix(nil, 0x44), "50 0000000000000044"},
		{"PO prefix", AppendPOPrefix(nil, 0x44, ABool(true)), "50 0000000000000044 0501"},
		{"PO group prefix", AppendPOGroupPrefix(nil, 0x44, AInt64(9, 2)), "50 0000000000000044 03 0000000000000002"},
		{"appends to dst", AppendSPrefix([]byte{0xAB}, 1), "ab 53 0000000000000001"},
	}
	for _, test := range tests {
		want, err := hex.DecodeString(strings.ReplaceAll(test.want, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(test.got, want) {
			t.Errorf("%s: got %x, want %x", test.name, test.got, want)
		}
	}
}

// TestKeyOrder checks that keys sort by their fields in layout order.
func TestKeyOrder(t *testing.T) {
	fact := func(s, p uint64, o Object, id, index uint64) Fact {
		return Fact{Subject: s, Predicate: p, Object: o, ID: id, Index: index}
	}
	type entry struct {
		f       Fact
		deleted bool
	}
	tests := []struct {
		codec     keyCodec
		ascending []entry
	}{
		{keyCodecs()[0], []entry{
			{fact(1, 9, AString("b", ""), 9, 9), false},
			{fact(2, 1, AString("b", ""), 9, 9), false},
			{fact(2, 2, AInt64(-100, 0), 9, 9), false},
			{fact(2, 2, AInt64(1, 0), 9, 9), false},
			{fact(2, 2, AInt64(1, 0), 10, 1), false},
			{fact(2, 2, AInt64(1, 0), 10, 2), false},
			{fact(2, 2, AInt64(1, 0), 10, 2), true},
			{fact(2, 2, AInt64(1<<40, 0), 1, 1), false},
		}},
		{keyCodecs()[1], []entry{
			{fact(9, 1, AString("b", ""), 9, 9), false},
			{fact(9, 2, AString("a", ""), 9, 9), false},
			{fact(9, 2, AString("a\x00", ""), 9, 9), false},
			{fact(1, 2, AString("ab", ""), 9, 9), false},
			{fact(2, 2, AString("ab", ""), 1, 1), false},
			{fact(2, 2, AString("ab", ""), 1, 1), true},
			{fact(2, 2, AString("ab", ""), 2, 1), false},
			{fact(2, 2, AInt64(math.MinInt64, 0), 1, 1), false},
		}},
	}
	for _, test := range tests {
		for i := 1; i < len(test.ascending); i++ {
			a, b := test.ascending[i-1], test.ascending[i]
			ka, kb := test.codec.encode(nil, a.f, a.deleted), test.codec.encode(nil, b.f, b.deleted)
			if bytes.Compare(ka, kb) >= 0 {
				t.Errorf("%s: key %x of %v (deleted=%v) does not sort before key %x of %v (deleted=%v)",
					test.codec.name, ka, a.f, a.deleted, kb, b.f, b.deleted)
			}
		}
	}
}

// prefixGrid returns facts that differ from one another in one field at a
// time, including objects whose encodings share leading bytes.
func prefixGrid() []Fact {
	objects := []Object{
		AString("a", ""), AString("ab", ""), AString("a\x00", ""), AString("", "a"),
		AInt64(1, 0), AInt64(1, 1), AInt64(256, 0), AFloat64(1, 0), AEntity(1), AEntity(0x0100),
		ABool(false), ATimestamp(time.Unix(0, 0), PrecisionDay), ATimestamp(time.Unix(0, 0), PrecisionMonth),
	}
	var facts []Fact
	for _, s := range []uint64{1, 0x0100, math.MaxUint64} {
		for _, p := range []uint64{1, 0xFF} {
			for i, o := range objects {
				facts = append(facts, Fact{Subject: s, Predicate: p, Object: o, ID: uint64(i), Index: 5})
			}
		}
	}
	return facts
}

// checkPrefix fails unless prefix matches exactly the keys for which match
// is true, and PrefixEnd(prefix) bounds exactly the matching keys.
func checkPrefix(t *testing.T, what string, prefix []byte, keys [][]byte, match []bool) {
	t.Helper()
	end := PrefixEnd(prefix)
	for i, k := range keys {
		if got := bytes.HasPrefix(k, prefix); got != match[i] {
			t.Errorf("%s: prefix %x matches key %x = %v, want %v", what, prefix, k, got, match[i])
		}
		inRange := bytes.Compare(k, prefix) >= 0 && (end == nil || bytes.Compare(k, end) < 0)
		if inRange != match[i] {
			t.Errorf("%s: key %x in [%x, %x) = %v, want %v", what, k, prefix, end, inRange, match[i])
		}
	}
}

func TestLookupPrefixes(t *testing.T) {
	facts := prefixGrid()
	spKeys, poKeys := make([][]byte, len(facts)), make([][]byte, len(facts))
	for i, f := range facts {
		spKeys[i] = AppendSPKey(nil, f, i%2 == 0)
		poKeys[i] = AppendPOKey(nil, f, i%2 == 1)
	}
	matches := func(pred func(Fact) bool) []bool {
		m := make([]bool, len(facts))
		for i, f := range facts {
			m[i] = pred(f)
		}
		return m
	}
	for _, q := range facts {
		checkPrefix(t, "S", AppendSPrefix(nil, q.Subject), spKeys,
			matches(func(f Fact) bool { return f.Subject == q.Subject }))
		checkPrefix(t, "SP", AppendSPPrefix(nil, q.Subject, q.Predicate), spKeys,
			matches(func(f Fact) bool { return f.Subject == q.Subject && f.Predicate == q.Predicate }))
		checkPrefix(t, "SPO", AppendSPOPrefix(nil, q.Subject, q.Predicate, q.Object), spKeys,
			matches(func(f Fact) bool {
				return f.Subject == q.Subject && f.Predicate == q.Predicate && CompareObjects(f.Object, q.Object) == 0
			}))
		checkPrefix(t, "P", AppendPPrefix(nil, q.Predicate), poKeys,
			matches(func(f Fact) bool { return f.Predicate == q.Predicate }))
		checkPrefix(t, "PO", AppendPOPrefix(nil, q.Predicate, q.Object), poKeys,
			matches(func(f Fact) bool { return f.Predicate == q.Predicate && CompareObjects(f.Object, q.Object) == 0 }))
		checkPrefix(t, "PO group", AppendPOGroupPrefix(nil, q.Predicate, q.Object), poKeys,
			matches(func(f Fact) bool { return f.Predicate == q.Predicate && sameGroup(f.Object, q.Object) }))
		// Prefixes of one space never match keys of the other.
		for _, k := range poKeys {
			if bytes.HasPrefix(k, AppendSPrefix(nil, q.Subject)) {
				t.Errorf("SP prefix matches PO key %x", k)
			}
		}
	}
}

// sameGroup reports whether a and b are in the same kind and group, by the
// definition in CompareObjects.
func sameGroup(a, b Object) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case KindString:
		return a.Lang == b.Lang
	case KindInt64, KindFloat64:
		return a.Unit == b.Unit
	}
	return true
}

// TestComparisonScan runs the design doc's example, `?size <gt> 60` over
// <screenSize>, as a range over sorted PO keys.
func TestComparisonScan(t *testing.T) {
	const screenSize, inch = 100, 200
	var keys [][]byte
	for i, o := range []Object{
		AInt64(55, inch), AInt64(60, inch), AInt64(61, inch), AInt64(65, inch), AInt64(math.MaxInt64, inch),
		AInt64(70, 0), AInt64(70, inch+1), AFloat64(70, inch), AString("70", ""),
	} {
		f := Fact{Subject: uint64(i + 1), Predicate: screenSize, Object: o, ID: 1, Index: 1}
		keys = append(keys, AppendPOKey(nil, f, false))
		f.Predicate++
		keys = append(keys, AppendPOKey(nil, f, false))
	}
	start := AppendPOPrefix(nil, screenSize, AInt64(61, inch))
	end := PrefixEnd(AppendPOGroupPrefix(nil, screenSize, AInt64(0, inch)))
	var got []int64
	for _, k := range keys {
		if bytes.Compare(k, start) >= 0 && bytes.Compare(k, end) < 0 {
			f, _, err := DecodePOKey(k)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, f.Object.Int)
		}
	}
	want := []int64{61, 65, math.MaxInt64}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("scan found sizes %v, want %v", got, want)
	}
}

func TestDecodeKeyErrors(t *testing.T) {
	f := Fact{Index: 1, ID: 2, Subject: 3, Predicate: 4, Object: AString("ab", "")}
	sp, po := AppendSPKey(nil, f, false), AppendPOKey(nil, f, false)
	setLast := func(k []byte, b byte) []byte {
		k = bytes.Clone(k)
		k[len(k)-1] = b
		return k
	}
	tests := []struct {
		name    string
		decode  func([]byte) (Fact, bool, error)
		in      []byte
		wantErr string
	}{
		{"SP empty", DecodeSPKey, nil, "SP key: key is empty"},
		{"PO empty", DecodePOKey, []byte{}, "PO key: key is empty"},
		{"SP given PO key", DecodeSPKey, po, "starts with 0x50, want 'S'"},
		{"PO given SP key", DecodePOKey, sp, "starts with 0x53, want 'P'"},
		{"SP short IDs", DecodeSPKey, sp[:10], "truncated subject and predicate"},
		{"PO short predicate", DecodePOKey, po[:3], "truncated predicate"},
		{"SP bad object", DecodeSPKey, append(AppendSPPrefix(nil, 1, 2), 0x09), "unknown kind byte 0x09"},
		{"PO bad object", DecodePOKey, append(AppendPPrefix(nil, 1), 0x02, 0x00), "ends inside an escape"},
		{"PO short subject", DecodePOKey, AppendPOPrefix(nil, 4, f.Object), "truncated subject"},
		{"SP truncated suffix", DecodeSPKey, sp[:len(sp)-1], "ends with 16 bytes"},
		{"PO truncated suffix", DecodePOKey, po[:len(po)-5], "ends with 12 bytes"},
		{"SP trailing garbage", DecodeSPKey, append(bytes.Clone(sp), 0), "ends with 18 bytes"},
		{"PO trailing garbage", DecodePOKey, append(bytes.Clone(po), 1, 2), "ends with 19 bytes"},
		{"SP deleted flag", DecodeSPKey, setLast(sp, 2), "deleted flag is 0x02"},
		{"PO deleted flag", DecodePOKey, setLast(po, 0xFF), "deleted flag is 0xff"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, deleted, err := test.decode(test.in)
			if err == nil {
				t.Fatalf("decoding %x = %v, %v; want error containing %q", test.in, got, deleted, test.wantErr)
			}
			if !strings.Contains(err.Error(), test.wantErr) {
				t.Errorf("decoding %x: error %q does not contain %q", test.in, err, test.wantErr)
			}
			if diffFacts(got, Fact{}) != "" || deleted {
				t.Errorf("decoding %x returned %v, %v with an error; want zero values", test.in, got, deleted)
			}
		})
	}
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct {
		prefix, want string // hex
	}{
		{"", ""},
		{"ff", ""},
		{"ffff", ""},
		{"00", "01"},
		{"61", "62"},
		{"61ff", "62"},
		{"61ffff", "62"},
		{"53fe", "53ff"},
		{"530000000000000001", "530000000000000002"},
	}
	for _, test := range tests {
		prefix, _ := hex.DecodeString(test.prefix)
		orig := bytes.Clone(prefix)
		got := PrefixEnd(prefix)
		if hex.EncodeToString(got) != test.want {
			t.Errorf("PrefixEnd(%s) = %x, want %s", test.prefix, got, test.want)
		}
		if test.want == "" && got != nil {
			t.Errorf("PrefixEnd(%s) = %#v, want nil", test.prefix, got)
		}
		if !bytes.Equal(prefix, orig) {
			t.Errorf("PrefixEnd modified its input: %x became %x", orig, prefix)
		}
	}
	// The result must not alias the prefix's spare capacity.
	buf := make([]byte, 2, 16)
	buf[0], buf[1] = 'a', 'b'
	end := PrefixEnd(buf)
	end[0] = 'z'
	if buf[0] != 'a' {
		t.Errorf("PrefixEnd result aliases its input")
	}
}

// TestHashGolden pins the hashes: they place facts on servers, so they must
// never change across processes or versions.
func TestHashGolden(t *testing.T) {
	tests := []struct {
		name      string
		got, want uint64
	}{
		{"SP(0,0)", HashSP(0, 0), 0xaf09f71516247c32},
		{"SP(1,2)", HashSP(1, 2), 0xb69418d39c51424f},
		{"PO(1, entity 2)", HashPO(1, AEntity(2)), 0x1e41955506eb4504},
		{"PO(1, string)", HashPO(1, AString("Panasonic", "en")), 0x6e57609e476a1cc5},
		{"PO(1, int)", HashPO(1, AInt64(60, 3)), 0x0c593f3b5f9bc61f},
	}
	for _, test := range tests {
		if test.got != test.want {
			t.Errorf("%s = %#x, want %#x", test.name, test.got, test.want)
		}
	}
}

func TestHashProperties(t *testing.T) {
	if HashSP(1, 2) == HashSP(2, 1) {
		t.Errorf("HashSP(1, 2) == HashSP(2, 1): subject and predicate must not commute")
	}
	if HashPO(1, AFloat64(0, 0)) != HashPO(1, AFloat64(math.Copysign(0, -1), 0)) {
		t.Errorf("HashPO differs for +0 and -0, which are the same object")
	}
	if HashPO(1, AString("a", "")) == HashPO(1, AString("ab", "")) {
		t.Errorf(`HashPO(1, "a") == HashPO(1, "ab")`)
	}
	// A long object's encoding overflows HashPO's inline buffer: an equal
	// object built separately (another backing array) must hash the same,
	// and the bytes past the buffer must count.
	long := AString(strings.Repeat("x", 1000), "en")
	same := AString(strings.Repeat("x", 999)+"x", "en")
	if HashPO(7, long) != HashPO(7, same) {
		t.Errorf("HashPO differs for two equal long objects")
	}
	if HashPO(7, long) == HashPO(7, AString(strings.Repeat("x", 999)+"y", "en")) {
		t.Errorf("HashPO ignores the end of a long object")
	}
}

func BenchmarkAppendSPKey(b *testing.B) {
	f := Fact{Index: 1 << 30, ID: KIDOf(1<<30, 3), Subject: KIDOf(5, 1), Predicate: KIDOf(6, 2),
		Object: AString("LG OLED55B8PUA 55\" 4K Smart OLED TV", "en")}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSPKey(buf[:0], f, false)
	}
}

func BenchmarkDecodeSPKey(b *testing.B) {
	f := Fact{Index: 1 << 30, ID: KIDOf(1<<30, 3), Subject: KIDOf(5, 1), Predicate: KIDOf(6, 2),
		Object: AString("LG OLED55B8PUA 55\" 4K Smart OLED TV", "en")}
	k := AppendSPKey(nil, f, false)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeSPKey(k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHashPO(b *testing.B) {
	o := AInt64(60, KIDOf(9, 1))
	b.ReportAllocs()
	for b.Loop() {
		HashPO(KIDOf(6, 2), o)
	}
}

// A fact key's lookup prefixes are exactly the prefixes the lookups of its
// fact build, in both spaces, for every sample object, live or deleted.
func TestEachLookupPrefix(t *testing.T) {
	for _, f := range sampleFacts() {
		for _, deleted := range []bool{false, true} {
			for _, c := range []struct {
				key  []byte
				want [][]byte
			}{
				{AppendSPKey(nil, f, deleted), [][]byte{{KeyPrefixSP}, AppendSPrefix(nil, f.Subject),
					AppendSPPrefix(nil, f.Subject, f.Predicate), AppendSPOPrefix(nil, f.Subject, f.Predicate, f.Object)}},
				{AppendPOKey(nil, f, deleted), [][]byte{{KeyPrefixPO}, AppendPPrefix(nil, f.Predicate),
					AppendPOPrefix(nil, f.Predicate, f.Object)}},
			} {
				var got [][]byte
				EachLookupPrefix(c.key, func(p []byte) { got = append(got, p) })
				if len(got) != len(c.want) {
					t.Fatalf("key %x: %d prefixes %x, want %x", c.key, len(got), got, c.want)
				}
				for i := range got {
					if !bytes.Equal(got[i], c.want[i]) {
						t.Fatalf("key %x: prefix %d is %x, want %x", c.key, i, got[i], c.want[i])
					}
				}
			}
		}
	}
	for _, k := range [][]byte{nil, {KeyPrefixSP}, []byte("\x00applied"), bytes.Repeat([]byte{KeyPrefixPO}, 20)} {
		EachLookupPrefix(k, func(p []byte) { t.Fatalf("key %x gave prefix %x; want none", k, p) })
	}
}
