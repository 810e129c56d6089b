package logserver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	sm "github.com/lni/dragonboat/v3/statemachine"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// A snapshot is snapshotMagic followed by records (uvarint key length, key,
// uvarint value length, value) and a terminating zero key length. It holds
// the meta keys, the dedup table, the floors, the removed replica IDs, the
// directory and the retained entries (snapshots from before floors simply have none).
var snapshotMagic = []byte("AKUTANLOG1\n")

const recoverBatchBytes = 4 << 20

// snapshotState is the point-in-time state captured by PrepareSnapshot.
type snapshotState struct {
	snap  *leveldb.Snapshot
	first uint64
}

// PrepareSnapshot captures a LevelDB snapshot; it runs between Updates, so
// the snapshot is a clean cut.
func (s *logSM) PrepareSnapshot() (interface{}, error) {
	snap, err := s.db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("preparing snapshot: %w", err)
	}
	return &snapshotState{snap: snap, first: s.extent().first}, nil
}

// SaveSnapshot streams the state captured by PrepareSnapshot to w.
func (s *logSM) SaveSnapshot(ctx interface{}, w io.Writer, stopc <-chan struct{}) error {
	st, ok := ctx.(*snapshotState)
	if !ok {
		return fmt.Errorf("saving snapshot: unexpected context %T", ctx)
	}
	return s.withDB(func(*leveldb.DB) error {
		defer st.snap.Release()
		bw := bufio.NewWriterSize(w, 256<<10)
		if _, err := bw.Write(snapshotMagic); err != nil {
			return err
		}
		ranges := []*util.Range{
			util.BytesPrefix(prefixClient),
			util.BytesPrefix(prefixFloor),
			util.BytesPrefix(prefixRemoved),
			util.BytesPrefix(prefixDirectory),
			{Start: entryKey(st.first), Limit: util.BytesPrefix(prefixEntry).Limit},
			util.BytesPrefix(prefixMeta),
		}
		for _, r := range ranges {
			if err := writeRange(bw, st.snap, r, stopc); err != nil {
				return err
			}
		}
		if _, err := bw.Write([]byte{0}); err != nil {
			return err
		}
		return bw.Flush()
	})
}

func writeRange(w *bufio.Writer, snap *leveldb.Snapshot, r *util.Range, stopc <-chan struct{}) error {
	it := snap.NewIterator(r, nil)
	defer it.Release()
	var hdr []byte
	for n := 0; it.Next(); n++ {
		if n%1024 == 0 {
			select {
			case <-stopc:
				return sm.ErrSnapshotStopped
			default:
			}
		}
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(it.Key())))
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if _, err := w.Write(it.Key()); err != nil {
			return err
		}
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(it.Value())))
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if _, err := w.Write(it.Value()); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("iterating snapshot: %w", err)
	}
	return nil
}

// RecoverFromSnapshot replaces the state with a snapshot's. The snapshot is
// ahead of this replica, and entries are the same on every replica, so the
// entries are written in place; the meta keys, including the applied index,
// go in the last write, so a crash midway leaves the old applied index and
// Dragonboat recovers from the snapshot again on restart.
func (s *logSM) RecoverFromSnapshot(r io.Reader, stopc <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 256<<10)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, snapshotMagic) {
		return fmt.Errorf("recovering from snapshot: bad header (err %v)", err)
	}
	if err := s.dropLocalState(); err != nil {
		return err
	}
	meta, clients, err := s.loadRecords(br, stopc)
	if err != nil {
		return err
	}
	ext, err := metaExtent(meta)
	if err != nil {
		return err
	}
	mb := new(leveldb.Batch)
	if _, ok := meta[string(keyVersion)]; !ok {
		mb.Delete(keyVersion) // the snapshot's log never switched version
	}
	for k, v := range meta {
		mb.Put([]byte(k), v)
	}
	if err := s.db.Write(mb, &opt.WriteOptions{Sync: true}); err != nil {
		return fmt.Errorf("recovering from snapshot: writing meta: %w", err)
	}
	admin, err := loadAdmin(s.db)
	if err != nil {
		return fmt.Errorf("recovering from snapshot: %w", err)
	}
	s.clients = clients
	s.publish(ext, admin)
	s.gc.poke()
	s.logger.Info().Uint64("applied", ext.applied).Uint64("first", ext.first).
		Uint64("last", ext.last).Msg("recovered log state machine from snapshot")
	return nil
}

