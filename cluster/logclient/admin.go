package logclient

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/akutan-dev/akutan/internal/ctxsleep"

	"github.com/akutan-dev/akutan/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The management calls below go to the leader when it is known (any
// replica would forward them through Raft) and fail over like Append. Each
// is safe to retry: repeating a truncation, a floor, or a membership change
// that was already made does nothing more.

// Truncate discards the log entries before an index (see wire.TruncateMode)
// and returns the log's extent afterwards.
func (c *Client) Truncate(ctx context.Context, mode wire.TruncateMode, before uint64) (*wire.TruncateReply, error) {
	var reply *wire.TruncateReply
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		var err error
		reply, err = a.Truncate(ctx, &wire.TruncateRequest{Mode: mode, Before: before})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("truncating log (%s, before %d): %w", mode, before, err)
	}
	return reply, nil
}

// SetFloor records the highest index cluster can tolerate losing, or with
// remove forgets the cluster's floor.
func (c *Client) SetFloor(ctx context.Context, cluster string, index uint64, remove bool) error {
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		_, err := a.SetFloor(ctx, &wire.SetFloorRequest{Cluster: cluster, Index: index, Remove: remove})
		return err
	})
	if err != nil {
		return fmt.Errorf("setting the floor of cluster %q: %w", cluster, err)
	}
	return nil
}

// Floors returns the registered floors and the log's extent.
func (c *Client) Floors(ctx context.Context) (*wire.FloorsReply, error) {
	var reply *wire.FloorsReply
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		var err error
		reply, err = a.Floors(ctx, &wire.FloorsRequest{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading floors: %w", err)
	}
	return reply, nil
}

// Members returns the log's membership and the IDs removed for good.
func (c *Client) Members(ctx context.Context) (*wire.MembersReply, error) {
	return c.membersCall(ctx, "reading members", func(ctx context.Context, a wire.LogAdminClient) (*wire.MembersReply, error) {
		return a.Members(ctx, &wire.MembersRequest{})
	})
}

// AddReplica adds a voting replica with a new ID at raftAddr and returns
// the membership afterwards. With grpcAddr, the log records where the
// replica will serve gRPC (and its dc) first, so that clients find it.
func (c *Client) AddReplica(ctx context.Context, id uint64, raftAddr, grpcAddr, dc string) (*wire.MembersReply, error) {
	return c.membersCall(ctx, fmt.Sprintf("adding replica %d at %s", id, raftAddr),
		func(ctx context.Context, a wire.LogAdminClient) (*wire.MembersReply, error) {
			return a.AddReplica(ctx, &wire.AddReplicaRequest{Id: id, RaftAddr: raftAddr, GrpcAddr: grpcAddr, Dc: dc})
		})
}

// Directory returns the log's directory: the recorded replica addresses
// and the servers recorded with the newest log version they support.
func (c *Client) Directory(ctx context.Context) (*wire.DirectoryReply, error) {
	var reply *wire.DirectoryReply
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		var err error
		reply, err = a.Directory(ctx, &wire.DirectoryRequest{})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading the log's directory: %w", err)
	}
	return reply, nil
}

// SetReplicaAddress records where replica id serves gRPC.
func (c *Client) SetReplicaAddress(ctx context.Context, id uint64, grpcAddr, dc string) error {
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		_, err := a.SetReplicaAddress(ctx, &wire.SetReplicaAddressRequest{Id: id, GrpcAddr: grpcAddr, Dc: dc})
		return err
	})
	if err != nil {
		return fmt.Errorf("recording replica %d at %s: %w", id, grpcAddr, err)
	}
	return nil
}

// RecordServer records in the log that a server connected, with the
// newest log format version it supports. It reports false when the log
// keeps no directory yet, or is of a release without one.
func (c *Client) RecordServer(ctx context.Context, rec *wire.ServerRecord) (bool, error) {
	var recorded bool
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		reply, err := a.RecordServer(ctx, rec)
		if status.Code(err) == codes.Unimplemented {
			return nil
		}
		recorded = reply.GetRecorded()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("recording %s/%s in the log: %w", rec.Role, rec.GrpcAddr, err)
	}
	return recorded, nil
}

// ForgetServer retires a server record; it reports whether there was one.
func (c *Client) ForgetServer(ctx context.Context, name string) (bool, error) {
	var forgotten bool
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		reply, err := a.ForgetServer(ctx, &wire.ForgetServerRequest{Name: name})
		forgotten = reply.GetForgotten()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("forgetting server %s: %w", name, err)
	}
	return forgotten, nil
}

