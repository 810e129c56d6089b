package engine

import (
	"context"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/wire"
)

// Views is what the engine needs from the view tier: batched lookups as of
// a log index. viewclient.Client implements it.
type Views interface {
	LookupS(ctx context.Context, index uint64, subjects []uint64, emit viewclient.Emit) error
	LookupSP(ctx context.Context, index uint64, lookups []viewclient.SP, emit viewclient.Emit) error
	LookupSPO(ctx context.Context, index uint64, lookups []viewclient.SPO, emit viewclient.Emit) error
	LookupPO(ctx context.Context, index uint64, lookups []viewclient.PO, emit viewclient.Emit) error
	LookupPOCmp(ctx context.Context, index uint64, lookups []*wire.POCmp, emit viewclient.Emit) error
	// LookupP finds every fact with each predicate: it asks every HashPO
	// range.
	LookupP(ctx context.Context, index uint64, predicates []uint64, emit viewclient.Emit) error
	// Scan finds every fact, each as a match of lookup 0: it reads all of
	// HashSP.
	Scan(ctx context.Context, index uint64, emit viewclient.Emit) error
}
