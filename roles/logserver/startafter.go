package logserver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	sm "github.com/lni/dragonboat/v3/statemachine"

	"github.com/akutan-dev/akutan/storage/logentry"
)

// Starting after a backup
//
// A database restored from a backup as of log index I (see
// storage/backup) continues with entry I+1: its views are loaded as of I
// and follow the log from I+1. A new log for it must therefore assign its
// first entry index I+1, not 1. StartAfter does that with a Raft command
// of its own, applied identically by every replica (and so by any replica
// added later, from the Raft log or a snapshot): on a log that has never
// held an entry (first index 1, last index 0) it sets the extent to
// first I+1, last I, as if entries 1..I had been appended and truncated,
// and the log's format version to the backup's. On any other log it
// changes nothing; the proposer then checks that the log already starts
// at I+1 (a restart of the restored log) or refuses.

// ErrNotEmpty means StartAfter was asked of a log that already holds
// entries other than those of the backup's continuation.
var ErrNotEmpty = errors.New("the log is not new")

// StartAfter makes a new, empty log continue after index: its first entry
// will be index+1, and it is in log format version (switched to at
// versionIndex; 0 for the first version). It succeeds too on a log that
// already starts at index+1 (restarts).
func (s *Server) StartAfter(ctx context.Context, index uint64, version uint32, versionIndex uint64) error {
	if index == 0 {
		return errors.New("starting the log after index 0: nothing to do")
	}
	if version > logentry.MaxSupportedVersion {
		return fmt.Errorf("starting the log after index %d in format version %d: %w: it knows versions %d to %d",
			index, version, ErrUnknownVersion, logentry.FirstVersion, logentry.MaxSupportedVersion)
	}
	if versionIndex > index {
		// The version in force at index is not known; the backup's sources
		// switched later. Start in the first version; the log meets no
		// switch entry, so its readers stay in it: refuse instead.
		return fmt.Errorf("starting the log after index %d: the backup's log format version %d came at index %d, after it", index, version, versionIndex)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	res, err := s.proposeAdmin(ctx, encodeStartAfter(index, version, versionIndex))
	if err != nil {
		return fmt.Errorf("starting the log after index %d: %w", index, err)
	}
	first, last, err := decodeStartAfterResult(res)
	if err != nil {
		return fmt.Errorf("starting the log after index %d: %w", index, err)
	}
	if first != index+1 || last < index {
		return fmt.Errorf("starting the log after index %d: %w: it holds entries %d to %d", index, ErrNotEmpty, first, last)
	}
	return nil
}

func encodeStartAfter(index uint64, version uint32, versionIndex uint64) []byte {
	buf := binary.AppendUvarint([]byte{kindStartAfter}, index)
	buf = binary.AppendUvarint(buf, uint64(version))
	return binary.AppendUvarint(buf, versionIndex)
}

func decodeStartAfter(body []byte) (index uint64, v logVersion, err error) {
	d := &decoder{buf: body}
	index, number, vindex := d.uvarint(), d.uvarint(), d.uvarint()
	if err := d.end(); err != nil || index == 0 || number > math.MaxUint32 || vindex > index {
		return 0, logVersion{}, fmt.Errorf("decoding start-after command: %w", errMalformed)
	}
	return index, logVersion{number: uint32(number), index: vindex}, nil
}

// startAfter applies a start-after command; the result is the extent
// afterwards (Value: first, Data: uvarint last).
func (a *applier) startAfter(body []byte) (sm.Result, error) {
	index, v, err := decodeStartAfter(body)
	if err != nil {
		return sm.Result{}, err
	}
	if a.ext.first == 1 && a.ext.last == 0 {
		a.ext.first, a.ext.last = index+1, index
		if v.number > logentry.FirstVersion {
			a.setVersion(v)
		}
	}
	return sm.Result{Value: a.ext.first, Data: binary.AppendUvarint(nil, a.ext.last)}, nil
}

func decodeStartAfterResult(res sm.Result) (first, last uint64, err error) {
	d := &decoder{buf: res.Data}
	last = d.uvarint()
	if err := d.end(); err != nil || res.Value == 0 {
		return 0, 0, fmt.Errorf("decoding start-after result: %w", errMalformed)
	}
	return res.Value, last, nil
}
