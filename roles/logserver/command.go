package logserver

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A Raft proposal is one command: a kind byte followed by its body.
//
//	append:   kindAppend, uvarint count, then count times
//	          uvarint client_id, uvarint seq, uvarint n, n times (uvarint len, bytes)
//	truncate: kindTruncate, uvarint first index to keep
const (
	kindAppend   byte = 1
	kindTruncate byte = 2
)

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
