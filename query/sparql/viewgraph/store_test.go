package viewgraph

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/akutan-dev/akutan/query/engine/enginetest"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql/eval"
	"github.com/akutan-dev/akutan/query/sparql/eval/evaltest"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
)

// viewStore is an evaltest.Store over in-memory views, written the way
// the API server writes: each load and each update is one request of an
// update.Inserter, which reads the views and appends one transaction to a
// log, and the views replay the log (logentry.Replay). A load maps its
// triples through rdf.Mapper (entities named by <HasExternalID>, blank
// nodes named as rdf.BlankName does); an update deletes the facts of the
// triples it deletes and inserts the triples it inserts, its new blank
// nodes named for the update. Its Graph is a Graph as of the log's end.
type viewStore struct {
	log      *memLog
	inserter *update.Inserter
	updates  int // names each update's new blank nodes apart
}

var _ evaltest.Store = (*viewStore)(nil)

// storeLoadID is the load ID of the store's one load.
const storeLoadID = "w3c"

func newViewStore() *viewStore {
	log := &memLog{views: enginetest.New()}
	return &viewStore{log: log, inserter: update.NewInserter(log.views, log)}
}

// Load implements evaltest.Store.
func (s *viewStore) Load(ctx context.Context, triples []rdf.Triple) error {
	_, err := s.inserter.Apply(ctx, update.Request{Insert: rdf.Mapper{LoadID: storeLoadID}.Insert(triples)})
	return err
}

// Graph implements evaltest.Store.
func (s *viewStore) Graph() eval.Graph { return New(s.log.views, s.log.lastIndex()) }

// Apply implements evaltest.Store: the changes become one request, whose
// blank nodes are the graph's entities (by KID), except the update's new
// ones, which become entities named for the update.
func (s *viewStore) Apply(ctx context.Context, ch eval.Changes) error {
	g := New(s.log.views, s.log.lastIndex())
	var blanks []rdf.Term
	for _, triples := range [][]rdf.Triple{ch.Delete, ch.Insert} {
		for _, t := range triples {
			for _, x := range []rdf.Term{t.S, t.P, t.O} {
				if x.Kind == rdf.Blank && !ch.NewBlanks[x.Value] {
					blanks = append(blanks, x)
				}
			}
		}
	}
	kids, err := g.kidsOf(ctx, blanks)
	if err != nil {
		return err
	}
	s.updates++
	loadID := storeLoadID + "-update-" + strconv.Itoa(s.updates)
	term := func(x rdf.Term) (parser.Term, error) {
		switch x.Kind {
		case rdf.IRI:
			return &parser.Entity{Name: x.Value}, nil
		case rdf.Blank:
			if ch.NewBlanks[x.Value] {
				return &parser.Entity{Name: rdf.BlankName(loadID, x.Value)}, nil
			}
			if kid := kids[x]; kid != 0 {
				return &parser.KID{ID: kid}, nil
			}
			return nil, fmt.Errorf("blank node %v is neither new nor in the graph", x)
		}
		return &parser.Literal{Value: rdf.LiteralObject(x)}, nil
	}
	quads := func(triples []rdf.Triple) (*parser.Insert, error) {
		out := &parser.Insert{}
		for _, t := range triples {
			var q parser.Quad
			var err error
			if q.Subject, err = term(t.S); err == nil {
				if q.Predicate, err = term(t.P); err == nil {
					q.Object, err = term(t.O)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", rdf.FormatTriple(t), err)
			}
			out.Facts = append(out.Facts, &q)
		}
		return out, nil
	}
	var req update.Request
	if req.Delete, err = quads(ch.Delete); err != nil {
		return fmt.Errorf("deleting %w", err)
	}
	if req.Insert, err = quads(ch.Insert); err != nil {
		return fmt.Errorf("inserting %w", err)
	}
	res, err := s.inserter.Apply(ctx, req)
	if err == nil && res.Missing > 0 {
		err = fmt.Errorf("%d of the %d triples to delete were not found", res.Missing, len(ch.Delete))
	}
	return err
}

// memLog is an in-memory update.Log with one writer: every entry is
// replayed into views as it is appended, as the views replay the log.
// With one writer every transaction lands right after the index it was
// read at and commits by itself, so Read, which only a transaction that
// needs a decision uses, is never needed past the end.
type memLog struct {
	views *enginetest.Views

	mu      sync.Mutex
	entries [][]byte
}

var _ update.Log = (*memLog)(nil)

func (l *memLog) LastIndex(context.Context) (uint64, error) { return l.lastIndex(), nil }

func (l *memLog) lastIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.entries))
}

func (l *memLog) Append(ctx context.Context, entries [][]byte) (first, last uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	first = uint64(len(l.entries)) + 1
	for _, data := range entries {
		l.entries = append(l.entries, data)
		index := uint64(len(l.entries))
		fx, err := logentry.Replay(index, data, logentry.MaxSupportedVersion, func(storage.Fact) bool { return true })
		if err != nil {
			return 0, 0, fmt.Errorf("entry %d: %w", index, err)
		}
		if fx.Pending || fx.Decide != nil {
			return 0, 0, fmt.Errorf("entry %d: a transaction that needs a decision, with one writer", index)
		}
		l.views.Tombstone(fx.Deletes...)
		l.views.Put(fx.Inserts...)
	}
	return first, uint64(len(l.entries)), nil
}

func (l *memLog) Read(ctx context.Context, start uint64, fn func(index uint64, data []byte) error) error {
	l.mu.Lock()
	entries := l.entries
	l.mu.Unlock()
	for i := max(start, 1); i <= uint64(len(entries)); i++ {
		if err := fn(i, entries[i-1]); err != nil {
			return err
		}
	}
	return fmt.Errorf("reading past the end of the log at %d", len(entries))
}
