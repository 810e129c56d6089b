package logentry

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Log format versions. A log starts in FirstVersion; a VersionChange entry
// switches every reader to a newer version from that entry on, and a reader
// that does not support the new version must stop (see docs/design.md).
//
//   - Version 1 is the first format: wire.LogEntry as of this writing.
//   - Version 2 is exactly version 1. It exists so that the upgrade path
//     (`akutan ctl log upgrade --to 2`, and servers that refuse it when
//     started with --max-log-version 1 to play an old binary) is exercised
//     end to end before a real format change needs it.
//   - Version 3 adds literal annotations: the datatype and lex fields of
//     wire.LogObject and wire.Object (see storage/annotation.go), which
//     keep RDF literals exactly. An entry carrying one is valid only from
//     version 3 on, since a binary that knows only versions 1 and 2 would
//     apply it without the annotation. Entries without annotations read
//     the same in every version.
const (
	// FirstVersion is the format every log starts in.
	FirstVersion uint32 = 1
	// AnnotationVersion is the first format whose entries may carry
	// literal annotations.
	AnnotationVersion uint32 = 3
	// MaxSupportedVersion is the newest format this binary can read.
	MaxSupportedVersion uint32 = 3
)

// EncodeVersionChange returns the entry that switches the log to version.
func EncodeVersionChange(version uint32) ([]byte, error) {
	return Encode(&wire.LogEntry{Command: &wire.LogEntry_Version{Version: &wire.VersionChange{Version: version}}})
}

// Encode marshals an entry. It gives proto.Marshal's bytes, with
// vtprotobuf's generated code instead of reflection where it can: a bulk
// load's entry holds ten thousand facts, and reflection took a quarter of
// an insert request's CPU outside the views. vtprotobuf sizes a oneof
// member message left nil one byte larger than it writes it (entries the
// API builds never have one); such an entry, and any other whose written
// length is not its size, is marshaled by proto.Marshal instead.
func Encode(e *wire.LogEntry) ([]byte, error) {
	size := e.SizeVT()
	b := make([]byte, size)
	if n, err := e.MarshalToSizedBufferVT(b); err == nil && n == size {
		return b, nil
	}
	b, err := proto.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encoding log entry: %w", err)
	}
	return b, nil
}

// Decode unmarshals an entry.
func Decode(data []byte) (*wire.LogEntry, error) {
	var e wire.LogEntry
	if err := proto.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decoding log entry: %w", err)
	}
	return &e, nil
}

// InsertedFacts returns the facts that an insert entry at index creates, in
// entry order. A malformed entry yields an error and no facts, so that every
// view skips exactly the same entries.
func InsertedFacts(index uint64, tx *wire.InsertTx) ([]storage.Fact, error) {
	facts, err := insertedFacts(index, tx)
	if err != nil {
		return nil, fmt.Errorf("entry %d, %w", index, err)
	}
	return facts, nil
}

// insertedFacts is InsertedFacts with errors that do not name the entry,
// for Validate, which does not know the index yet.
func insertedFacts(index uint64, tx *wire.InsertTx) ([]storage.Fact, error) {
	facts := make([]storage.Fact, 0, len(tx.Facts))
	for i, in := range tx.Facts {
		f, err := insertedFact(index, in)
		if err != nil {
			return nil, fmt.Errorf("fact %d: %w", i, err)
		}
		facts = append(facts, f)
	}
	return facts, nil
}

func insertedFact(index uint64, in *wire.InsertFact) (storage.Fact, error) {
	id, err := resolve(index, &wire.Ref{Ref: &wire.Ref_Offset{Offset: in.FactOffset}})
	if err != nil {
		return storage.Fact{}, fmt.Errorf("fact ID: %w", err)
	}
	s, err := resolve(index, in.Subject)
	if err != nil {
		return storage.Fact{}, fmt.Errorf("subject: %w", err)
	}
	p, err := resolve(index, in.Predicate)
	if err != nil {
		return storage.Fact{}, fmt.Errorf("predicate: %w", err)
	}
	o, err := ResolveObject(index, in.Object)
	if err != nil {
		return storage.Fact{}, fmt.Errorf("object: %w", err)
	}
	return storage.Fact{Index: index, ID: id, Subject: s, Predicate: p, Object: o}, nil
}

func resolve(index uint64, r *wire.Ref) (uint64, error) {
	switch v := r.GetRef().(type) {
	case *wire.Ref_Kid:
		if v.Kid == 0 {
			return 0, fmt.Errorf("KID 0 is not an entity")
		}
		return v.Kid, nil
	case *wire.Ref_Offset:
		if v.Offset == 0 || v.Offset > storage.MaxOffset {
			return 0, fmt.Errorf("offset %d out of range 1..%d", v.Offset, storage.MaxOffset)
		}
		return storage.KIDOf(index, v.Offset), nil
	}
	return 0, fmt.Errorf("reference is empty")
}

// ResolveObject turns a LogObject into an Object, resolving the entity or
// unit offsets it may carry.
func ResolveObject(index uint64, lo *wire.LogObject) (storage.Object, error) {
	if lo == nil {
		return storage.Object{}, fmt.Errorf("missing")
	}
	w := &wire.Object{Lang: lo.Lang, Datatype: lo.Datatype, Lex: lo.Lex}
	if lo.Unit != nil {
		unit, err := resolve(index, lo.Unit)
		if err != nil {
			return storage.Object{}, fmt.Errorf("unit: %w", err)
		}
		w.Unit = unit
	}
	switch v := lo.Value.(type) {
	case *wire.LogObject_Entity:
		kid, err := resolve(index, v.Entity)
		if err != nil {
			return storage.Object{}, err
		}
		w.Value = &wire.Object_Entity{Entity: kid}
	case *wire.LogObject_Str:
		w.Value = &wire.Object_Str{Str: v.Str}
	case *wire.LogObject_Int64:
		w.Value = &wire.Object_Int64{Int64: v.Int64}
	case *wire.LogObject_Float64:
		w.Value = &wire.Object_Float64{Float64: v.Float64}
	case *wire.LogObject_Bool:
		w.Value = &wire.Object_Bool{Bool: v.Bool}
	case *wire.LogObject_Timestamp:
		w.Value = &wire.Object_Timestamp{Timestamp: v.Timestamp}
	}
	return wire.ToObject(w)
}

// KIDRef names an existing entity.
func KIDRef(kid uint64) *wire.Ref { return &wire.Ref{Ref: &wire.Ref_Kid{Kid: kid}} }

// OffsetRef names an entity created by the same entry.
func OffsetRef(offset uint32) *wire.Ref { return &wire.Ref{Ref: &wire.Ref_Offset{Offset: offset}} }
