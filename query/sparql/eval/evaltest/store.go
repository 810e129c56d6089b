package evaltest

import (
	"context"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
)

// Store is what the W3C runner evaluates over: a graph that starts empty,
// is loaded once with a test's default graph, and changes by updates.
type Store interface {
	// Load adds triples to the store, the way a bulk load of an RDF
	// document does: each blank node label names one node throughout.
	Load(ctx context.Context, triples []rdf.Triple) error
	// Graph returns the graph as of now: what has been loaded and applied.
	Graph() eval.Graph
	// Apply changes the graph by an update's net effect (see
	// eval.Changes); blank nodes in ch.NewBlanks are new nodes, others are
	// nodes of the graph.
	Apply(ctx context.Context, ch eval.Changes) error
}

// MemStore is a Store over an eval.MemGraph.
type MemStore struct{ g *eval.MemGraph }

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{g: eval.NewMemGraph(nil)} }

// Load implements Store.
func (s *MemStore) Load(_ context.Context, triples []rdf.Triple) error {
	s.g.Add(triples...)
	return nil
}

// Graph implements Store.
func (s *MemStore) Graph() eval.Graph { return s.g }

// Apply implements Store: a MemGraph keeps blank node labels as they are.
func (s *MemStore) Apply(_ context.Context, ch eval.Changes) error {
	s.g.Delete(ch.Delete...)
	s.g.Add(ch.Insert...)
	return nil
}
