package viewstore

import (
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/akutan-dev/akutan/storage"
)

// Raw keys
//
// Booting streams a store's keys as they are stored (see storage's key
// formats), so that the source neither decodes nor re-encodes facts. The
// helpers here read the two fields the source needs, the hash-space
// position and the log index, straight from the bytes.

// keyTailLen is the fact ID, index and deleted flag that end every key.
const keyTailLen = 8 + 8 + 1

// KeyIndex returns the log index recorded in a raw fact key.
func KeyIndex(key []byte) (uint64, error) {
	if len(key) < 1+keyTailLen {
		return 0, fmt.Errorf("%w: key %x is too short", ErrCorrupt, key)
	}
	return binary.BigEndian.Uint64(key[len(key)-keyTailLen+8:]), nil
}

// KeyHash returns the position, in the hash space of its key space (the
// first byte), of the fact a raw key holds: HashSP of its subject and
// predicate, or HashPO of its predicate and object. The hashes are computed
// over the same bytes storage's hash functions use, which the key holds
// verbatim.
func KeyHash(key []byte) (uint64, error) {
	if len(key) < 1+8+keyTailLen {
		return 0, fmt.Errorf("key %x is too short", key)
	}
	switch key[0] {
	case storage.KeyPrefixSP:
		if len(key) < 1+16+keyTailLen {
			return 0, fmt.Errorf("SP key %x is too short", key)
		}
		return xxhash.Sum64(key[1:17]), nil
	case storage.KeyPrefixPO:
		_, n, err := storage.DecodeObject(key[9:])
		if err != nil {
			return 0, fmt.Errorf("PO key %x: %w", key, err)
		}
		return xxhash.Sum64(key[1 : 9+n]), nil
	}
	return 0, fmt.Errorf("key %x is in no known key space", key)
}

// ScanKeys calls fn with the raw fact keys after the key `after` (nil: from
// the first) and their values, in key order, up to max keys, all read from
// one LevelDB snapshot taken now. The key and value passed to fn are valid
// only during the call.
// If fn returns an error, the scan stops without counting that key. It
// returns the last key fn accepted (a copy; after itself if none), whether
// the scan reached the end of the store, and fn's or the store's error.
func (s *Store) ScanKeys(after []byte, max int, fn func(key, value []byte) error) (last []byte, end bool, err error) {
	r := s.factRange()
	if after != nil {
		r.Start = append(append(make([]byte, 0, len(after)+1), after...), 0) // the first key > after
	}
	it := s.db.NewIterator(&util.Range{Start: r.Start, Limit: r.Limit}, nil)
	defer it.Release()
	var buf []byte // the last accepted key: iterator slices die on Next
	accepted := false
	result := func() []byte {
		if !accepted {
			return after
		}
		return buf
	}
	for n := 0; n < max; n++ {
		if !it.Next() {
			if err := it.Error(); err != nil {
				return result(), false, fmt.Errorf("scanning keys: %w", classify(err))
			}
			return result(), true, nil
		}
		if err := fn(it.Key(), it.Value()); err != nil {
			return result(), false, err
		}
		buf, accepted = append(buf[:0], it.Key()...), true
	}
	return result(), false, nil
}

// Entries
//
// A boot moves each key with its value (see Loader.Add). Inside one
// process the pair travels as one byte string, an entry: the key's length
// as a uvarint, the key, then the value.

// AppendEntry appends the entry of key and value to dst.
func AppendEntry(dst, key, value []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	return append(dst, value...)
}

// SplitEntry returns the key and value of an entry, aliasing it.
func SplitEntry(e []byte) (key, value []byte, err error) {
	n, m := binary.Uvarint(e)
	if m <= 0 || n > uint64(len(e)-m) {
		return nil, nil, fmt.Errorf("malformed entry %x", e)
	}
	return e[m : m+int(n)], e[m+int(n):], nil
}
