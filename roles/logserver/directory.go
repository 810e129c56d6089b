package logserver

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"time"

	sm "github.com/lni/dragonboat/v3/statemachine"
)

// The directory is a small replicated table, in the log's admin state,
// of the servers that use the log:
//
//	replica records  where each log replica serves gRPC, and its
//	                 datacenter, so that views and API servers started
//	                 with only some (or old) addresses find the current
//	                 members (package logclient follows them);
//	server records   every view, API server and log replica that has
//	                 connected, with the newest log format version it
//	                 supports, so that `ctl log upgrade` can refuse while
//	                 one that supports less may come back, up or not.
//
// One Raft command kind (kindDirectory) sets or deletes one record; the
// state machine checks only what keeps it bounded and consistent (sizes,
// count, no record for a removed replica ID), so every replica decides
// the same. A binary older than the kind stops at its first record (see
// applier.apply), so records are never written unprompted into a log that
// older replicas may still serve: see Server.directoryEnabled.

// Directory key prefixes, after prefixDirectory in LevelDB.
const (
	dirReplica = "r/" // + 8-byte replica ID
	dirServer  = "s/" // + server name
)

const (
	// maxDirectoryKey and maxDirectoryValue bound one record.
	maxDirectoryKey   = 512
	maxDirectoryValue = 4096
	// maxDirectoryRecords bounds the table: servers that come and go with
	// new addresses are retired with `ctl log forget-server`, and a log
	// that is full refuses new records (older ones stay right).
	maxDirectoryRecords = 10000
)

// ReplicaRecord is where a log replica serves gRPC.
type ReplicaRecord struct {
	GRPCAddr string `json:"grpc_addr"`
	DC       string `json:"dc,omitempty"`
}

// ServerRecord is what the log remembers of a server that connected to
// it: the newest log format version it supports, and where it runs.
type ServerRecord struct {
	Role          string `json:"role"`
	GRPCAddr      string `json:"grpc_addr"`
	Cluster       string `json:"cluster,omitempty"`
	DC            string `json:"dc,omitempty"`
	MaxLogVersion uint32 `json:"max_log_version"`
	// Since is when (Unix seconds, the proposer's clock) the record was
	// first written with this version.
	Since int64 `json:"since"`
}

// Name is how operators name a server record: its role and gRPC address
// (`ctl log forget-server NAME`).
func (r ServerRecord) Name() string { return r.Role + "/" + r.GRPCAddr }

// sameAs reports whether r records what o does, ignoring Since.
func (r ServerRecord) sameAs(o ServerRecord) bool {
	r.Since = o.Since
	return r == o
}

func replicaDirKey(id uint64) string {
	return dirReplica + string(binary.BigEndian.AppendUint64(nil, id))
}

func serverDirKey(name string) string { return dirServer + name }

// directoryOp sets (or, with remove, deletes) one record.
type directoryOp struct {
	key    string
	value  []byte
	remove bool
}

func encodeDirectory(op directoryOp) []byte {
	rm := uint64(0)
	if op.remove {
		rm = 1
	}
	buf := binary.AppendUvarint([]byte{kindDirectory}, rm)
	buf = binary.AppendUvarint(buf, uint64(len(op.key)))
	buf = append(buf, op.key...)
	buf = binary.AppendUvarint(buf, uint64(len(op.value)))
	return append(buf, op.value...)
}

func decodeDirectory(body []byte) (directoryOp, error) {
	d := &decoder{buf: body}
	rm := d.uvarint()
	op := directoryOp{key: string(d.bytes()), value: d.bytes(), remove: rm == 1}
	if err := d.end(); err != nil || rm > 1 || op.key == "" {
		return directoryOp{}, fmt.Errorf("decoding directory command: %w", errMalformed)
	}
	return op, nil
}

