package logserver

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lni/dragonboat/v3"
	sm "github.com/lni/dragonboat/v3/statemachine"

	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// Refusals of management operations. They are wrapped with the details;
// test with errors.Is. The gRPC service reports them as FailedPrecondition.
var (
	// ErrNoFloors refuses an automatic truncation when no cluster has
	// registered a floor.
	ErrNoFloors = errors.New("no cluster has registered a floor")
	// ErrPastFloor refuses a truncation that would discard entries some
	// registered cluster has not declared safe to lose.
	ErrPastFloor = errors.New("truncation would pass a cluster's floor")
	// ErrFloorBeyondLast refuses a floor above the log's last index: no
	// cluster can have applied entries the log does not hold yet.
	ErrFloorBeyondLast = errors.New("floor is beyond the log's last index")
	// ErrRemovedID refuses to add a replica ID that was removed before.
	ErrRemovedID = errors.New("replica ID was removed from the log and can never be used again")
	// ErrMember refuses to add an existing member, or its address.
	ErrMember = errors.New("already a member")
	// ErrNotMember refuses to remove a replica that is not a member.
	ErrNotMember = errors.New("not a member")
	// ErrLastMember refuses to remove the only member.
	ErrLastMember = errors.New("cannot remove the last member")
	// ErrMembershipChanged means the change was not made because another
	// one was applied or under way, or the log was electing a leader; look
	// at the members again and retry.
	ErrMembershipChanged = errors.New("membership change not made: the membership changed meanwhile, " +
		"another change is under way, or the log is electing a leader; check the members and retry")
	// ErrUnknownVersion refuses to switch to a log format version this
	// replica does not know, or to the first one.
	ErrUnknownVersion = errors.New("not a log format version this log replica can switch to")
	// ErrNewerVersion refuses to switch to a version older than the log's:
	// versions only go up.
	ErrNewerVersion = errors.New("the log is in a newer format version already")
	// ErrOlderServer refuses to switch to a version that a server recorded
	// in the log's directory does not support, up or not.
	ErrOlderServer = errors.New("a server recorded in the log supports only older log format versions")
)

// maxClusterName bounds a floor's cluster name (memberlist's limit too).
const maxClusterName = 255

// TruncateResult is the log's extent after a truncation.
type TruncateResult struct {
	FirstIndex, LastIndex uint64
}

// Truncate discards the log entries before an index on every replica, as
// chosen by mode (see wire.TruncateMode), and returns the new extent.
// Readers asking for a discarded index get codes.OutOfRange; the disk
// space is given back in the background.
func (s *Server) Truncate(ctx context.Context, mode wire.TruncateMode, before uint64) (TruncateResult, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	res, err := s.proposeAdmin(ctx, encodeTruncateMode(truncateMode(mode), before))
	if err != nil {
		return TruncateResult{}, fmt.Errorf("truncating log (%s, before %d): %w", mode, before, err)
	}
	tr, err := decodeTruncResult(res.Data)
	if err != nil {
		return TruncateResult{}, fmt.Errorf("truncating log: %w", err)
	}
	if err := truncError(tr, mode, before); err != nil {
		return TruncateResult{}, err
	}
	return TruncateResult{FirstIndex: tr.first, LastIndex: s.sm.extent().last}, nil
}

func truncError(tr truncResult, mode wire.TruncateMode, before uint64) error {
	switch tr.status {
	case truncOK:
		return nil
	case truncNoFloors:
		return fmt.Errorf("refusing automatic truncation: %w; register a floor for each cluster that reads the log "+
			"with `akutan ctl log floor --cluster NAME --index N`", ErrNoFloors)
	case truncPastFloor:
		return fmt.Errorf("refusing to discard the entries below %d: %w: cluster %q has declared only entries up to %d safe to lose; "+
			"truncate --before %d or lower, or --force", before, ErrPastFloor, tr.cluster, tr.floor, tr.floor+1)
	}
	return fmt.Errorf("truncating log: mode %s refused by the state machine (status %d)", mode, tr.status)
}

