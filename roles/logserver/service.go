package logserver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
	"github.com/lni/dragonboat/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// maxAppendBytes bounds the entry bytes of one Append request.
	maxAppendBytes = 16 << 20
	// maxReadEntries and maxReadBytes bound one ReadReply (a single larger
	// entry still goes alone).
	maxReadEntries = 4096
	maxReadBytes   = 1 << 20
	// readHeartbeat is how often a tailing Read sends an empty reply while
	// there is nothing new: logclient abandons a stream silent for
	// 600 ms whose replica does not answer an Info either.
	readHeartbeat = 200 * time.Millisecond
)

// Append implements wire.LogServer: it hands the request to the batcher and
// waits for its batch to commit.
func (s *Server) Append(ctx context.Context, req *wire.AppendRequest) (*wire.AppendReply, error) {
	start := time.Now()
	done := make(chan appendResult, 1)
	deadline, _ := ctx.Deadline()
	r, err := newAppendReq(ctx, deadline, req, func(res opResult, err error) {
		done <- appendResult{res: res, err: err}
	})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	if err := s.checkEntries(ctx, req.Entries); err != nil {
		return nil, err
	}
	res := appendResult{err: s.submit(ctx, r)}
	if res.err == nil {
		select {
		case res = <-done:
		case <-ctx.Done():
			res.err = ctx.Err()
		case <-s.stopc:
			res.err = errStopping
		}
	}
	if err := s.appendDone(ctx, start, r, res); err != nil {
		return nil, err
	}
	return &wire.AppendReply{FirstIndex: res.res.first, LastIndex: res.res.last}, nil
}

type appendResult struct {
	res opResult
	err error
}

// submit queues r for the batcher, which will call r.finish.
func (s *Server) submit(ctx context.Context, r *appendReq) error {
	select {
	case s.reqc <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stopc:
		return errStopping
	}
}

// appendDone records the outcome of r, which started at start, in the
// metrics and returns it as a gRPC status (nil on success).
func (s *Server) appendDone(ctx context.Context, start time.Time, r *appendReq, res appendResult) error {
	err := res.err
	if err == nil && res.res.status == statusStale {
		err = status.Errorf(codes.FailedPrecondition,
			"append (client %d, seq %d) is older than the client's last applied append", r.op.clientID, r.op.seq)
	}
	if err != nil {
		s.metrics.appendErrors.Inc()
		return appendStatus(ctx, err)
	}
	s.metrics.appends.Inc()
	s.metrics.entries.Add(float64(len(r.op.entries)))
	s.metrics.bytes.Add(float64(r.size))
	s.metrics.appendLatency.Observe(time.Since(start).Seconds())
	return nil
}

func checkAppend(req *wire.AppendRequest) (int, error) {
	if len(req.Entries) == 0 {
		return 0, errors.New("append needs at least one entry")
	}
	size := 0
	for _, e := range req.Entries {
		size += len(e)
	}
	if size > maxAppendBytes {
		return 0, fmt.Errorf("append of %d bytes exceeds the limit of %d", size, maxAppendBytes)
	}
	return size, nil
}

// checkEntries refuses, as a gRPC status, an append with an entry that not
// every view would apply as written (see logentry.Validate), so that the
// whole request is refused before anything of it is proposed. Entries are
// checked against the format version this replica has applied. Versions
// only go up and a newer one accepts everything an older one does, so a
// replica that has not applied a version change yet could only refuse too
// much (an annotated literal right after the switch to version 3): before
// refusing, it reads the version through Raft (ReadIndex) and checks
// again. A replica behind the log's version refuses every append rather
// than let through what it cannot check.
func (s *Server) checkEntries(ctx context.Context, entries [][]byte) error {
	v := s.sm.adminState().version
	err := validateEntries(v, entries)
	if err == nil || v.current() >= logentry.MaxSupportedVersion {
		return err
	}
	av, rerr := s.readAdmin(ctx)
	if rerr != nil || av.admin.version.current() == v.current() {
		return err
	}
	return validateEntries(av.admin.version, entries)
}

// validateEntries checks entries against the log format version v.
func validateEntries(v logVersion, entries [][]byte) error {
	if v.current() > logentry.MaxSupportedVersion {
		return status.Errorf(codes.FailedPrecondition,
			"the log is in format version %d since index %d, but this log replica supports versions %d to %d: upgrade it",
			v.current(), v.index, logentry.FirstVersion, logentry.MaxSupportedVersion)
	}
	for i, e := range entries {
		if err := logentry.Validate(e, v.current()); err != nil {
			return status.Errorf(codes.InvalidArgument, "entry %d of %d in the append (counting from 1): %v; nothing of it was appended",
				i+1, len(entries), err)
		}
	}
	return nil
}

// appendStatus converts an append failure into a gRPC status. Everything
// but the caller's own cancellation and invalid requests is Unavailable:
// the outcome is unknown and the client may retry with the same key.
func appendStatus(ctx context.Context, err error) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if errors.Is(err, dragonboat.ErrPayloadTooBig) {
		return status.Error(codes.ResourceExhausted, err.Error())
	}
	return status.Error(codes.Unavailable, err.Error())
}

