package logclient

import (
	"context"
	"fmt"
	"sync"

	"github.com/akutan-dev/akutan/wire"
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
// the membership afterwards.
func (c *Client) AddReplica(ctx context.Context, id uint64, raftAddr string) (*wire.MembersReply, error) {
	return c.membersCall(ctx, fmt.Sprintf("adding replica %d at %s", id, raftAddr),
		func(ctx context.Context, a wire.LogAdminClient) (*wire.MembersReply, error) {
			return a.AddReplica(ctx, &wire.AddReplicaRequest{Id: id, RaftAddr: raftAddr})
		})
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
	_, err := retry(ctx, c, policy{toLeader: true}, func(ctx context.Context, i int) (struct{}, error) {
		return struct{}{}, call(ctx, wire.NewLogAdminClient(c.conns[i]))
	})
	return err
}

// ReplicaInfo is one replica's answer to Info, or why it did not answer.
type ReplicaInfo struct {
	Addr string
	Info *wire.InfoReply // nil when Err is set
	Err  error
}

// InfoAll asks every replica for its own view of the log (not through
// Raft), concurrently, and returns the answers in address order.
func (c *Client) InfoAll(ctx context.Context) []ReplicaInfo {
	out := make([]ReplicaInfo, len(c.addrs))
	var wg sync.WaitGroup
	for i, addr := range c.addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actx, cancel := context.WithTimeout(ctx, c.opts.attemptTimeout)
			defer cancel()
			info, err := c.logs[i].Info(actx, &wire.InfoRequest{})
			out[i] = ReplicaInfo{Addr: addr, Info: info, Err: err}
		}()
	}
	wg.Wait()
	return out
}
