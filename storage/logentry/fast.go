package logentry

import (
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/akutan-dev/akutan/storage"
)

// The fast path. Every view decodes every entry, and a bulk load's entries
// hold thousands of facts, most of them outside any one view's range:
// building protobuf messages and storage facts for all of them dominated
// a view's CPU. DecodeInserts reads the common entries (an InsertTx, or an
// UpdateTx without deletes) straight from the wire, validates every fact
// without allocating, and builds only the facts a view keeps.
//
// It must give exactly what Decode, InsertedFacts and UpdateFacts give,
// filtered by keep, or views following different paths would diverge. So
// it only accepts the encoding proto.Marshal produces for valid entries:
// anything else (unknown or repeated fields, a oneof set twice, timestamps,
// invalid UTF-8, any fact the slow path would reject) makes it decline,
// and the caller takes the slow path, which then decides. Objects with a
// literal annotation (the datatype and lex fields) go through it, and
// Inserts.Annotated says so: Validate checks them against the log format
// version.

// Inserts is what DecodeInserts found in an entry.
type Inserts struct {
	// Update is set for an UpdateTx (then ReadIndex is its read index) and
	// clear for an InsertTx.
	Update    bool
	ReadIndex uint64
	// Facts are the inserted facts that keep accepted, in entry order.
	Facts []storage.Fact
	// Annotated is set when some inserted fact's object, kept or not,
	// carries a literal annotation (see AnnotationVersion).
	Annotated bool
}

// DecodeInserts decodes an InsertTx or UpdateTx entry at index, keeping
// the inserted facts for which keep returns true. keep must not retain
// the fact it is given: its strings may point into data. ok is false when
// the entry is not one the fast path handles; then nothing is decided
// about it and the caller must use Decode.
func DecodeInserts(index uint64, data []byte, keep func(storage.Fact) bool) (Inserts, bool) {
	num, body, ok := onlyField(data)
	if !ok {
		return Inserts{}, false
	}
	var in Inserts
	switch num {
	case logEntryInsert:
		ok = decodeFactList(index, body, insertTxFacts, keep, &in)
	case logEntryUpdate:
		in.Update = true
		ok = decodeUpdate(index, body, keep, &in)
	default:
		return Inserts{}, false
	}
	if !ok {
		return Inserts{}, false
	}
	return in, true
}

// onlyField returns the one length-delimited field that makes up data.
func onlyField(data []byte) (protowire.Number, []byte, bool) {
	num, typ, n := protowire.ConsumeTag(data)
	if n < 0 || typ != protowire.BytesType {
		return 0, nil, false
	}
	body, m := protowire.ConsumeBytes(data[n:])
	if m < 0 || n+m != len(data) {
		return 0, nil, false
	}
	return num, body, true
}

// decodeUpdate reads an UpdateTx body: a read index and inserts only.
func decodeUpdate(index uint64, b []byte, keep func(storage.Fact) bool, in *Inserts) bool {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num == updateTxReadIndex && typ == protowire.VarintType {
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return false
		}
		in.ReadIndex = v
		b = b[n+m:]
	}
	if in.ReadIndex >= index {
		return false
	}
	return decodeFactList(index, b, updateTxInserts, keep, in)
}

// decodeFactList reads a run of InsertFact fields numbered field, which
// must be all of b.
func decodeFactList(index uint64, b []byte, field protowire.Number, keep func(storage.Fact) bool, in *Inserts) bool {
	for len(b) > 0 {
		num, typ, ok := shortTag(b[0])
		if !ok || num != field || typ != protowire.BytesType {
			return false
		}
		body, m := consumeBytes(b[1:])
		if m < 0 {
			return false
		}
		b = b[1+m:]
		f, ok := decodeFact(index, body)
		if !ok {
			return false
		}
		in.Annotated = in.Annotated || f.Object.Annotated()
		if keep(f) {
			if in.Facts == nil {
				in.Facts = make([]storage.Fact, 0, capHint(1+m, len(b)))
			}
			f.Object.Str = strings.Clone(f.Object.Str)
			f.Object.Lang = strings.Clone(f.Object.Lang)
			f.Object.Datatype = strings.Clone(f.Object.Datatype)
			f.Object.Lex = strings.Clone(f.Object.Lex)
			in.Facts = append(in.Facts, f)
		}
	}
	return true
}

