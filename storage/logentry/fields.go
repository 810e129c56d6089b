package logentry

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/akutan-dev/akutan/wire"
)

// The field numbers that the fast paths (fast.go, DecisionOf,
// VersionChangeOf) read straight from the wire. They come from the
// generated descriptors, so wire/akutan.proto stays the one place that
// defines them; they are computed once, when the package loads, and never
// assigned again.
var (
	logEntryInsert  = fieldNumber(&wire.LogEntry{}, "insert")
	logEntryVersion = fieldNumber(&wire.LogEntry{}, "version")
	logEntryUpdate  = fieldNumber(&wire.LogEntry{}, "update")
	logEntryDecide  = fieldNumber(&wire.LogEntry{}, "decide")

	insertTxFacts = fieldNumber(&wire.InsertTx{}, "facts")

	updateTxReadIndex = fieldNumber(&wire.UpdateTx{}, "read_index")
	updateTxInserts   = fieldNumber(&wire.UpdateTx{}, "inserts")

	insertFactOffset    = fieldNumber(&wire.InsertFact{}, "fact_offset")
	insertFactSubject   = fieldNumber(&wire.InsertFact{}, "subject")
	insertFactPredicate = fieldNumber(&wire.InsertFact{}, "predicate")
	insertFactObject    = fieldNumber(&wire.InsertFact{}, "object")

	refKID    = fieldNumber(&wire.Ref{}, "kid")
	refOffset = fieldNumber(&wire.Ref{}, "offset")

	logObjectEntity   = fieldNumber(&wire.LogObject{}, "entity")
	logObjectStr      = fieldNumber(&wire.LogObject{}, "str")
	logObjectInt64    = fieldNumber(&wire.LogObject{}, "int64")
	logObjectFloat64  = fieldNumber(&wire.LogObject{}, "float64")
	logObjectBool     = fieldNumber(&wire.LogObject{}, "bool")
	logObjectLang     = fieldNumber(&wire.LogObject{}, "lang")
	logObjectUnit     = fieldNumber(&wire.LogObject{}, "unit")
	logObjectDatatype = fieldNumber(&wire.LogObject{}, "datatype")
	logObjectLex      = fieldNumber(&wire.LogObject{}, "lex")
)

// fieldNumber returns the number of m's field called name. A name that m
// lacks is a mistake in this file, not in any input: it yields 0, which no
// field has, so the fast paths decline every entry and TestFieldNumbers
// fails.
func fieldNumber(m proto.Message, name protoreflect.Name) protowire.Number {
	f := m.ProtoReflect().Descriptor().Fields().ByName(name)
	if f == nil {
		return 0
	}
	return f.Number()
}