// directory applies a directory command. Value is 1 when the record was
// written or deleted, 0 when refused (too large, the table full, or a
// record for a removed replica).
func (a *applier) directory(body []byte) (sm.Result, error) {
	op, err := decodeDirectory(body)
	if err != nil {
		return sm.Result{}, err
	}
	_, exists := a.admin.directory[op.key]
	switch {
	case op.remove && !exists:
		return sm.Result{Value: 1}, nil
	case op.remove:
		a.ownAdmin()
		delete(a.admin.directory, op.key)
		a.b.Delete(directoryKey(op.key))
		return sm.Result{Value: 1}, nil
	case len(op.key) > maxDirectoryKey || len(op.value) > maxDirectoryValue,
		!exists && len(a.admin.directory) >= maxDirectoryRecords,
		strings.HasPrefix(op.key, dirReplica) && len(op.key) == len(dirReplica)+8 &&
			a.admin.removed[binary.BigEndian.Uint64([]byte(op.key[len(dirReplica):]))]:
		return sm.Result{}, nil
	}
	a.ownAdmin()
	a.admin.directory[op.key] = string(op.value)
	a.b.Put(directoryKey(op.key), op.value)
	return sm.Result{Value: 1}, nil
}

// replicaRecords decodes the replica records by ID; undecodable ones are
// left out.
func (a adminState) replicaRecords() map[uint64]ReplicaRecord {
	out := make(map[uint64]ReplicaRecord)
	for k, v := range a.directory {
		if !strings.HasPrefix(k, dirReplica) || len(k) != len(dirReplica)+8 {
			continue
		}
		var r ReplicaRecord
		if json.Unmarshal([]byte(v), &r) == nil {
			out[binary.BigEndian.Uint64([]byte(k[len(dirReplica):]))] = r
		}
	}
	return out
}