// capHint guesses how many facts a view keeps from an entry whose first
// kept fact took first bytes and rest bytes remain: about half (a local
// cluster splits each space in two), so that append rarely has to copy a
// big slice. It is only a hint, bounded so that an odd entry (a tiny
// first fact before big ones) cannot make it allocate much.
func capHint(first, rest int) int {
	const most = 1 << 14 // 2 MiB of facts
	return min(1+rest/(2*first), most)
}

// fieldReader walks a message body field by field: after next returns
// true, num and typ describe the field and v (varint or fixed64) or bytes
// hold its value. next returns false at the end, or with bad set on
// malformed input and on a field number seen twice or above 15.
type fieldReader struct {
	b     []byte
	seen  uint16
	num   protowire.Number
	typ   protowire.Type
	v     uint64
	bytes []byte
	bad   bool
}

func (r *fieldReader) next() bool {
	if len(r.b) == 0 {
		return false
	}
	num, typ, ok := shortTag(r.b[0])
	if !ok || r.seen&(1<<num) != 0 {
		r.bad = true
		return false
	}
	r.seen |= 1 << num
	r.num, r.typ = num, typ
	var m int
	switch typ {
	case protowire.VarintType:
		r.v, m = consumeVarint(r.b[1:])
	case protowire.Fixed64Type:
		r.v, m = protowire.ConsumeFixed64(r.b[1:])
	case protowire.BytesType:
		r.bytes, m = consumeBytes(r.b[1:])
	default:
		m = -1
	}
	if m < 0 {
		r.bad = true
		return false
	}
	r.b = r.b[1+m:]
	return true
}

// shortTag reads a one-byte tag: every field of the messages read here has
// a number up to 15, whose tag takes one byte when encoded as writers do.
// Anything else (a longer encoding of the tag) is for the slow path.
func shortTag(c byte) (protowire.Number, protowire.Type, bool) {
	num := protowire.Number(c >> 3)
	return num, protowire.Type(c & 7), c < 0x80 && num != 0
}

// consumeVarint is protowire.ConsumeVarint with the one-byte case, most
// lengths and small numbers, inline.
func consumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	return protowire.ConsumeVarint(b)
}

// consumeBytes is protowire.ConsumeBytes through consumeVarint.
func consumeBytes(b []byte) ([]byte, int) {
	n, m := consumeVarint(b)
	if m < 0 || n > uint64(len(b)-m) {
		return nil, -1
	}
	return b[m : m+int(n)], m + int(n)
}

// ref is a decoded wire.Ref: which member is set, and its value.
type ref struct {
	set    protowire.Number // 0 none, else refKID or refOffset
	kid    uint64
	offset uint32
}

// decodeRef reads a Ref. It is the innermost and most frequent message,
// so it walks its fields directly rather than through fields.
func decodeRef(b []byte) (ref, bool) {
	var r ref
	for len(b) > 0 {
		num, typ, ok := shortTag(b[0])
		if !ok || typ != protowire.VarintType || r.set != 0 || (num != refKID && num != refOffset) {
			return r, false
		}
		v, m := consumeVarint(b[1:])
		if m < 0 {
			return r, false
		}
		r.set, r.kid, r.offset = num, v, uint32(v)
		b = b[1+m:]
	}
	return r, true
}

// resolve is the package's resolve without the error values.
func (r ref) resolve(index uint64) (uint64, bool) {
	switch r.set {
	case refKID:
		return r.kid, r.kid != 0
	case refOffset:
		return offsetKID(index, r.offset)
	}
	return 0, false
}

func offsetKID(index uint64, offset uint32) (uint64, bool) {
	if offset == 0 || offset > storage.MaxOffset {
		return 0, false
	}
	return storage.KIDOf(index, offset), true
}