// SetFloor records that cluster can tolerate losing the entries up to
// index, or with remove forgets the cluster's floor.
func (s *Server) SetFloor(ctx context.Context, cluster string, index uint64, remove bool) error {
	if cluster == "" || len(cluster) > maxClusterName {
		return fmt.Errorf("setting floor: the cluster name must be 1 to %d bytes", maxClusterName)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	if !remove {
		v, err := s.readAdmin(ctx)
		if err != nil {
			return fmt.Errorf("setting floor of %q: %w", cluster, err)
		}
		if index > v.ext.last {
			return fmt.Errorf("setting floor of %q to %d: %w (%d)", cluster, index, ErrFloorBeyondLast, v.ext.last)
		}
	}
	if _, err := s.proposeAdmin(ctx, encodeSetFloor(setFloorOp{cluster: cluster, index: index, remove: remove})); err != nil {
		return fmt.Errorf("setting floor of %q to %d: %w", cluster, index, err)
	}
	return nil
}

// Floors returns the registered floors by cluster name, with the log's
// extent, read linearizably.
func (s *Server) Floors(ctx context.Context) (map[string]uint64, TruncateResult, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	v, err := s.readAdmin(ctx)
	if err != nil {
		return nil, TruncateResult{}, fmt.Errorf("reading floors: %w", err)
	}
	return v.admin.clone().floors, TruncateResult{FirstIndex: v.ext.first, LastIndex: v.ext.last}, nil
}

// VersionResult is the log format version the log is in and the index of
// the entry that switched to it.
type VersionResult struct {
	Version uint32
	Index   uint64
}

// ChangeVersion switches the log to a newer format version: the state
// machine appends the version change entry unless the log is in that
// version or a newer one, so two concurrent changes cannot take it back.
// Whether every reader supports the version is the caller's to check first
// (`akutan ctl log upgrade` asks gossip). Asking for the current version
// again answers where it began.
func (s *Server) ChangeVersion(ctx context.Context, to uint32) (VersionResult, error) {
	if to <= logentry.FirstVersion || to > logentry.MaxSupportedVersion {
		return VersionResult{}, fmt.Errorf("switching to log format version %d: %w: it knows versions %d to %d, and a log starts in %d",
			to, ErrUnknownVersion, logentry.FirstVersion, logentry.MaxSupportedVersion, logentry.FirstVersion)
	}
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	res, err := s.proposeAdmin(ctx, encodeVersionChange(to))
	if err != nil {
		return VersionResult{}, fmt.Errorf("switching to log format version %d: %w", to, err)
	}
	v, err := decodeVersionResult(res)
	if err != nil {
		return VersionResult{}, fmt.Errorf("switching to log format version %d: %w", to, err)
	}
	if v.current() > to {
		return VersionResult{}, fmt.Errorf("switching to log format version %d: %w: version %d since index %d",
			to, ErrNewerVersion, v.current(), v.index)
	}
	if v.current() < to {
		// The state machine refused: some recorded server is older.
		return VersionResult{}, s.olderServersError(ctx, to)
	}
	return VersionResult{Version: v.current(), Index: v.index}, nil
}

// olderServersError names the recorded servers that keep the log from
// switching to version to.
func (s *Server) olderServersError(ctx context.Context, to uint32) error {
	v, err := s.readAdmin(ctx)
	if err != nil {
		return fmt.Errorf("switching to log format version %d: %w (reading which: %v)", to, ErrOlderServer, err)
	}
	var names []string
	for _, r := range v.admin.olderServers(to) {
		names = append(names, fmt.Sprintf("%s (cluster %q, dc %q) supports up to version %d, recorded %s",
			r.Name(), r.Cluster, r.DC, r.MaxLogVersion, time.Unix(r.Since, 0).UTC().Format(time.RFC3339)))
	}
	return fmt.Errorf("switching to log format version %d: %w: %s; upgrade them (they need not be running), "+
		"or retire one gone for good with `akutan ctl log forget-server NAME`", to, ErrOlderServer, strings.Join(names, "; "))
}

// readAdmin reads the admin state through Raft (ReadIndex).
func (s *Server) readAdmin(ctx context.Context) (adminView, error) {
	var v interface{}
	err := retryRaft(ctx, func(ctx context.Context) error {
		var err error
		v, err = s.nh.SyncRead(ctx, clusterID, lookupAdmin{})
		return err
	})
	if err != nil {
		return adminView{}, err
	}
	av, ok := v.(adminView)
	if !ok {
		return adminView{}, fmt.Errorf("unexpected lookup result %T", v)
	}
	return av, nil
}

// Membership is the log's Raft membership.
type Membership struct {
	Members  map[uint64]string // replica ID to Raft address
	Removed  []uint64          // sorted
	LeaderID uint64            // 0 when unknown
	// changeID orders membership changes: a change made against an older
	// one is rejected.
	changeID uint64
}

// Members returns the membership, read linearizably, with the IDs removed
// for good (recorded by the state machine and by Raft).
func (s *Server) Members(ctx context.Context) (Membership, error) {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	var m *dragonboat.Membership
	err := retryRaft(ctx, func(ctx context.Context) error {
		var err error
		m, err = s.nh.SyncGetClusterMembership(ctx, clusterID)
		return err
	})
	if err != nil {
		return Membership{}, fmt.Errorf("reading membership: %w", err)
	}
	v, err := s.readAdmin(ctx)
	if err != nil {
		return Membership{}, fmt.Errorf("reading removed replicas: %w", err)
	}
	out := Membership{Members: m.Nodes, changeID: m.ConfigChangeID}
	removed := make(map[uint64]bool)
	for id := range m.Removed {
		removed[id] = true
	}
	for id := range v.admin.removed {
		removed[id] = true
	}
	for id := range removed {
		out.Removed = append(out.Removed, id)
	}
	sort.Slice(out.Removed, func(i, j int) bool { return out.Removed[i] < out.Removed[j] })
	if leader, ok, err := s.nh.GetLeaderID(clusterID); err == nil && ok {
		out.LeaderID = leader
	}
	return out, nil
}

func (m Membership) isRemoved(id uint64) bool {
	for _, r := range m.Removed {
		if r == id {
			return true
		}
	}
	return false
}

// AddReplica adds a voting replica to the log; start it afterwards with
// Config.Join set. The change is made against the membership just read, so
// two concurrent changes cannot both apply. Adding a member again at the
// same address does nothing.
func (s *Server) AddReplica(ctx context.Context, id uint64, raftAddr string) error {
	if id == 0 || raftAddr == "" {
		return fmt.Errorf("adding replica: the ID must be positive and the Raft address set")
	}
	return s.changeMembership(ctx, fmt.Sprintf("adding replica %d at %s", id, raftAddr), func(m Membership) (bool, error) {
		if m.isRemoved(id) {
			return false, fmt.Errorf("%w; pick a new ID", ErrRemovedID)
		}
		if m.Members[id] == raftAddr {
			return true, nil
		}
		for mid, addr := range m.Members {
			if mid == id || addr == raftAddr {
				return false, fmt.Errorf("%w (replica %d at %s)", ErrMember, mid, addr)
			}
		}
		return false, nil
	}, func(ctx context.Context, m Membership) error {
		return s.nh.SyncRequestAddNode(ctx, clusterID, id, raftAddr, m.changeID)
	})
}

// RemoveReplica removes a replica from the log. Its ID is recorded as
// removed first, so it can never come back even if removing then fails.
// Removing a removed replica again does nothing.
func (s *Server) RemoveReplica(ctx context.Context, id uint64) error {
	return s.changeMembership(ctx, fmt.Sprintf("removing replica %d", id), func(m Membership) (bool, error) {
		if _, ok := m.Members[id]; !ok {
			if m.isRemoved(id) {
				return true, nil
			}
			return false, ErrNotMember
		}
		if len(m.Members) == 1 {
			return false, ErrLastMember
		}
		return false, nil
	}, func(ctx context.Context, m Membership) error {
		if _, err := s.proposeAdmin(ctx, encodeMarkRemoved(id)); err != nil {
			return fmt.Errorf("recording the removal: %w", err)
		}
		return s.nh.SyncRequestDeleteNode(ctx, clusterID, id, m.changeID)
	})
}

// changeMembership reads the membership, asks check whether the change is
// already made (done) or refused (err), and otherwise makes it with change.
// When the outcome of change is unknown (a timeout, an election), it starts
// over: the fresh membership then tells whether the change was made.
func (s *Server) changeMembership(ctx context.Context, what string,
	check func(Membership) (done bool, err error), change func(context.Context, Membership) error) error {
	ctx, cancel := withDefaultTimeout(ctx)
	defer cancel()
	for {
		m, err := s.Members(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if done, err := check(m); done || err != nil {
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}
		actx, acancel := context.WithTimeout(ctx, raftAttempt)
		err = change(actx, m)
		acancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !retryableRaft(err) {
			return fmt.Errorf("%s: %w", what, membershipError(err))
		}
	}
}

// raftAttempt bounds one Raft request of a management call. A request that
// a follower forwarded to a leader that then died is never answered
// (Dragonboat does not resend it), so it is abandoned and made again.
const raftAttempt = 1500 * time.Millisecond

// proposeAdmin proposes an idempotent management command, retrying while its outcome is
// unknown.
func (s *Server) proposeAdmin(ctx context.Context, cmd []byte) (sm.Result, error) {
	var res sm.Result
	err := retryRaft(ctx, func(ctx context.Context) error {
		var err error
		res, err = s.nh.SyncPropose(ctx, s.session, cmd)
		return err
	})
	return res, err
}

// retryRaft runs op, each attempt bounded by raftAttempt, until it succeeds,
// fails for good, or ctx ends. op must be idempotent.
func retryRaft(ctx context.Context, op func(context.Context) error) error {
	for {
		actx, cancel := context.WithTimeout(ctx, raftAttempt)
		err := op(actx)
		cancel()
		if err == nil || ctx.Err() != nil || !retryableRaft(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// retryableRaft reports whether a Raft request's outcome is unknown or it
// was not made for a passing reason (no leader, busy), so that it may be
// made again.
func retryableRaft(err error) bool {
	return errors.Is(err, dragonboat.ErrTimeout) || errors.Is(err, dragonboat.ErrClusterNotReady) ||
		errors.Is(err, dragonboat.ErrSystemBusy) || errors.Is(err, dragonboat.ErrAborted) ||
		errors.Is(err, context.DeadlineExceeded)
}

// membershipError explains Dragonboat's refusals of a membership change.
func membershipError(err error) error {
	if errors.Is(err, dragonboat.ErrRejected) || errors.Is(err, dragonboat.ErrSystemBusy) ||
		errors.Is(err, dragonboat.ErrClusterNotReady) {
		return fmt.Errorf("%w: %v", ErrMembershipChanged, err)
	}
	return err
}
