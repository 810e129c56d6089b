package viewstore

import (
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/viewstore/viewstoretest"
)

// someChanges returns n log entries (indexes from+0 .. from+n-1) of a few
// facts each, spread over the hash spaces.
func someChanges(from uint64, n int) []Change {
	var out []Change
	for i := 0; i < n; i++ {
		idx := from + uint64(i)
		c := Change{Index: idx}
		for j := uint64(1); j <= 3; j++ {
			c.Inserts = append(c.Inserts, fact(idx, storage.KIDOf(idx, uint32(j)), 1000+idx%7, 2000+j, storage.AInt64(int64(idx*j), 0)))
		}
		if i%5 == 4 {
			c.Inserts = nil // entries that change nothing still move the index
		}
		out = append(out, c)
	}
	return out
}

func openT(t *testing.T, dir string, cfg Config) *Store {
	t.Helper()
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestDigestHistoryMatchesScan(t *testing.T) {
	st := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	ctx := context.Background()
	if err := st.Apply(someChanges(1, 20)); err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(21, 10)); err != nil {
		t.Fatal(err)
	}
	for _, idx := range []uint64{0, 1, 5, 20, 21, 30} {
		fromHistory, err := st.Digest(ctx, idx)
		if err != nil {
			t.Fatal(err)
		}
		scanned, err := st.scanDigest(ctx, st.db, idx)
		if err != nil {
			t.Fatal(err)
		}
		if fromHistory != scanned {
			t.Errorf("digest at %d: history %x, scan %x", idx, fromHistory, scanned)
		}
	}
	if _, err := st.Digest(ctx, 31); !errors.Is(err, ErrNotApplied) {
		t.Errorf("digest beyond applied: %v, want ErrNotApplied", err)
	}
	if a, d := st.AppliedDigest(); a != 30 || d == 0 {
		t.Errorf("AppliedDigest = %d, %x", a, d)
	}
}

func TestDigestSurvivesReopenAndUsesScanForOldIndexes(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := Open(dir, fullRange(storage.KeyPrefixPO))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 12)); err != nil {
		t.Fatal(err)
	}
	want7, _ := st.Digest(ctx, 7)
	want12, _ := st.Digest(ctx, 12)
	st.Close()
	st = openT(t, dir, fullRange(storage.KeyPrefixPO))
	if got, err := st.Digest(ctx, 12); err != nil || got != want12 {
		t.Fatalf("digest at 12 after reopen = %x, %v; want %x", got, err, want12)
	}
	if got, err := st.Digest(ctx, 7); err != nil || got != want7 {
		t.Fatalf("digest at 7 after reopen (by scan) = %x, %v; want %x", got, err, want7)
	}
}

func TestDigestDependsOnRangeNotOnSplit(t *testing.T) {
	ctx := context.Background()
	whole := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	lo := openT(t, t.TempDir(), Config{Space: storage.KeyPrefixSP, RangeStart: 0, RangeEnd: math.MaxUint64 / 2})
	hi := openT(t, t.TempDir(), Config{Space: storage.KeyPrefixSP, RangeStart: math.MaxUint64/2 + 1, RangeEnd: math.MaxUint64})
	for _, st := range []*Store{whole, lo, hi} {
		if err := st.Apply(someChanges(1, 40)); err != nil {
			t.Fatal(err)
		}
	}
	dw, _ := whole.Digest(ctx, 40)
	dl, _ := lo.Digest(ctx, 40)
	dh, _ := hi.Digest(ctx, 40)
	if dl+dh != dw || dl == 0 || dh == 0 {
		t.Fatalf("halves' digests %x + %x != whole's %x", dl, dh, dw)
	}
}

