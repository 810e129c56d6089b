package viewtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/internal/testutil"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// Triple is a fact to insert: subject and predicate KIDs and an object.
type Triple struct {
	Subject, Predicate uint64
	Object             storage.Object
}

// Insert appends the triples as one log entry and waits until every
// running view has applied it. It returns the facts as the views store
// them (with their index and ID).
func (c *Cluster) Insert(t testing.TB, triples []Triple) []storage.Fact {
	t.Helper()
	tx := &wire.InsertTx{}
	for i, tr := range triples {
		tx.Facts = append(tx.Facts, &wire.InsertFact{
			FactOffset: uint32(i + 1), Subject: logentry.KIDRef(tr.Subject), Predicate: logentry.KIDRef(tr.Predicate),
			Object: logObject(tr.Object),
		})
	}
	data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: tx}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	index, _, err := c.logc.Append(ctx, [][]byte{data})
	if err != nil {
		t.Fatalf("viewtest: appending: %v", err)
	}
	c.WaitApplied(t, index)
	facts, err := logentry.InsertedFacts(index, tx)
	if err != nil {
		t.Fatal(err)
	}
	return facts
}

// logObject encodes the object kinds tests use: entities, strings and
// integers.
func logObject(o storage.Object) *wire.LogObject {
	switch o.Kind {
	case storage.KindEntity:
		return &wire.LogObject{Value: &wire.LogObject_Entity{Entity: logentry.KIDRef(o.Entity)}}
	case storage.KindString:
		return &wire.LogObject{Value: &wire.LogObject_Str{Str: o.Str}, Lang: o.Lang}
	}
	return &wire.LogObject{Value: &wire.LogObject_Int64{Int64: o.Int}}
}

// WaitApplied waits until every running view has applied index.
func (c *Cluster) WaitApplied(t testing.TB, index uint64) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, 5*time.Millisecond, func() error {
		for _, v := range c.Views() {
			if applied := v.Server.Applied(); v.running() && applied < index {
				return fmt.Errorf("viewtest: view %s %s has applied %d, want %d", v.Space, v.Range, applied, index)
			}
		}
		return nil
	})
}

func (v *View) running() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return !v.stopped
}

// LookupRPCs returns how many lookup RPCs the view has served.
func (v *View) LookupRPCs(t testing.TB) int {
	t.Helper()
	families, err := v.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, f := range families {
		if f.GetName() != "akutan_view_lookup_rpcs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			n += m.GetCounter().GetValue()
		}
	}
	return int(n)
}
