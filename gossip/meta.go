package gossip

import (
	"encoding/json"
	"fmt"

	"github.com/hashicorp/memberlist"

	"github.com/akutan-dev/akutan/cluster/space"
)

// MaxMetaSize is the largest encoded Meta that memberlist can carry.
const MaxMetaSize = memberlist.MetaMaxSize

// Meta is what a server advertises about itself to the other members. It
// travels as compact JSON and must encode to at most MaxMetaSize bytes.
type Meta struct {
	// Role is "log", "view" or "api".
	Role string `json:"role,omitempty"`
	// Cluster is the name of the Akutan cluster the server belongs to.
	Cluster string `json:"cluster,omitempty"`
	// DC names the datacenter.
	DC string `json:"dc,omitempty"`
	// Space is the hash space a view serves (see package space).
	Space string `json:"space,omitempty"`
	// RangeStart and RangeEnd bound the inclusive hash range a view serves.
	RangeStart uint64 `json:"range_start,omitempty"`
	RangeEnd   uint64 `json:"range_end,omitempty"`
	// GRPCAddr is where the server accepts gRPC requests (host:port).
	GRPCAddr string `json:"grpc_addr,omitempty"`
	// AppliedIndex is the last log index the server has applied.
	AppliedIndex uint64 `json:"applied_index,omitempty"`
	// DurableIndex is the last log index a view holds durably (synced to
	// disk, so that it survives a power loss); at most AppliedIndex. Log
	// floors count only durable entries (see package cluster/floor).
	DurableIndex uint64 `json:"durable_index,omitempty"`
	// Serving is true once the server is ready to answer requests.
	Serving bool `json:"serving,omitempty"`
	// State says what a view is doing when it is not serving: "booting"
	// (loading from peers or catching up), "failed" (stopped for good, with
	// the reason in its log), StateLeaving (any role, stopping gracefully:
	// see Node.MarkLeaving); empty when serving, or StateDraining.
	State string `json:"state,omitempty"`
	// PendingTxs are the oldest undecided transactions a view holds (log
	// indexes, at most a few): API servers abort those left undecided too
	// long, whose client went away.
	PendingTxs []uint64 `json:"pending_txs,omitempty"`
	// MaxLogVersion is the newest log entry format the server understands.
	MaxLogVersion uint32 `json:"max_log_version,omitempty"`
	// HTTPAddr is where the server serves HTTP (metrics, debug), if anywhere.
	HTTPAddr string `json:"http_addr,omitempty"`
	// StatsIndex is the applied index a view's planner statistics were
	// computed at (0: none yet): an API server fetches statistics again
	// when it changes.
	StatsIndex uint64 `json:"stats_index,omitempty"`
}

// StateDraining is the State of a serving view that is about to be
// stopped: API servers send it lookups only when no other up-to-date view
// covers the range.
const StateDraining = "draining"

// Range returns the hash range of a view as a space.Range.
func (m Meta) Range() space.Range {
	return space.Range{Start: m.RangeStart, End: m.RangeEnd}
}

// encodeMeta returns m as compact JSON, or an error if it is too large for
// memberlist. PendingTxs are hints (the oldest first; the rest follow
// once those are decided), so when m is too large the newest are left out
// rather than the whole advertisement refused.
func encodeMeta(m Meta) ([]byte, error) {
	b, err := json.Marshal(m)
	for err == nil && len(b) > MaxMetaSize && len(m.PendingTxs) > 0 {
		m.PendingTxs = m.PendingTxs[:len(m.PendingTxs)-1]
		b, err = json.Marshal(m)
	}
	if err != nil {
		return nil, fmt.Errorf("gossip: encode meta: %w", err)
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("gossip: encoded meta is %d bytes, more than the %d memberlist allows",
			len(b), MaxMetaSize)
	}
	return b, nil
}

// decodeMeta parses meta received from another member.
func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("gossip: decode meta: %w", err)
	}
	return m, nil
}
