package viewstoretest

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/syndtr/goleveldb/leveldb"
)

// CorruptTables damages every LevelDB table file of the closed store in
// dir, for tests of corruption handling: it overwrites bytes in the middle
// of each .ldb file, inside a data block, so that the block's checksum no
// longer matches. A store whose data is still only in the journal is first
// reopened once, which writes the journal out as a table.
func CorruptTables(t testing.TB, dir string) {
	t.Helper()
	tables, _ := filepath.Glob(filepath.Join(dir, "*.ldb"))
	if len(tables) == 0 {
		db, err := leveldb.OpenFile(dir, nil)
		if err != nil {
			t.Fatalf("reopening %s to flush its journal: %v", dir, err)
		}
		db.Close()
		tables, _ = filepath.Glob(filepath.Join(dir, "*.ldb"))
	}
	if len(tables) == 0 {
		t.Fatalf("no table files in %s", dir)
	}
	for _, path := range tables {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// A table ends with its index block and footer; data blocks come
		// first, so the first third is data.
		for i := len(b) / 6; i < len(b)/3; i++ {
			b[i] ^= 0x5a
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// digestKey and the 8-byte big-endian sum it holds mirror the store's meta
// format (viewstore's keyDigest); viewstore's tests check that they agree.
var digestKey = []byte("\x00digest")

// InsertUndetected writes key into the closed store in dir and adds it to
// the stored digest, so that the store still passes its own checks: it
// stands for a replica that diverged from its peers while staying
// consistent with itself (a bug, not bit rot), which only comparing
// replicas (`akutan ctl verify`) can find.
func InsertUndetected(t testing.TB, dir string, key []byte) {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b, err := db.Get(digestKey, nil)
	if err != nil || len(b) != 8 {
		t.Fatalf("reading the digest of %s: %v (%d bytes)", dir, err, len(b))
	}
	sum := binary.BigEndian.Uint64(b) + xxhash.Sum64(key)
	batch := new(leveldb.Batch)
	batch.Put(key, nil)
	batch.Put(digestKey, binary.BigEndian.AppendUint64(nil, sum))
	if err := db.Write(batch, nil); err != nil {
		t.Fatal(err)
	}
}