// copyKeys loads dst from src's keys with index <= index in [start, end],
// the way a boot does.
func copyKeys(t *testing.T, src *Store, l *Loader, start, end uint64) {
	t.Helper()
	var after []byte
	for {
		var batch, values [][]byte
		last, done, err := src.ScanKeys(after, 7, func(k, v []byte) error {
			h, err := KeyHash(k)
			if err != nil {
				return err
			}
			if idx, _ := KeyIndex(k); h >= start && h <= end && idx <= l.Index() {
				batch = append(batch, append([]byte(nil), k...))
				values = append(values, append([]byte(nil), v...))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Add(batch, values, start, end); err != nil {
			t.Fatal(err)
		}
		if done {
			return
		}
		after = last
	}
}

func TestLoadFromAnotherStore(t *testing.T) {
	ctx := context.Background()
	src := openT(t, t.TempDir(), fullRange(storage.KeyPrefixPO))
	if err := src.Apply(someChanges(1, 50)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := openT(t, dir, fullRange(storage.KeyPrefixPO))
	l, err := dst.BeginLoad(30)
	if err != nil {
		t.Fatal(err)
	}
	copyKeys(t, src, l, 0, math.MaxUint64/3)
	copyKeys(t, src, l, math.MaxUint64/3+1, math.MaxUint64)
	if err := l.Finish(LogVersion{}); err != nil {
		t.Fatal(err)
	}
	want, _ := src.Digest(ctx, 30)
	if got, _ := dst.Digest(ctx, 30); got != want || dst.Applied() != 30 {
		t.Fatalf("loaded store: applied %d digest %x; want 30, %x", dst.Applied(), got, want)
	}
	if n, err := dst.Verify(ctx); err != nil || n == 0 {
		t.Fatalf("verifying the loaded store: %d keys, %v", n, err)
	}
	// It continues from the log like any other store.
	if err := dst.Apply(someChanges(31, 20)); err != nil {
		t.Fatal(err)
	}
	want, _ = src.Digest(ctx, 50)
	if got, _ := dst.Digest(ctx, 50); got != want {
		t.Fatalf("after applying 31..50: digest %x, want %x", got, want)
	}
}

func TestLoaderRejectsBadKeys(t *testing.T) {
	half := Config{Space: storage.KeyPrefixSP, RangeStart: 0, RangeEnd: math.MaxUint64 / 2}
	st := openT(t, t.TempDir(), half)
	l, err := st.BeginLoad(10)
	if err != nil {
		t.Fatal(err)
	}
	var in, out storage.Fact
	for s := uint64(1); in.Subject == 0 || out.Subject == 0; s++ {
		f := fact(5, 99, s, 7, storage.ABool(true))
		if half.holds(f) {
			in = f
		} else {
			out = f
		}
	}
	late := in
	late.Index = 11
	poKey := storage.AppendPOKey(nil, in, false)
	cases := map[string][]byte{
		"garbage":      []byte("S\x01\x02"),
		"other space":  poKey,
		"out of range": storage.AppendSPKey(nil, out, false),
		"too new":      storage.AppendSPKey(nil, late, false),
		"bad flag":     append(storage.AppendSPKey(nil, in, false)[:len(storage.AppendSPKey(nil, in, false))-1], 7),
	}
	for name, k := range cases {
		if _, err := l.Add([][]byte{k}, nil, 0, math.MaxUint64); !errors.Is(err, ErrBadKey) {
			t.Errorf("%s: Add = %v, want ErrBadKey", name, err)
		}
	}
	good := storage.AppendSPKey(nil, in, false)
	h := storage.HashSP(in.Subject, in.Predicate)
	if _, err := l.Add([][]byte{good}, nil, h+1, math.MaxUint64); !errors.Is(err, ErrBadKey) {
		t.Errorf("key outside the requested sub-range: %v, want ErrBadKey", err)
	}
	if _, err := l.Add([][]byte{good, storage.AppendSPKey(nil, in, true)}, nil, 0, math.MaxUint64); err != nil {
		t.Errorf("a fact and its tombstone: %v", err)
	}
}

func TestUnfinishedLoadIsReportedOnOpen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir, fullRange(storage.KeyPrefixSP))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginLoad(3); err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 1)); err == nil {
		t.Error("applying entries to a loading store succeeded")
	}
	st.Close()
	st = openT(t, dir, fullRange(storage.KeyPrefixSP))
	if !st.Loading() {
		t.Fatal("a store with an unfinished load does not say so after reopening")
	}
	if _, err := st.BeginLoad(3); err == nil {
		t.Fatal("BeginLoad on a loading store succeeded")
	}
}

