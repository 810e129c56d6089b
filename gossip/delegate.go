package gossip

import (
	"github.com/hashicorp/memberlist"
)

// delegate hands memberlist this node's meta. Only NodeMeta is used.
type delegate struct{ n *Node }

var _ memberlist.Delegate = delegate{}

// NodeMeta returns the current encoded meta. SetMeta and Start guarantee it
// fits memberlist's limit; memberlist panics on a larger one, so check again.
func (d delegate) NodeMeta(limit int) []byte {
	b, _ := d.n.localMeta()
	if len(b) > limit {
		return nil
	}
	return b
}

func (delegate) NotifyMsg([]byte)                {}
func (delegate) GetBroadcasts(int, int) [][]byte { return nil }
func (delegate) LocalState(bool) []byte          { return nil }
func (delegate) MergeRemoteState([]byte, bool)   {}

// events keeps Node's copy of the membership, logs changes and wakes the
// waiters on Node.Changed. memberlist calls it one event at a time, holding
// its node lock: the *memberlist.Node must be copied here, not kept, and
// memberlist must not be called back. memberlist.Members would hand out
// pointers that memberlist later changes without a lock the caller can take.
type events struct{ n *Node }

var _ memberlist.EventDelegate = events{}

func (e events) NotifyJoin(node *memberlist.Node) {
	e.n.putMember(node)
	// One line per member at debug level; "gossip membership settled" sums
	// them up (see summary.go).
	e.n.log.Debug().Str("member", node.Name).Str("addr", node.Address()).Msg("gossip member joined")
	e.n.noteChange(node.Name, true)
	e.n.notifyChanged()
}

func (e events) NotifyLeave(node *memberlist.Node) {
	e.n.dropMember(node.Name)
	if node.State == memberlist.StateDead {
		// Not a graceful leave: worth a line of its own, now.
		e.n.log.Info().Str("member", node.Name).Str("addr", node.Address()).Msg("gossip member failed")
	} else {
		e.n.log.Debug().Str("member", node.Name).Str("addr", node.Address()).Msg("gossip member left")
	}
	e.n.noteChange(node.Name, false)
	e.n.notifyChanged()
}

func (e events) NotifyUpdate(node *memberlist.Node) {
	e.n.putMember(node)
	e.n.log.Debug().Str("member", node.Name).Msg("gossip member updated")
	e.n.notifyChanged()
}
