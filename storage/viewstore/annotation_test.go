package viewstore

import (
	"context"
	"math"
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// annotated returns o with the annotation.
func annotated(o storage.Object, datatype, lex string) storage.Object {
	o.Datatype, o.Lex = datatype, lex
	return o
}

// annotatedChanges insert "1", "01"^^xsd:integer and "x"^^<http://ex/dt>
// for one subject and predicate at index 1, then, at 2, an update pending
// until 3 that inserts "1.50"^^xsd:decimal.
func annotatedChanges() ([]Change, []storage.Object) {
	objs := []storage.Object{
		storage.AInt64(1, 0),
		annotated(storage.AInt64(1, 0), "", "01"),
		annotated(storage.AString("x", ""), "http://ex/dt", ""),
		annotated(storage.AFloat64(1.5, 0), storage.XSD+"decimal", "1.50"),
	}
	c1 := Change{Index: 1}
	for i, o := range objs[:3] {
		c1.Inserts = append(c1.Inserts, fact(1, storage.KIDOf(1, uint32(i+1)), 10, 20, o))
	}
	c2 := Change{Index: 2, Pending: true, Inserts: []storage.Fact{fact(2, storage.KIDOf(2, 1), 10, 20, objs[3])}}
	c3 := Change{Index: 3, Decide: &Decision{Tx: 2, Commit: true}}
	return []Change{c1, c2, c3}, objs
}

// checkTerms checks that st holds exactly objs for subject 10, predicate 20.
func checkTerms(t *testing.T, st *Store, objs []storage.Object) {
	t.Helper()
	var got []storage.Object
	if err := st.LookupSP(3, 10, 20, func(f storage.Fact) error {
		got = append(got, f.Object)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(objs) {
		t.Fatalf("got %d objects %+v, want %d", len(got), got, len(objs))
	}
	for _, want := range objs {
		n := 0
		for _, o := range got {
			if storage.SameTerm(o, want) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%+v found %d times in %+v", want, n, got)
		}
	}
}

func TestAnnotationsSurviveWriteReadDigestAndLoad(t *testing.T) {
	ctx := context.Background()
	changes, objs := annotatedChanges()
	src := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err := src.Apply(changes); err != nil {
		t.Fatal(err)
	}
	checkTerms(t, src, objs)

	// The digest covers the annotations: the same facts without them differ.
	plain := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	stripped, _ := annotatedChanges()
	for _, c := range stripped {
		for i := range c.Inserts {
			c.Inserts[i].Object.Datatype, c.Inserts[i].Object.Lex = "", ""
		}
	}
	if err := plain.Apply(stripped); err != nil {
		t.Fatal(err)
	}
	ds, _ := src.Digest(ctx, 3)
	dp, _ := plain.Digest(ctx, 3)
	if ds == dp {
		t.Fatalf("annotated and plain stores share digest %x", ds)
	}
	if n, err := src.Verify(ctx); err != nil || n != 4 {
		t.Fatalf("Verify = %d, %v; want 4 keys", n, err)
	}

	// A store loaded from the source's keys and values holds the same.
	dst := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	l, err := dst.BeginLoad(3)
	if err != nil {
		t.Fatal(err)
	}
	copyKeys(t, src, l, 0, math.MaxUint64)
	if err := l.Finish(LogVersion{}); err != nil {
		t.Fatal(err)
	}
	checkTerms(t, dst, objs)
	if dd, _ := dst.Digest(ctx, 3); dd != ds {
		t.Fatalf("loaded digest %x, source's %x", dd, ds)
	}
	// Scanning the digest anew agrees with the incremental one.
	if d, err := src.scanDigest(ctx, src.db, 3); err != nil || d != ds {
		t.Fatalf("scanned digest %x, %v; incremental %x", d, err, ds)
	}
}

func TestLoaderRefusesBadValues(t *testing.T) {
	st := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	l, err := st.BeginLoad(5)
	if err != nil {
		t.Fatal(err)
	}
	in := fact(1, storage.KIDOf(1, 1), 10, 20, storage.AEntity(7))
	key := storage.AppendSPKey(nil, in, false)
	for _, v := range [][]byte{{9}, {1, 0, 0}, storage.AppendAnnotation(nil, annotated(storage.AInt64(1, 0), "", "01"))} {
		if _, err := l.Add([][]byte{key}, [][]byte{v}, 0, math.MaxUint64); err == nil {
			t.Errorf("value %x for an entity's key accepted", v)
		}
	}
}

func TestEntrySplit(t *testing.T) {
	e := AppendEntry(nil, []byte("key"), []byte("value"))
	k, v, err := SplitEntry(e)
	if err != nil || string(k) != "key" || string(v) != "value" {
		t.Fatalf("SplitEntry = %q, %q, %v", k, v, err)
	}
	if _, _, err := SplitEntry([]byte{9, 'k'}); err == nil {
		t.Fatal("truncated entry split")
	}
}

func TestPendingRecordsOldFormat(t *testing.T) {
	old := binaryKeys([]byte("abc"), []byte("de"))
	got, err := decodeEntries(old)
	if err != nil || len(got) != 2 || string(got[0].key) != "abc" || got[1].value != nil {
		t.Fatalf("decodeEntries(old) = %+v, %v", got, err)
	}
	in := []entry{{key: []byte("k1"), value: []byte{1, 2}}, {key: []byte("k2")}}
	got, err = decodeEntries(encodeEntries(in))
	if err != nil || len(got) != 2 || string(got[0].value) != "\x01\x02" || len(got[1].value) != 0 {
		t.Fatalf("decodeEntries(new) = %+v, %v", got, err)
	}
}

// binaryKeys is the keys-only pending record written before values.
func binaryKeys(keys ...[]byte) []byte {
	var out []byte
	for _, k := range keys {
		out = appendBytes(out, k)
	}
	return out
}

// TestPendingAnnotationsSurviveReopen: a pending transaction's values are
// recorded with its keys, and written when a decision comes after a
// restart.
func TestPendingAnnotationsSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	changes, objs := annotatedChanges()
	st, err := Open(dir, fullRange(storage.KeyPrefixPO))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(changes[:2]); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openT(t, dir, fullRange(storage.KeyPrefixPO))
	if err := st.Apply(changes[2:]); err != nil {
		t.Fatal(err)
	}
	var got []storage.Object
	if err := st.LookupP(3, 20, func(f storage.Fact) error {
		got = append(got, f.Object)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(objs) {
		t.Fatalf("got %+v, want %d objects", got, len(objs))
	}
	found := false
	for _, o := range got {
		found = found || storage.SameTerm(o, objs[3])
	}
	if !found {
		t.Fatalf("the pending %+v came back as one of %+v", objs[3], got)
	}
	if _, err := st.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}