func TestBeginLoadNeedsAnEmptyStore(t *testing.T) {
	st := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err := st.Apply(someChanges(1, 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.BeginLoad(5); err == nil {
		t.Fatal("BeginLoad on a store with data succeeded")
	}
}

func TestVerifyFindsBogusKeysAndBadDigests(t *testing.T) {
	dir := t.TempDir()
	cfg := fullRange(storage.KeyPrefixSP)
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Verify(context.Background()); err != nil {
		t.Fatalf("a healthy store fails verification: %v", err)
	}
	st.Close()
	// A well-formed key the log never wrote: only the digest tells.
	rawPut(t, dir, storage.AppendSPKey(nil, fact(3, 12345, 1, 2, storage.ABool(false)), false))
	st = openT(t, dir, cfg)
	if _, err := st.Verify(context.Background()); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("verify with a bogus key: %v, want a digest mismatch", err)
	}
}

func TestVerifyFindsKeysNewerThanApplied(t *testing.T) {
	dir := t.TempDir()
	cfg := fullRange(storage.KeyPrefixSP)
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 3)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	rawPut(t, dir, storage.AppendSPKey(nil, fact(9, 1, 1, 2, storage.ABool(false)), false))
	st = openT(t, dir, cfg)
	if _, err := st.Verify(context.Background()); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("verify with a key from the future: %v, want ErrCorrupt", err)
	}
}

func TestDamagedTableIsCorrupt(t *testing.T) {
	dir := t.TempDir()
	cfg := fullRange(storage.KeyPrefixSP)
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 300)); err != nil {
		t.Fatal(err)
	}
	st.Close()
	viewstoretest.CorruptTables(t, dir)
	st, err = Open(dir, cfg)
	if err == nil {
		defer st.Close()
		_, err = st.Verify(context.Background())
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("opening and verifying a store with a damaged table: %v, want ErrCorrupt", err)
	}
	to, err := MoveAside(dir)
	if err != nil || !strings.HasPrefix(to, dir+".corrupt-") {
		t.Fatalf("MoveAside = %q, %v", to, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the damaged directory is still there: %v", err)
	}
}

func TestLegacyStoreGetsADigest(t *testing.T) {
	dir := t.TempDir()
	cfg := fullRange(storage.KeyPrefixSP)
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 10)); err != nil {
		t.Fatal(err)
	}
	want, _ := st.Digest(context.Background(), 10)
	st.Close()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(keyDigest, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st = openT(t, dir, cfg)
	if got, _ := st.Digest(context.Background(), 10); got != want {
		t.Fatalf("digest computed on open = %x, want %x", got, want)
	}
}

// rawPut writes a key straight into a closed store's LevelDB.
func rawPut(t *testing.T, dir string, key []byte) {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Put(key, nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestScanKeysPages(t *testing.T) {
	st := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	if err := st.Apply(someChanges(1, 10)); err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	var after []byte
	for pages := 0; ; pages++ {
		last, end, err := st.ScanKeys(after, 4, func(k, _ []byte) error {
			all = append(all, append([]byte(nil), k...))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if end {
			break
		}
		after = last
	}
	if len(all) != 24 { // 10 entries, 2 of them empty, 3 facts each
		t.Fatalf("paged scan read %d keys, want 24", len(all))
	}
	for i := 1; i < len(all); i++ {
		if string(all[i-1]) >= string(all[i]) {
			t.Fatalf("keys out of order at %d", i)
		}
	}
}

func TestInsertUndetectedStaysInSync(t *testing.T) {
	dir := t.TempDir()
	cfg := fullRange(storage.KeyPrefixSP)
	st, err := Open(dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Apply(someChanges(1, 5)); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Digest(context.Background(), 5)
	st.Close()
	if string(keyDigest) != "\x00digest" {
		t.Fatal("viewstoretest.InsertUndetected must follow the digest key's new name")
	}
	bogus := storage.AppendSPKey(nil, fact(2, 777, 1, 2, storage.ABool(true)), false)
	viewstoretest.InsertUndetected(t, dir, bogus)
	st = openT(t, dir, cfg)
	if _, err := st.Verify(context.Background()); err != nil {
		t.Fatalf("the forged store fails its own check: %v", err)
	}
	if got, _ := st.Digest(context.Background(), 5); got != before+KeyDigest(bogus) {
		t.Fatalf("digest %x, want %x", got, before+KeyDigest(bogus))
	}
}

func TestRepeatedFactCountsOnce(t *testing.T) {
	st := openT(t, t.TempDir(), fullRange(storage.KeyPrefixSP))
	f := fact(1, 10, 100, 200, storage.AInt64(5, 0))
	g := fact(1, 11, 100, 200, storage.AInt64(6, 0))
	if err := st.Apply([]Change{{Index: 1, Inserts: []storage.Fact{f, g, f}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Verify(context.Background()); err != nil {
		t.Fatalf("an entry naming a fact twice: %v", err)
	}
}