// decodeFact reads one InsertFact; its strings point into b.
func decodeFact(index uint64, b []byte) (storage.Fact, bool) {
	f := storage.Fact{Index: index}
	var offset uint32
	var s, p ref
	haveObject := false
	r := fieldReader{b: b}
	for r.next() {
		var ok bool
		switch {
		case r.num == insertFactOffset && r.typ == protowire.VarintType:
			offset, ok = uint32(r.v), true
		case r.num == insertFactSubject && r.typ == protowire.BytesType:
			s, ok = decodeRef(r.bytes)
		case r.num == insertFactPredicate && r.typ == protowire.BytesType:
			p, ok = decodeRef(r.bytes)
		case r.num == insertFactObject && r.typ == protowire.BytesType:
			f.Object, ok = decodeObject(index, r.bytes)
			haveObject = ok
		}
		if !ok {
			return f, false
		}
	}
	if r.bad || !haveObject {
		return f, false
	}
	var ok1, ok2, ok3 bool
	f.ID, ok1 = offsetKID(index, offset)
	f.Subject, ok2 = s.resolve(index)
	f.Predicate, ok3 = p.resolve(index)
	return f, ok1 && ok2 && ok3
}

// logObject is a decoded wire.LogObject.
type logObject struct {
	value   protowire.Number // the oneof member set, 0 for none
	entity  ref
	str     []byte
	num     uint64 // int64, float64 bits or bool
	lang    []byte
	hasUnit bool
	unit    ref
	// The literal annotation's fields, nil when absent.
	datatype, lex []byte
}

// decodeObject reads a LogObject and converts it as ResolveObject does.
func decodeObject(index uint64, b []byte) (storage.Object, bool) {
	var lo logObject
	r := fieldReader{b: b}
	for r.next() {
		if !lo.set(r.num, r.typ, r.v, r.bytes) {
			return storage.Object{}, false
		}
	}
	if r.bad {
		return storage.Object{}, false
	}
	return lo.object(index)
}

// set records one LogObject field, refusing anything unusual.
func (lo *logObject) set(num protowire.Number, typ protowire.Type, v uint64, body []byte) bool {
	var ok bool
	switch {
	case num == logObjectLang && typ == protowire.BytesType:
		lo.lang = body
		return utf8.Valid(body)
	case num == logObjectDatatype && typ == protowire.BytesType:
		lo.datatype = body
		return utf8.Valid(body)
	case num == logObjectLex && typ == protowire.BytesType:
		lo.lex = body
		return utf8.Valid(body)
	case num == logObjectUnit && typ == protowire.BytesType:
		lo.hasUnit = true
		lo.unit, ok = decodeRef(body)
		return ok
	case lo.value != 0:
		return false // a second oneof member: order would matter
	case num == logObjectEntity && typ == protowire.BytesType:
		lo.entity, ok = decodeRef(body)
	case num == logObjectStr && typ == protowire.BytesType:
		lo.str, ok = body, utf8.Valid(body)
	case (num == logObjectInt64 || num == logObjectBool) && typ == protowire.VarintType,
		num == logObjectFloat64 && typ == protowire.Fixed64Type:
		lo.num, ok = v, true
	}
	lo.value = num
	return ok
}

// object converts like ResolveObject and wire.ToObject, without copying
// strings: they still point into the entry.
func (lo *logObject) object(index uint64) (storage.Object, bool) {
	o, ok := lo.plain(index)
	if !ok || (len(lo.datatype) == 0 && len(lo.lex) == 0) {
		return o, ok
	}
	o.Datatype, o.Lex = view(lo.datatype), view(lo.lex)
	return o, o.Validate() == nil
}

// plain converts the object's value: object without the annotation.
func (lo *logObject) plain(index uint64) (storage.Object, bool) {
	var unit uint64
	if lo.hasUnit {
		var ok bool
		if unit, ok = lo.unit.resolve(index); !ok {
			return storage.Object{}, false
		}
	}
	switch lo.value {
	case logObjectEntity:
		kid, ok := lo.entity.resolve(index)
		return storage.AEntity(kid), ok
	case logObjectStr:
		return storage.AString(view(lo.str), view(lo.lang)), true
	case logObjectInt64:
		return storage.AInt64(int64(lo.num), unit), true
	case logObjectFloat64:
		f := math.Float64frombits(lo.num)
		return storage.AFloat64(f, unit), !math.IsNaN(f)
	case logObjectBool:
		return storage.ABool(lo.num != 0), true
	}
	return storage.Object{}, false
}

// view returns b as a string without copying: the caller copies it before
// it outlives the entry (see decodeFactList).
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