// serverRecords decodes the server records, sorted by name; undecodable
// ones are left out.
func (a adminState) serverRecords() []ServerRecord {
	var out []ServerRecord
	for k, v := range a.directory {
		if !strings.HasPrefix(k, dirServer) {
			continue
		}
		var r ServerRecord
		if json.Unmarshal([]byte(v), &r) == nil {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// olderServers returns the recorded servers that support only log format
// versions below to.
func (a adminState) olderServers(to uint32) []ServerRecord {
	var out []ServerRecord
	for _, r := range a.serverRecords() {
		if r.MaxLogVersion < to {
			out = append(out, r)
		}
	}
	return out
}

// ErrDirectoryRefused means the log did not write a directory record: it
// is too large, the directory is full, or it names a removed replica.
var ErrDirectoryRefused = errors.New("the log refused the record (too large, directory full, or a removed replica)")

// directoryEnabled reports whether this replica may write records nobody
// asked for (its own, and those servers send on connecting): when the
// log holds some already, so an operator or a founding replica of this
// release started the directory, or when this replica founded the log,
// whose replicas are all of this release. A log created by an older
// release starts its directory when an operator runs
// `akutan ctl log set-address` (after upgrading every replica).
func (s *Server) directoryEnabled(a adminState) bool {
	return s.founder || len(a.directory) > 0
}

// proposeDirectory writes or deletes one record.
func (s *Server) proposeDirectory(ctx context.Context, op directoryOp) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	res, err := s.proposeAdmin(ctx, encodeDirectory(op))
	if err != nil {
		return err
	}
	if res.Value != 1 {
		return ErrDirectoryRefused
	}
	return nil
}

// Directory returns the directory, read linearizably: where each replica
// serves gRPC, by ID, and the servers recorded, sorted by name.
func (s *Server) Directory(ctx context.Context) (map[uint64]ReplicaRecord, []ServerRecord, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := s.readAdmin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the log's directory: %w", err)
	}
	return v.admin.replicaRecords(), v.admin.serverRecords(), nil
}

// SetReplicaAddress records where replica id serves gRPC. It is how an
// operator starts the directory of a log created by an older release,
// and how `ctl log add --grpc-addr` records a new replica before it runs.
func (s *Server) SetReplicaAddress(ctx context.Context, id uint64, rec ReplicaRecord) error {
	if id == 0 || rec.GRPCAddr == "" {
		return errors.New("recording a replica's address: the ID and the gRPC address are required")
	}
	if err := checkAdvertisable(rec.GRPCAddr); err != nil {
		return fmt.Errorf("recording replica %d's address: %w", id, err)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("recording replica %d's address: %w", id, err)
	}
	if err := s.proposeDirectory(ctx, directoryOp{key: replicaDirKey(id), value: b}); err != nil {
		return fmt.Errorf("recording replica %d's address %s: %w", id, rec.GRPCAddr, err)
	}
	return nil
}

// RecordServer records a server that connected and the newest log format
// version it supports, unless the same is recorded already; it returns
// false, and writes nothing, while the directory is not enabled (see
// directoryEnabled).
func (s *Server) RecordServer(ctx context.Context, rec ServerRecord) (bool, error) {
	if rec.Role == "" || rec.GRPCAddr == "" || rec.MaxLogVersion == 0 {
		return false, errors.New("recording a server: role, gRPC address and version are required")
	}
	a := s.sm.adminState()
	if !s.directoryEnabled(a) {
		return false, nil
	}
	if old, ok := a.directory[serverDirKey(rec.Name())]; ok {
		var o ServerRecord
		if json.Unmarshal([]byte(old), &o) == nil && rec.sameAs(o) {
			return true, nil
		}
	}
	if rec.Since == 0 {
		rec.Since = time.Now().Unix()
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("recording server %s: %w", rec.Name(), err)
	}
	if err := s.proposeDirectory(ctx, directoryOp{key: serverDirKey(rec.Name()), value: b}); err != nil {
		return false, fmt.Errorf("recording server %s: %w", rec.Name(), err)
	}
	return true, nil
}

// ForgetServer retires a server record (a server gone for good), so that
// `ctl log upgrade` no longer waits for it; it reports whether there was
// one.
func (s *Server) ForgetServer(ctx context.Context, name string) (bool, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := s.readAdmin(ctx)
	if err != nil {
		return false, fmt.Errorf("forgetting server %s: %w", name, err)
	}
	if _, ok := v.admin.directory[serverDirKey(name)]; !ok {
		return false, nil
	}
	if err := s.proposeDirectory(ctx, directoryOp{key: serverDirKey(name), remove: true}); err != nil {
		return false, fmt.Errorf("forgetting server %s: %w", name, err)
	}
	return true, nil
}

// checkAdvertisable refuses an address others cannot dial: no port, or a
// wildcard host (0.0.0.0, ::, empty).
func checkAdvertisable(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("gRPC address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("gRPC address %q is a wildcard others cannot dial; give the replica a routable --grpc-addr", addr)
	}
	return nil
}

// recordSelfEvery is how often a replica checks that the directory holds
// its own records.
const recordSelfEvery = 5 * time.Second

// runRecordSelf keeps this replica's own records in the directory (its
// gRPC address and datacenter; its role, address and supported version)
// while the directory is enabled, until Stop.
func (s *Server) runRecordSelf() {
	t := time.NewTicker(recordSelfEvery)
	defer t.Stop()
	warned := false
	for {
		if err := s.recordSelf(); err != nil && !warned {
			warned = true
			s.logger.Warn().Err(err).Msg("could not record this replica in the log's directory; will retry")
		}
		select {
		case <-s.stopc:
			return
		case <-t.C:
		}
	}
}

func (s *Server) recordSelf() error {
	a := s.sm.adminState()
	if !s.directoryEnabled(a) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), recordSelfEvery)
	defer cancel()
	go func() { // Stop cancels a proposal under way
		select {
		case <-s.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	addr := s.GRPCAddr()
	if err := checkAdvertisable(addr); err != nil {
		return err
	}
	want := ReplicaRecord{GRPCAddr: addr, DC: s.cfg.DC}
	if have, ok := a.replicaRecords()[s.cfg.ReplicaID]; (!ok || have != want) && !a.removed[s.cfg.ReplicaID] {
		if err := s.SetReplicaAddress(ctx, s.cfg.ReplicaID, want); err != nil {
			return err
		}
	}
	_, err := s.RecordServer(ctx, ServerRecord{Role: "log", GRPCAddr: addr, Cluster: s.cfg.Cluster, DC: s.cfg.DC,
		MaxLogVersion: s.maxLogVersion()})
	return err
}