// Read implements wire.LogServer: it streams this replica's applied entries
// from req.StartIndex (0 means the first retained one) and then tails new
// ones until the client goes away or the server stops. While there is
// nothing new it sends an empty reply every readHeartbeat, so that the
// client can tell an idle log from a replica that stopped without closing
// the stream (older clients skip empty replies as they are).
func (s *Server) Read(req *wire.ReadRequest, stream wire.Log_ReadServer) error {
	ctx := stream.Context()
	next := req.StartIndex
	s.metrics.reads.Inc()
	heartbeat := time.NewTimer(readHeartbeat)
	defer heartbeat.Stop()
	for {
		ext, changed, err := s.sm.view()
		if err != nil {
			return status.Error(codes.Unavailable, err.Error())
		}
		if next == 0 {
			next = ext.first
		}
		if next < ext.first {
			return truncatedStatus(next, ext.first)
		}
		if next <= ext.last {
			if next, err = s.sendEntries(stream, next, ext.last); err != nil {
				return err
			}
			continue
		}
		heartbeat.Reset(readHeartbeat)
		select {
		case <-changed:
		case <-heartbeat.C:
			if err := stream.Send(&wire.ReadReply{}); err != nil {
				return err
			}
		case <-ctx.Done():
			return status.FromContextError(ctx.Err()).Err()
		case <-s.stopc:
			return status.Error(codes.Unavailable, errStopping.Error())
		}
	}
}

func truncatedStatus(index, first uint64) error {
	return status.Errorf(codes.OutOfRange, "log truncated: index %d is before the first retained index %d", index, first)
}

// sendEntries sends one ReadReply starting at next (<= last) and returns the
// index after the last entry sent.
func (s *Server) sendEntries(stream wire.Log_ReadServer, next, last uint64) (uint64, error) {
	to := min(last, next+maxReadEntries-1)
	ents, err := s.sm.readEntries(next, to, maxReadBytes)
	if err != nil {
		if ext, _, verr := s.sm.view(); verr == nil && next < ext.first {
			return 0, truncatedStatus(next, ext.first) // truncated meanwhile
		}
		return 0, status.Errorf(codes.Unavailable, "reading entries from %d: %v", next, err)
	}
	reply := &wire.ReadReply{Entries: make([]*wire.Entry, len(ents))}
	for i, e := range ents {
		reply.Entries[i] = &wire.Entry{Index: e.index, Data: e.data}
	}
	if err := stream.Send(reply); err != nil {
		return 0, err
	}
	s.metrics.readEntries.Add(float64(len(ents)))
	return ents[len(ents)-1].index + 1, nil
}

// Info implements wire.LogServer. AppliedIndex is the last log index this
// replica has applied; LastIndex is the same unless req.Linearizable, when
// it is read through Raft (ReadIndex).
func (s *Server) Info(ctx context.Context, req *wire.InfoRequest) (*wire.InfoReply, error) {
	ext := s.sm.extent()
	reply := &wire.InfoReply{ReplicaId: s.cfg.ReplicaID, Dc: s.cfg.DC}
	var members map[uint64]string
	if req.Linearizable {
		rctx, cancel := withDefaultTimeout(ctx)
		defer cancel()
		var err error
		if ext, members, err = s.linearizableInfo(rctx); err != nil {
			return nil, appendStatus(ctx, fmt.Errorf("linearizable info: %w", err))
		}
	} else {
		members = s.localMembers()
	}
	// Asked after the read: a replica that has just confirmed its index
	// through Raft knows the leader it confirmed it with.
	if leader, ok, err := s.nh.GetLeaderID(clusterID); err == nil && ok {
		reply.LeaderId = leader
	}
	reply.FirstIndex, reply.LastIndex = ext.first, ext.last
	reply.AppliedIndex = s.sm.extent().last
	reply.Members = toMembers(members, s.sm.adminState().replicaRecords())
	return reply, nil
}

func (s *Server) linearizableInfo(ctx context.Context) (extent, map[uint64]string, error) {
	var v interface{}
	err := retryRaft(ctx, func(ctx context.Context) error {
		var err error
		v, err = s.nh.SyncRead(ctx, clusterID, lookupExtent{})
		return err
	})
	if err != nil {
		return extent{}, nil, err
	}
	ext, ok := v.(extent)
	if !ok {
		return extent{}, nil, fmt.Errorf("unexpected lookup result %T", v)
	}
	// The read returned once this replica had applied the confirmed
	// index, and a membership change takes effect when it is applied, so
	// the local membership is at least as new as the read: asking Raft
	// for it (SyncGetClusterMembership) would cost a second ReadIndex
	// round on every linearizable query.
	return ext, s.localMembers(), nil
}

// localMembers is this replica's view of the membership.
func (s *Server) localMembers() map[uint64]string {
	info := s.nh.GetNodeHostInfo(dragonboat.NodeHostInfoOption{SkipLogInfo: true})
	for _, ci := range info.ClusterInfoList {
		if ci.ClusterID == clusterID {
			return ci.Nodes
		}
	}
	return nil
}

// toMembers lists the members with their recorded gRPC addresses and
// datacenters (empty when not recorded).
func toMembers(nodes map[uint64]string, records map[uint64]ReplicaRecord) []*wire.Member {
	out := make([]*wire.Member, 0, len(nodes))
	for id, addr := range nodes {
		rec := records[id]
		out = append(out, &wire.Member{Id: id, RaftAddr: addr, GrpcAddr: rec.GRPCAddr, Dc: rec.DC})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Id < out[j].Id })
	return out
}
