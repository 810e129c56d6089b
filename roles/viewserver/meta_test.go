package viewserver

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/gossip"
)

// TestViewMetaFits checks that a view's gossip meta stays within what
// memberlist carries with every field at its largest plausible size:
// indexes at their maximum, maxAdvertisedTxs pending transactions, the
// longest IPv4 address with a port, and 24-byte cluster and datacenter
// names (longer names, or IPv6 addresses, leave less room). A
// meta that did not fit would stop the view's advertisements.
func TestViewMetaFits(t *testing.T) {
	addr := "255.255.255.255:65535"
	name := strings.Repeat("n", 24)
	txs := make([]uint64, maxAdvertisedTxs)
	for i := range txs {
		txs[i] = math.MaxUint64 - uint64(i)
	}
	m := gossip.Meta{Role: "view", Cluster: name, DC: name, Space: "hashsp",
		RangeStart: math.MaxUint64, RangeEnd: math.MaxUint64, GRPCAddr: addr, HTTPAddr: addr,
		AppliedIndex: math.MaxUint64, DurableIndex: math.MaxUint64, Serving: true, State: "draining",
		PendingTxs: txs, MaxLogVersion: math.MaxUint32}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > gossip.MaxMetaSize {
		t.Fatalf("the largest view meta is %d bytes, over memberlist's %d:\n%s", len(b), gossip.MaxMetaSize, b)
	}
	t.Logf("largest view meta: %d of %d bytes", len(b), gossip.MaxMetaSize)
}
