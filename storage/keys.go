package storage

import (
	"encoding/binary"
	"fmt"
)

// Disk View keys
//
// Each Disk View stores a fact as a key, in one of two key spaces, whose
// value is the literal annotation of the object (AppendAnnotation: empty
// unless the object has one; always empty for deletion tombstones). All integers are big-endian, and the object uses AppendObject's
// order-preserving, self-delimiting encoding:
//
//	SP key: 'S' | subject(8) | predicate(8) | object | factID(8) | index(8) | deleted(1)
//	PO key: 'P' | predicate(8) | object | subject(8) | factID(8) | index(8) | deleted(1)
//
// The leading fields are the ones lookups bind, so every lookup is a prefix
// scan. The deleted flag sorts last so that a fact's deletion marker directly
// follows its insertion.

// Key space prefixes: the first byte of every key.
const (
	KeyPrefixSP byte = 'S'
	KeyPrefixPO byte = 'P'
)

// keySuffixLen is the size of factID, index and deleted at the end of a key.
const keySuffixLen = idLen + idLen + 1

// AppendSPKey appends f's key in the SP space to dst.
func AppendSPKey(dst []byte, f Fact, deleted bool) []byte {
	dst = AppendSPOPrefix(dst, f.Subject, f.Predicate, f.Object)
	return appendKeySuffix(dst, f.ID, f.Index, deleted)
}

// AppendPOKey appends f's key in the PO space to dst.
func AppendPOKey(dst []byte, f Fact, deleted bool) []byte {
	dst = AppendPOPrefix(dst, f.Predicate, f.Object)
	dst = binary.BigEndian.AppendUint64(dst, f.Subject)
	return appendKeySuffix(dst, f.ID, f.Index, deleted)
}

func appendKeySuffix(dst []byte, id, index uint64, deleted bool) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id)
	dst = binary.BigEndian.AppendUint64(dst, index)
	return append(dst, boolByte(deleted))
}

// AppendSPrefix appends the prefix of the SP keys with the given subject.
func AppendSPrefix(dst []byte, subject uint64) []byte {
	dst = append(dst, KeyPrefixSP)
	return binary.BigEndian.AppendUint64(dst, subject)
}

// AppendSPPrefix appends the prefix of the SP keys with the given subject and
// predicate.
func AppendSPPrefix(dst []byte, subject, predicate uint64) []byte {
	dst = AppendSPrefix(dst, subject)
	return binary.BigEndian.AppendUint64(dst, predicate)
}

// AppendSPOPrefix appends the prefix of the SP keys with the given subject,
// predicate and object. Because object encodings are self-delimiting, it
// matches no key with a different object.
func AppendSPOPrefix(dst []byte, subject, predicate uint64, o Object) []byte {
	return AppendObject(AppendSPPrefix(dst, subject, predicate), o)
}

// AppendPPrefix appends the prefix of the PO keys with the given predicate.
func AppendPPrefix(dst []byte, predicate uint64) []byte {
	dst = append(dst, KeyPrefixPO)
	return binary.BigEndian.AppendUint64(dst, predicate)
}

// AppendPOPrefix appends the prefix of the PO keys with the given predicate
// and object.
func AppendPOPrefix(dst []byte, predicate uint64, o Object) []byte {
	return AppendObject(AppendPPrefix(dst, predicate), o)
}

// AppendPOGroupPrefix appends the prefix of the PO keys with the given
// predicate and an object in o's kind and group (see AppendObjectGroup): the
// bound of a LookupPOCmp range scan.
func AppendPOGroupPrefix(dst []byte, predicate uint64, o Object) []byte {
	return AppendObjectGroup(AppendPPrefix(dst, predicate), o)
}

// EachLookupPrefix calls fn with each prefix of the fact key k that a
// point lookup of its space scans: the space alone, then S, SP and SPO
// for an SP key, P and PO for a PO key (what AppendSPrefix,
// AppendSPPrefix, AppendSPOPrefix, AppendPPrefix and AppendPOPrefix give
// for its fact). A key too short to be a fact key gets none. The prefixes
// alias k.
func EachLookupPrefix(k []byte, fn func(prefix []byte)) {
	// Both spaces hold two IDs and an object (at least one byte) between
	// the space byte and the suffix.
	if len(k) < 1+2*idLen+1+keySuffixLen {
		return
	}
	switch k[0] {
	case KeyPrefixSP: // S P O ID index deleted
		fn(k[:1])
		fn(k[:1+idLen])
		fn(k[:1+2*idLen])
		fn(k[:len(k)-keySuffixLen])
	case KeyPrefixPO: // P O S ID index deleted
		fn(k[:1])
		fn(k[:1+idLen])
		fn(k[:len(k)-idLen-keySuffixLen])
	}
}

