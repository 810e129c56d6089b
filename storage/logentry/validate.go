package logentry

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// ErrVersionChange refuses a version change entry offered as an ordinary
// one: the log appends those only through its checked admin path, which
// first makes sure every server can read the new version.
var ErrVersionChange = errors.New("the entry is a log format version change, which only `akutan ctl log upgrade` may append")

// validationIndex stands for the index an entry will get, unknown while it
// is checked before being appended: the largest a KID can carry, so that
// any read index the entry names is before it. Nothing else Validate finds
// depends on the index.
const validationIndex = math.MaxUint64 >> storage.OffsetBits

// Validate reports why data is not an entry that every view applies as
// written while the log is in format version, or nil. The log calls it on
// every appended entry, so that nothing a view would skip or stop at gets
// in. An entry carries no version of its own: it is read in the version
// the log is in at its index. Versions 1 and 2 accept the same kinds;
// version 3 also accepts literal annotations (see AnnotationVersion).
//
// Besides being a well-formed wire.LogEntry with no field this binary does
// not know, an entry must be an insert, an update or a decision whose facts
// resolve, and must not be a version change (see ErrVersionChange).
func Validate(data []byte, version uint32) error {
	if version < FirstVersion || version > MaxSupportedVersion {
		return fmt.Errorf("the log is in format version %d, but this binary knows versions %d to %d",
			version, FirstVersion, MaxSupportedVersion)
	}
	if in, ok := DecodeInserts(validationIndex, data, keepNone); ok && (!in.Annotated || version >= AnnotationVersion) {
		return nil // the common case, checked without building anything
	}
	var e wire.LogEntry
	if err := proto.Unmarshal(data, &e); err != nil {
		return fmt.Errorf("not a well-formed wire.LogEntry protobuf: %w", err)
	}
	if len(e.ProtoReflect().GetUnknown()) > 0 {
		return errors.New("the entry has fields this binary does not know (a newer kind of entry?)")
	}
	var err error
	var facts []storage.Fact
	switch c := e.Command.(type) {
	case nil:
		err = errors.New("the entry has no command: it is empty, or of a kind this binary does not know")
	case *wire.LogEntry_Version:
		err = fmt.Errorf("%w (to version %d)", ErrVersionChange, c.Version.GetVersion())
	case *wire.LogEntry_Insert:
		facts, err = insertedFacts(validationIndex, c.Insert)
	case *wire.LogEntry_Update:
		var deletes []storage.Fact
		deletes, facts, err = updateFacts(validationIndex, c.Update)
		facts = append(facts, deletes...)
	case *wire.LogEntry_Decide:
		if c.Decide.GetTxIndex() == 0 {
			err = errors.New("the decision names no transaction (tx index 0)")
		}
	default:
		err = fmt.Errorf("the entry's command %T is not one the log accepts", c)
	}
	if err != nil {
		return err
	}
	return checkAnnotations(facts, version)
}

// checkAnnotations refuses literal annotations in a log whose format
// version predates them (see AnnotationVersion).
func checkAnnotations(facts []storage.Fact, version uint32) error {
	if version >= AnnotationVersion {
		return nil
	}
	for i, f := range facts {
		if f.Object.Annotated() {
			return fmt.Errorf("fact %d's object is an annotated literal (datatype %q, lexical form %q), which log format version %d cannot hold: "+
				"upgrade the log with `akutan ctl log upgrade --to %d`", i, f.Object.Datatype, f.Object.Lex, version, AnnotationVersion)
		}
	}
	return nil
}

func keepNone(storage.Fact) bool { return false }

// VersionChangeOf returns the version that the entry data switches the
// log to, exactly as a view reading it would see it; ok is false for any
// other entry. It only peeks at inserts and updates, so that the log can
// watch every entry it applies.
func VersionChangeOf(data []byte) (version uint32, ok bool) {
	if num, _, only := onlyField(data); only && num != logEntryVersion {
		return 0, false
	}
	e, err := Decode(data)
	if err != nil || e.GetVersion() == nil {
		return 0, false
	}
	return e.GetVersion().GetVersion(), true
}
