package logserver

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// LevelDB layout of the log state machine. All integers are 8-byte big
// endian, so keys sort in index order.
//
//	m/applied        last applied Raft index
//	m/first          first retained log index (1 when nothing truncated)
//	m/last           last log index (0 when empty)
//	m/version        logVersion: format version (8 bytes), index of its entry
//	c/<client_id>    clientRec: seq, first, last, touch
//	e/<index>        entry data
//	f/<cluster name> the highest index that cluster can tolerate losing
//	r/<replica_id>   (empty) a replica ID removed from the log for good
//	d/<key>          a directory record (directory.go)
var (
	keyApplied = []byte("m/applied")
	keyFirst   = []byte("m/first")
	keyLast    = []byte("m/last")
	// keyVersion is absent until the log first switches format version,
	// so that a log that never did is read by older binaries as before.
	keyVersion = []byte("m/version")

	prefixMeta      = []byte("m/")
	prefixClient    = []byte("c/")
	prefixEntry     = []byte("e/")
	prefixFloor     = []byte("f/")
	prefixRemoved   = []byte("r/")
	prefixDirectory = []byte("d/")
)

func directoryKey(key string) []byte {
	return append(append([]byte(nil), prefixDirectory...), key...)
}

// clientRec remembers the last applied Append of one client, so a retry of
// it returns the same indexes instead of appending again.
type clientRec struct {
	seq         uint64
	first, last uint64
	touch       uint64 // Raft index of the last append, for eviction order
}

func u64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, v)
}

func prefixed(prefix []byte, v uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	k = append(k, prefix...)
	return binary.BigEndian.AppendUint64(k, v)
}

func entryKey(index uint64) []byte { return prefixed(prefixEntry, index) }

func clientKey(id uint64) []byte { return prefixed(prefixClient, id) }

func removedKey(id uint64) []byte { return prefixed(prefixRemoved, id) }

func floorKey(cluster string) []byte {
	return append(append([]byte(nil), prefixFloor...), cluster...)
}

// suffixU64 parses the 8-byte integer after a key's prefix.
func suffixU64(key, prefix []byte) (uint64, error) {
	if len(key) != len(prefix)+8 {
		return 0, fmt.Errorf("bad key %q", key)
	}
	return binary.BigEndian.Uint64(key[len(prefix):]), nil
}

func (r clientRec) encode() []byte {
	b := make([]byte, 0, 32)
	for _, v := range []uint64{r.seq, r.first, r.last, r.touch} {
		b = binary.BigEndian.AppendUint64(b, v)
	}
	return b
}

func decodeClientRec(b []byte) (clientRec, error) {
	if len(b) != 32 {
		return clientRec{}, fmt.Errorf("bad client record of %d bytes", len(b))
	}
	return clientRec{
		seq:   binary.BigEndian.Uint64(b[0:]),
		first: binary.BigEndian.Uint64(b[8:]),
		last:  binary.BigEndian.Uint64(b[16:]),
		touch: binary.BigEndian.Uint64(b[24:]),
	}, nil
}

