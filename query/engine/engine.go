package engine

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/query/parser"
)

// Engine answers queries from the views. It holds no state of its own and
// is safe for concurrent use.
type Engine struct {
	views Views
}

// New returns an engine reading from views.
func New(views Views) *Engine { return &Engine{views: views} }

// Run answers q as of log index.
func (en *Engine) Run(ctx context.Context, q *parser.Query, index uint64) (*Result, error) {
	e := &executor{views: en.views, index: index}
	names, err := ResolveNames(ctx, en.views, index, namesIn(q))
	if err != nil {
		return nil, err
	}
	p, err := compile(q, names)
	if err != nil {
		return nil, fmt.Errorf("planning query: %w", err)
	}
	rows, err := e.run(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("executing query: %w", err)
	}
	cols, shaped := shape(q, p, rows)
	return e.finish(ctx, q, cols, shaped)
}
