package viewstore

import (
	"bytes"
	"fmt"

	"github.com/akutan-dev/akutan/storage"
)

// CmpOp is a comparison of a fact's object against a value.
type CmpOp int

// The comparisons LookupPOCmp serves.
const (
	CmpEq CmpOp = iota + 1
	CmpNotEqual
	CmpGt
	CmpGte
	CmpLt
	CmpLte
	CmpPrefix // strings starting with the value
	CmpRange  // value <= object < end
	CmpAny    // every fact with the predicate
)

// Cmp is one comparison lookup: facts with Predicate whose object compares
// with Value (and End, for CmpRange). Only objects of Value's kind and group
// (unit or language) are comparable.
type Cmp struct {
	Predicate  uint64
	Op         CmpOp
	Value, End storage.Object
}

// LookupPOCmp calls fn for each fact matching the comparison. Each is a
// single range scan over the order-preserving object encoding.
func (s *Store) LookupPOCmp(index uint64, c Cmp, fn func(storage.Fact) error) error {
	start, limit, keep, err := cmpBounds(c)
	if err != nil {
		return err
	}
	return s.scan(index, start, limit, keep, fn)
}

func cmpBounds(c Cmp) (start, limit []byte, keep func(storage.Fact) bool, err error) {
	p, v := c.Predicate, c.Value
	group := storage.AppendPOGroupPrefix(nil, p, v)
	exact := storage.AppendPOPrefix(nil, p, v)
	keep = all
	switch c.Op {
	case CmpEq:
		return exact, storage.PrefixEnd(exact), keep, nil
	case CmpNotEqual:
		keep = func(f storage.Fact) bool { return storage.CompareObjects(f.Object, v) != 0 }
		return group, storage.PrefixEnd(group), keep, nil
	case CmpGt:
		return storage.PrefixEnd(exact), storage.PrefixEnd(group), keep, nil
	case CmpGte:
		return exact, storage.PrefixEnd(group), keep, nil
	case CmpLt:
		return group, exact, keep, nil
	case CmpLte:
		return group, storage.PrefixEnd(exact), keep, nil
	case CmpPrefix:
		if v.Kind != storage.KindString {
			return nil, nil, nil, fmt.Errorf("prefix comparison needs a string, not %s", v.Kind)
		}
		// A string's encoding ends in a 2-byte terminator; without it, the
		// encoding is a prefix of the encodings of all longer strings.
		pre := exact[:len(exact)-2]
		return pre, storage.PrefixEnd(pre), keep, nil
	case CmpAny:
		pre := storage.AppendPPrefix(nil, p)
		return pre, storage.PrefixEnd(pre), keep, nil
	case CmpRange:
		if !bytes.Equal(storage.AppendObjectGroup(nil, v), storage.AppendObjectGroup(nil, c.End)) {
			return nil, nil, nil, fmt.Errorf("range ends are not comparable: %s and %s", v.Kind, c.End.Kind)
		}
		if storage.CompareObjects(v, c.End) > 0 {
			return nil, nil, nil, fmt.Errorf("range start is after its end")
		}
		return exact, storage.AppendPOPrefix(nil, p, c.End), keep, nil
	}
	return nil, nil, nil, fmt.Errorf("unknown comparison %d", c.Op)
}
