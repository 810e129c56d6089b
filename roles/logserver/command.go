package logserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	sm "github.com/lni/dragonboat/v3/statemachine"
)

// A Raft proposal is one command: a kind byte followed by its body.
//
//	append:        kindAppend, uvarint count, then count times
//	               uvarint client_id, uvarint seq, uvarint n, n times (uvarint len, bytes)
//	truncate:      kindTruncate, uvarint first index to keep (no floor check;
//	               kept so that Raft logs written before floors still apply)
//	truncate mode: kindTruncateMode, uvarint mode, uvarint first index to keep
//	set floor:     kindSetFloor, uvarint index, uvarint remove (0 or 1),
//	               uvarint len, cluster name
//	mark removed:  kindMarkRemoved, uvarint replica ID
//	version:       kindVersionChange, uvarint format version to switch to
//	directory:     kindDirectory, uvarint remove (0 or 1), uvarint len, key,
//	               uvarint len, value (see directory.go)
//	start after:   kindStartAfter, uvarint index, uvarint format version,
//	               uvarint index of the entry that switched to it
const (
	kindAppend       byte = 1
	kindTruncate     byte = 2
	kindTruncateMode byte = 3
	kindSetFloor     byte = 4
	kindMarkRemoved  byte = 5
	// kindVersionChange appends a log format version change; before it,
	// one was an ordinary append. A replica older than it stops at the
	// first `ctl log upgrade`.
	kindVersionChange byte = 6
	// kindDirectory sets or deletes a directory record (directory.go).
	kindDirectory byte = 7
	// kindStartAfter makes an empty log continue after a backup's index
	// (startafter.go). Only a log restored from a backup proposes it, and
	// every replica of such a log runs a binary that knows it.
	kindStartAfter byte = 8
	// maxKind is the newest kind this binary applies. A kind added later
	// stops older replicas (see applier.apply): add one only with a
	// release whose notes say to upgrade every log replica before using
	// what proposes it.
	maxKind = kindStartAfter
)

// truncateMode is how a truncation picks the first index it keeps; the
// values are those of wire.TruncateMode.
type truncateMode uint64

const (
	truncBefore truncateMode = 0 // keep from the given index, refused past the lowest floor
	truncForce  truncateMode = 1 // keep from the given index whatever the floors
	truncAuto   truncateMode = 2 // keep from the lowest floor + 1
)

// truncStatus is the outcome of a truncation, reported to its proposer.
type truncStatus byte

const (
	truncOK        truncStatus = 0
	truncNoFloors  truncStatus = 1 // auto, but no cluster registered a floor
	truncPastFloor truncStatus = 2 // would discard what a cluster still needs
	truncBadMode   truncStatus = 3
)

// truncResult is what the state machine returns for a truncation.
type truncResult struct {
	status truncStatus
	first  uint64 // the first retained index afterwards
	// floor and cluster name the lowest floor, when there is one.
	floor   uint64
	cluster string
}

// appendOp is one Append request inside a proposal.
type appendOp struct {
	clientID uint64 // 0 disables deduplication
	seq      uint64
	entries  [][]byte
}

// opStatus is the outcome of one appendOp, reported back to its proposer.
type opStatus byte

const (
	statusOK        opStatus = 0
	statusStale     opStatus = 1 // seq older than the client's last applied seq
	statusMalformed opStatus = 2 // the proposal could not be decoded
)

// opResult is what the state machine returns for one appendOp.
type opResult struct {
	status      opStatus
	first, last uint64
}

var errMalformed = errors.New("malformed command")