// PrefixEnd returns the smallest key greater than every key with the given
// prefix, for use as an exclusive iterator upper bound. It returns nil if no
// such key exists (the prefix is empty or all 0xFF), meaning "no bound". The
// result never aliases prefix.
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xFF {
			end := append([]byte(nil), prefix[:i+1]...)
			end[i]++
			return end
		}
	}
	return nil
}

// DecodeSPKey decodes a key of the SP space. It never panics; it returns an
// error if k is not exactly one valid SP key.
func DecodeSPKey(k []byte) (f Fact, deleted bool, err error) {
	f, deleted, err = decodeSPKey(k)
	if err != nil {
		return Fact{}, false, fmt.Errorf("decoding SP key: %w", err)
	}
	return f, deleted, nil
}

func decodeSPKey(k []byte) (f Fact, deleted bool, err error) {
	rest, err := decodeKeyPrefix(k, KeyPrefixSP)
	if err != nil {
		return Fact{}, false, err
	}
	if err := needBytes(rest, 2*idLen, "subject and predicate"); err != nil {
		return Fact{}, false, err
	}
	f.Subject = binary.BigEndian.Uint64(rest)
	f.Predicate = binary.BigEndian.Uint64(rest[idLen:])
	rest = rest[2*idLen:]
	if f.Object, rest, err = decodeKeyObject(rest); err != nil {
		return Fact{}, false, err
	}
	f.ID, f.Index, deleted, err = decodeKeySuffix(rest)
	return f, deleted, err
}

// DecodePOKey decodes a key of the PO space. It never panics; it returns an
// error if k is not exactly one valid PO key.
func DecodePOKey(k []byte) (f Fact, deleted bool, err error) {
	f, deleted, err = decodePOKey(k)
	if err != nil {
		return Fact{}, false, fmt.Errorf("decoding PO key: %w", err)
	}
	return f, deleted, nil
}

func decodePOKey(k []byte) (f Fact, deleted bool, err error) {
	rest, err := decodeKeyPrefix(k, KeyPrefixPO)
	if err != nil {
		return Fact{}, false, err
	}
	if err := needBytes(rest, idLen, "predicate"); err != nil {
		return Fact{}, false, err
	}
	f.Predicate = binary.BigEndian.Uint64(rest)
	rest = rest[idLen:]
	if f.Object, rest, err = decodeKeyObject(rest); err != nil {
		return Fact{}, false, err
	}
	if err := needBytes(rest, idLen, "subject"); err != nil {
		return Fact{}, false, err
	}
	f.Subject = binary.BigEndian.Uint64(rest)
	f.ID, f.Index, deleted, err = decodeKeySuffix(rest[idLen:])
	return f, deleted, err
}

// decodeKeyPrefix checks that k belongs to the space and returns the rest.
func decodeKeyPrefix(k []byte, space byte) ([]byte, error) {
	if len(k) == 0 {
		return nil, fmt.Errorf("key is empty")
	}
	if k[0] != space {
		return nil, fmt.Errorf("key starts with 0x%02x, want %q", k[0], space)
	}
	return k[1:], nil
}

// decodeKeyObject decodes the object in a key and returns the bytes after it.
func decodeKeyObject(b []byte) (Object, []byte, error) {
	o, n, err := DecodeObject(b)
	if err != nil {
		return Object{}, nil, err
	}
	return o, b[n:], nil
}

// decodeKeySuffix decodes the factID, index and deleted flag that end every
// key, requiring b to hold exactly those.
func decodeKeySuffix(b []byte) (id, index uint64, deleted bool, err error) {
	if len(b) != keySuffixLen {
		return 0, 0, false, fmt.Errorf("key ends with %d bytes where the fact ID, index and deleted flag belong, want exactly %d",
			len(b), keySuffixLen)
	}
	id = binary.BigEndian.Uint64(b)
	index = binary.BigEndian.Uint64(b[idLen:])
	switch b[2*idLen] {
	case 0:
		return id, index, false, nil
	case 1:
		return id, index, true, nil
	}
	return 0, 0, false, fmt.Errorf("key's deleted flag is 0x%02x, want 0x00 or 0x01", b[2*idLen])
}
