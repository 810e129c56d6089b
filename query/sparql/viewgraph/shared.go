package viewgraph

import "github.com/akutan-dev/akutan/query/engine"

// WithNames makes the Graph resolve names through a cache that many
// queries share (engine.Names: the constants of its patterns, the
// entities of its answers, and the evaluator's decisions about the data
// at the Graph's index), rather than asking the views each time.
func WithNames(n *engine.Names) Option { return func(g *Graph) { g.shared = n } }

// Recall implements eval.Memo through the Graph's shared names (WithNames):
// the decisions of queries at the Graph's index; none without them.
func (g *Graph) Recall(key string) (value, ok bool) { return g.shared.Recall(g.index, key) }

// Remember implements eval.Memo (see Recall).
func (g *Graph) Remember(key string, value bool) { g.shared.Remember(g.index, key, value) }