// getU64 reads an 8-byte value, returning def when the key is absent.
func getU64(db *leveldb.DB, key []byte, def uint64) (uint64, error) {
	v, err := db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s: %w", key, err)
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("reading %s: bad value of %d bytes", key, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// loadClients reads the whole dedup table.
func loadClients(db *leveldb.DB) (map[uint64]clientRec, error) {
	clients := make(map[uint64]clientRec)
	it := db.NewIterator(util.BytesPrefix(prefixClient), nil)
	defer it.Release()
	for it.Next() {
		id, err := suffixU64(it.Key(), prefixClient)
		if err != nil {
			return nil, fmt.Errorf("loading client table: %w", err)
		}
		rec, err := decodeClientRec(it.Value())
		if err != nil {
			return nil, fmt.Errorf("loading client %d: %w", id, err)
		}
		clients[id] = rec
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("loading client table: %w", err)
	}
	return clients, nil
}

// loadAdmin reads the floors, the log version and the removed replica IDs.
func loadAdmin(db *leveldb.DB) (adminState, error) {
	st := adminState{floors: make(map[string]uint64), removed: make(map[uint64]bool), directory: make(map[string]string)}
	it := db.NewIterator(util.BytesPrefix(prefixFloor), nil)
	for it.Next() {
		if len(it.Value()) != 8 {
			it.Release()
			return st, fmt.Errorf("loading floors: bad value for %q", it.Key())
		}
		st.floors[string(it.Key()[len(prefixFloor):])] = binary.BigEndian.Uint64(it.Value())
	}
	it.Release()
	if err := it.Error(); err != nil {
		return st, fmt.Errorf("loading floors: %w", err)
	}
	var err error
	if st.version, err = loadLogVersion(db); err != nil {
		return st, err
	}
	it = db.NewIterator(util.BytesPrefix(prefixRemoved), nil)
	defer it.Release()
	for it.Next() {
		id, err := suffixU64(it.Key(), prefixRemoved)
		if err != nil {
			return st, fmt.Errorf("loading removed replicas: %w", err)
		}
		st.removed[id] = true
	}
	if err := it.Error(); err != nil {
		return st, fmt.Errorf("loading removed replicas: %w", err)
	}
	dit := db.NewIterator(util.BytesPrefix(prefixDirectory), nil)
	defer dit.Release()
	for dit.Next() {
		st.directory[string(dit.Key()[len(prefixDirectory):])] = string(dit.Value())
	}
	if err := dit.Error(); err != nil {
		return st, fmt.Errorf("loading the directory: %w", err)
	}
	return st, nil
}

// loadLogVersion reads the log's format version; a log that never
// switched has none stored.
func loadLogVersion(db *leveldb.DB) (logVersion, error) {
	b, err := db.Get(keyVersion, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return logVersion{}, nil
	}
	if err != nil {
		return logVersion{}, fmt.Errorf("loading log version: %w", err)
	}
	v, err := decodeLogVersion(b)
	if err != nil {
		return logVersion{}, fmt.Errorf("loading log version: %w", err)
	}
	return v, nil
}

// lowestEntry returns the smallest stored entry index, or def if none.
func lowestEntry(db *leveldb.DB, def uint64) (uint64, error) {
	it := db.NewIterator(util.BytesPrefix(prefixEntry), nil)
	defer it.Release()
	if !it.First() {
		return def, it.Error()
	}
	return suffixU64(it.Key(), prefixEntry)
}

// entryOverhead is about what an entry adds to a ReadReply besides its
// data: tags, lengths and its index.
const entryOverhead = 16

// readEntries reads entries [from, to], stopping before the entry that
// would take their size past maxBytes (the first entry is returned
// whatever its size, when from <= to). It fails if an entry is missing.
func readEntries(db *leveldb.DB, from, to uint64, maxBytes int) ([]entry, error) {
	it := db.NewIterator(&util.Range{Start: entryKey(from), Limit: entryKey(to + 1)}, nil)
	defer it.Release()
	var out []entry
	size := 0
	want := from
	for it.Next() {
		if len(out) > 0 && size+len(it.Value())+entryOverhead > maxBytes {
			break
		}
		idx, err := suffixU64(it.Key(), prefixEntry)
		if err != nil {
			return nil, err
		}
		if idx != want {
			return nil, fmt.Errorf("log entry %d missing (found %d)", want, idx)
		}
		data := append([]byte(nil), it.Value()...)
		out = append(out, entry{index: idx, data: data})
		size += len(data) + entryOverhead
		want++
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("reading entries from %d: %w", from, err)
	}
	if len(out) == 0 && from <= to {
		return nil, fmt.Errorf("log entry %d missing", from)
	}
	return out, nil
}

// entry is one log entry read from the store.
type entry struct {
	index uint64
	data  []byte
}