// dropLocalState deletes the local dedup table, floors, removed IDs and
// directory;
// the snapshot's replace them.
func (s *logSM) dropLocalState() error {
	b := new(leveldb.Batch)
	for _, prefix := range [][]byte{prefixClient, prefixFloor, prefixRemoved, prefixDirectory} {
		it := s.db.NewIterator(util.BytesPrefix(prefix), nil)
		for it.Next() {
			b.Delete(append([]byte(nil), it.Key()...))
		}
		it.Release()
		if err := it.Error(); err != nil {
			return fmt.Errorf("recovering from snapshot: listing %s keys: %w", prefix, err)
		}
	}
	if err := s.db.Write(b, nil); err != nil {
		return fmt.Errorf("recovering from snapshot: dropping local state: %w", err)
	}
	return nil
}

// loadRecords writes the snapshot's client and entry records and returns
// its meta records (unwritten) and dedup table.
func (s *logSM) loadRecords(br *bufio.Reader, stopc <-chan struct{}) (map[string][]byte, map[uint64]clientRec, error) {
	meta := make(map[string][]byte)
	clients := make(map[uint64]clientRec)
	b := new(leveldb.Batch)
	for n := 0; ; n++ {
		if n%1024 == 0 {
			select {
			case <-stopc:
				return nil, nil, sm.ErrSnapshotStopped
			default:
			}
		}
		key, val, err := readRecord(br)
		if err != nil {
			return nil, nil, fmt.Errorf("recovering from snapshot: record %d: %w", n, err)
		}
		if key == nil {
			break
		}
		if err := classifyRecord(key, val, meta, b, clients); err != nil {
			return nil, nil, fmt.Errorf("recovering from snapshot: %w", err)
		}
		if len(b.Dump()) >= recoverBatchBytes {
			if err := s.db.Write(b, nil); err != nil {
				return nil, nil, fmt.Errorf("recovering from snapshot: %w", err)
			}
			b.Reset()
		}
	}
	if err := s.db.Write(b, nil); err != nil {
		return nil, nil, fmt.Errorf("recovering from snapshot: %w", err)
	}
	return meta, clients, nil
}

func classifyRecord(key, val []byte, meta map[string][]byte, b *leveldb.Batch, clients map[uint64]clientRec) error {
	switch {
	case bytes.HasPrefix(key, prefixMeta):
		meta[string(key)] = val
	case bytes.HasPrefix(key, prefixEntry), bytes.HasPrefix(key, prefixFloor), bytes.HasPrefix(key, prefixRemoved),
		bytes.HasPrefix(key, prefixDirectory):
		b.Put(key, val)
	case bytes.HasPrefix(key, prefixClient):
		id, err := suffixU64(key, prefixClient)
		if err != nil {
			return err
		}
		rec, err := decodeClientRec(val)
		if err != nil {
			return err
		}
		clients[id] = rec
		b.Put(key, val)
	default:
		return fmt.Errorf("unknown key %q", key)
	}
	return nil
}

var errSnapshotRecord = errors.New("bad snapshot record")

// readRecord reads one record; a nil key marks the end.
func readRecord(br *bufio.Reader) (key, val []byte, err error) {
	klen, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, nil, err
	}
	if klen == 0 {
		return nil, nil, nil
	}
	if klen > 1<<10 {
		return nil, nil, errSnapshotRecord
	}
	key = make([]byte, klen)
	if _, err := io.ReadFull(br, key); err != nil {
		return nil, nil, err
	}
	vlen, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, nil, err
	}
	if vlen > 1<<30 {
		return nil, nil, errSnapshotRecord
	}
	val = make([]byte, vlen)
	if _, err := io.ReadFull(br, val); err != nil {
		return nil, nil, err
	}
	return key, val, nil
}

// metaExtent decodes the extent from a snapshot's meta records.
func metaExtent(meta map[string][]byte) (extent, error) {
	ext := extent{first: 1}
	vals := map[string]*uint64{
		string(keyApplied): &ext.applied,
		string(keyFirst):   &ext.first,
		string(keyLast):    &ext.last,
	}
	for k, v := range meta {
		if k == string(keyVersion) {
			if _, err := decodeLogVersion(v); err != nil {
				return ext, fmt.Errorf("recovering from snapshot: %w", err)
			}
			continue // loadAdmin reads it once written
		}
		p, ok := vals[k]
		if !ok || len(v) != 8 {
			return ext, fmt.Errorf("recovering from snapshot: bad meta record %q", k)
		}
		*p = binary.BigEndian.Uint64(v)
	}
	if ext.first == 0 || ext.last+1 < ext.first {
		return ext, fmt.Errorf("recovering from snapshot: inconsistent extent first=%d last=%d", ext.first, ext.last)
	}
	return ext, nil
}
