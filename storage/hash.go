package storage

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// The hashes place a fact in the HashSP and HashPO spaces. Every view and
// every API server must compute the same hash for a fact, in every process
// and every version, so they are defined over the durable big-endian
// encodings with a fixed, seedless algorithm (xxHash64). Changing either
// would move facts between partitions.

// HashSP returns the position in the HashSP space of facts with the given
// subject and predicate: xxHash64 of subject(8) | predicate(8).
func HashSP(subject, predicate uint64) uint64 {
	var buf [2 * idLen]byte
	binary.BigEndian.PutUint64(buf[:], subject)
	binary.BigEndian.PutUint64(buf[idLen:], predicate)
	return xxhash.Sum64(buf[:])
}

// HashPO returns the position in the HashPO space of facts with the given
// predicate and object: xxHash64 of predicate(8) | AppendObject(o). Objects
// that compare equal (such as -0.0 and +0.0) share an encoding and therefore
// a hash.
func HashPO(predicate uint64, o Object) uint64 {
	// Most encodings fit here, keeping the common case free of allocation.
	var buf [64]byte
	b := binary.BigEndian.AppendUint64(buf[:0], predicate)
	b = AppendObject(b, o)
	return xxhash.Sum64(b)
}