func encodeAppend(ops []*appendOp) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, op := range ops {
		size += 3 * binary.MaxVarintLen64
		for _, e := range op.entries {
			size += binary.MaxVarintLen64 + len(e)
		}
	}
	buf := make([]byte, 0, size)
	buf = append(buf, kindAppend)
	buf = binary.AppendUvarint(buf, uint64(len(ops)))
	for _, op := range ops {
		buf = binary.AppendUvarint(buf, op.clientID)
		buf = binary.AppendUvarint(buf, op.seq)
		buf = binary.AppendUvarint(buf, uint64(len(op.entries)))
		for _, e := range op.entries {
			buf = binary.AppendUvarint(buf, uint64(len(e)))
			buf = append(buf, e...)
		}
	}
	return buf
}

func encodeTruncate(firstKept uint64) []byte {
	return binary.AppendUvarint([]byte{kindTruncate}, firstKept)
}

// decoder reads uvarints and byte strings, remembering the first error.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = errMalformed
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

// count reads a element count, rejecting counts that cannot fit in the rest
// of the buffer (each element takes at least one byte).
func (d *decoder) count() int {
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.buf)) {
		d.err = errMalformed
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = errMalformed
		return nil
	}
	b := d.buf[:n:n]
	d.buf = d.buf[n:]
	return b
}

// decodeAppend decodes the body of an append command (after the kind byte).
// The returned entries alias body.
func decodeAppend(body []byte) ([]*appendOp, error) {
	d := &decoder{buf: body}
	n := d.count()
	ops := make([]*appendOp, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		op := &appendOp{clientID: d.uvarint(), seq: d.uvarint()}
		m := d.count()
		op.entries = make([][]byte, 0, m)
		for j := 0; j < m && d.err == nil; j++ {
			op.entries = append(op.entries, d.bytes())
		}
		ops = append(ops, op)
	}
	if d.err == nil && len(d.buf) != 0 {
		d.err = errMalformed
	}
	if d.err != nil {
		return nil, fmt.Errorf("decoding append command: %w", d.err)
	}
	return ops, nil
}

func encodeTruncateMode(mode truncateMode, firstKept uint64) []byte {
	buf := binary.AppendUvarint([]byte{kindTruncateMode}, uint64(mode))
	return binary.AppendUvarint(buf, firstKept)
}

func decodeTruncateMode(body []byte) (truncateMode, uint64, error) {
	d := &decoder{buf: body}
	mode, first := truncateMode(d.uvarint()), d.uvarint()
	if err := d.end(); err != nil {
		return 0, 0, fmt.Errorf("decoding truncate command: %w", err)
	}
	return mode, first, nil
}

// setFloorOp registers, moves or (remove) forgets a cluster's floor.
type setFloorOp struct {
	cluster string
	index   uint64
	remove  bool
}

func encodeSetFloor(op setFloorOp) []byte {
	buf := binary.AppendUvarint([]byte{kindSetFloor}, op.index)
	rm := uint64(0)
	if op.remove {
		rm = 1
	}
	buf = binary.AppendUvarint(buf, rm)
	buf = binary.AppendUvarint(buf, uint64(len(op.cluster)))
	return append(buf, op.cluster...)
}

func decodeSetFloor(body []byte) (setFloorOp, error) {
	d := &decoder{buf: body}
	op := setFloorOp{index: d.uvarint()}
	rm := d.uvarint()
	op.cluster = string(d.bytes())
	if err := d.end(); err != nil || rm > 1 || op.cluster == "" {
		return setFloorOp{}, fmt.Errorf("decoding set-floor command: %w", errMalformed)
	}
	op.remove = rm == 1
	return op, nil
}

func encodeMarkRemoved(id uint64) []byte {
	return binary.AppendUvarint([]byte{kindMarkRemoved}, id)
}

func decodeMarkRemoved(body []byte) (uint64, error) {
	d := &decoder{buf: body}
	id := d.uvarint()
	if err := d.end(); err != nil || id == 0 {
		return 0, fmt.Errorf("decoding mark-removed command: %w", errMalformed)
	}
	return id, nil
}

func encodeVersionChange(to uint32) []byte {
	return binary.AppendUvarint([]byte{kindVersionChange}, uint64(to))
}