// RemoveReplica removes a replica for good and returns the membership
// afterwards.
func (c *Client) RemoveReplica(ctx context.Context, id uint64) (*wire.MembersReply, error) {
	return c.membersCall(ctx, fmt.Sprintf("removing replica %d", id),
		func(ctx context.Context, a wire.LogAdminClient) (*wire.MembersReply, error) {
			return a.RemoveReplica(ctx, &wire.RemoveReplicaRequest{Id: id})
		})
}

// ChangeVersion switches the log to a newer entry format version and
// returns the version it is in and the index of the entry that switched
// to it. Check first that every reader supports the version (see
// `akutan ctl log upgrade`). A retry is safe: asking for the version the
// log is in answers where it began.
func (c *Client) ChangeVersion(ctx context.Context, version uint32) (*wire.ChangeVersionReply, error) {
	var reply *wire.ChangeVersionReply
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		var err error
		reply, err = a.ChangeVersion(ctx, &wire.ChangeVersionRequest{Version: version})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("switching the log to format version %d: %w", version, err)
	}
	return reply, nil
}

func (c *Client) membersCall(ctx context.Context, what string,
	call func(context.Context, wire.LogAdminClient) (*wire.MembersReply, error)) (*wire.MembersReply, error) {
	var reply *wire.MembersReply
	err := c.admin(ctx, func(ctx context.Context, a wire.LogAdminClient) error {
		var err error
		reply, err = call(ctx, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return reply, nil
}

// admin runs a LogAdmin call with Append's leader preference and failover.
func (c *Client) admin(ctx context.Context, call func(context.Context, wire.LogAdminClient) error) error {
	c.discover(ctx, true)
	_, err := retry(ctx, c, policy{toLeader: true}, func(ctx context.Context, r *replica) (struct{}, error) {
		return struct{}{}, call(ctx, wire.NewLogAdminClient(r.conn))
	})
	return err
}

// ReplicaInfo is one replica's answer to Info, or why it did not answer.
type ReplicaInfo struct {
	Addr string
	Info *wire.InfoReply // nil when Err is set
	Err  error
}

// InfoAll asks every replica the client uses now for its own view of the
// log (not through Raft), concurrently, and returns the answers in the
// order of the client's set.
func (c *Client) InfoAll(ctx context.Context) []ReplicaInfo {
	set := c.replicas()
	out := make([]ReplicaInfo, len(set))
	var wg sync.WaitGroup
	for i, r := range set {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx, cancel := context.WithTimeout(ctx, c.opts.attemptTimeout)
			defer cancel()
			info, err := r.log.Info(actx, &wire.InfoRequest{})
			out[i] = ReplicaInfo{Addr: r.addr, Info: info, Err: err}
		}()
	}
	wg.Wait()
	return out
}

// How KeepServerRecorded paces itself.
const (
	recordRetryMin = time.Second
	recordRetryMax = time.Minute
	// recordRecheck is how often it asks again while the log keeps no
	// directory, so that a server records itself once an operator starts
	// one (`akutan ctl log set-address`).
	recordRecheck = time.Minute
)

// KeepServerRecorded records the server in the log's directory (see
// RecordServer), retrying failures with backoff and asking again every
// minute while the log keeps no directory, until it is recorded or ctx
// ends. onErr, if set, hears of the first failure.
func (c *Client) KeepServerRecorded(ctx context.Context, rec *wire.ServerRecord, onErr func(error)) {
	wait := recordRetryMin
	warned := false
	for {
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ok, err := c.RecordServer(actx, rec)
		cancel()
		switch {
		case err == nil && ok:
			return
		case err == nil:
			wait = recordRecheck
		default:
			if !warned && onErr != nil && ctx.Err() == nil {
				warned = true
				onErr(err)
			}
			wait = min(2*wait, recordRetryMax)
		}
		if ctxsleep.Sleep(ctx, wait) != nil {
			return
		}
	}
}

// ServerName is the address a server is recorded under: addr, with a
// wildcard host (0.0.0.0, ::, empty) replaced by the machine's host name,
// so that servers listening on every interface of different machines get
// different names.
func ServerName(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			return net.JoinHostPort(h, port)
		}
	}
	return addr
}