func decodeVersionChange(body []byte) (uint32, error) {
	d := &decoder{buf: body}
	to := d.uvarint()
	if err := d.end(); err != nil || to == 0 || to > math.MaxUint32 {
		return 0, fmt.Errorf("decoding version change command: %w", errMalformed)
	}
	return uint32(to), nil
}

// encodeVersionResult answers a version change: Value is the version the
// log is in afterwards and Data the index of the entry that switched to
// it (uvarint).
func encodeVersionResult(v logVersion) sm.Result {
	return sm.Result{Value: uint64(v.current()), Data: binary.AppendUvarint(nil, v.index)}
}

func decodeVersionResult(res sm.Result) (logVersion, error) {
	d := &decoder{buf: res.Data}
	index := d.uvarint()
	if err := d.end(); err != nil || res.Value == 0 || res.Value > math.MaxUint32 {
		return logVersion{}, fmt.Errorf("decoding version change result: %w", errMalformed)
	}
	return logVersion{number: uint32(res.Value), index: index}, nil
}

// encodeLogVersion is the stored form of a logVersion: the version and
// the index, 8 bytes each.
func encodeLogVersion(v logVersion) []byte {
	return binary.BigEndian.AppendUint64(u64(uint64(v.number)), v.index)
}

func decodeLogVersion(b []byte) (logVersion, error) {
	if len(b) != 16 || binary.BigEndian.Uint64(b) > math.MaxUint32 {
		return logVersion{}, fmt.Errorf("bad stored log version %x", b)
	}
	return logVersion{number: uint32(binary.BigEndian.Uint64(b)), index: binary.BigEndian.Uint64(b[8:])}, nil
}

func encodeTruncResult(r truncResult) []byte {
	buf := []byte{byte(r.status)}
	buf = binary.AppendUvarint(buf, r.first)
	buf = binary.AppendUvarint(buf, r.floor)
	buf = binary.AppendUvarint(buf, uint64(len(r.cluster)))
	return append(buf, r.cluster...)
}

func decodeTruncResult(buf []byte) (truncResult, error) {
	if len(buf) == 0 {
		return truncResult{}, fmt.Errorf("decoding truncate result: %w", errMalformed)
	}
	d := &decoder{buf: buf[1:]}
	r := truncResult{status: truncStatus(buf[0]), first: d.uvarint(), floor: d.uvarint()}
	r.cluster = string(d.bytes())
	if err := d.end(); err != nil {
		return truncResult{}, fmt.Errorf("decoding truncate result: %w", err)
	}
	return r, nil
}

// end reports the first error, or errMalformed if bytes are left over.
func (d *decoder) end() error {
	if d.err == nil && len(d.buf) != 0 {
		d.err = errMalformed
	}
	return d.err
}

func decodeTruncate(body []byte) (uint64, error) {
	d := &decoder{buf: body}
	v := d.uvarint()
	if d.err == nil && len(d.buf) != 0 {
		d.err = errMalformed
	}
	if d.err != nil {
		return 0, fmt.Errorf("decoding truncate command: %w", d.err)
	}
	return v, nil
}

func encodeResults(rs []opResult) []byte {
	buf := make([]byte, 0, len(rs)*(1+2*binary.MaxVarintLen64))
	for _, r := range rs {
		buf = append(buf, byte(r.status))
		buf = binary.AppendUvarint(buf, r.first)
		buf = binary.AppendUvarint(buf, r.last)
	}
	return buf
}

func decodeResults(buf []byte, n int) ([]opResult, error) {
	d := &decoder{buf: buf}
	rs := make([]opResult, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		if len(d.buf) == 0 {
			d.err = errMalformed
			break
		}
		st := opStatus(d.buf[0])
		d.buf = d.buf[1:]
		rs = append(rs, opResult{status: st, first: d.uvarint(), last: d.uvarint()})
	}
	if d.err != nil {
		return nil, fmt.Errorf("decoding append results: %w", d.err)
	}
	return rs, nil
}
