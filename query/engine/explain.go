package engine

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/query/planner"
)

// analysis prints the executed plan: each operator with its estimates and
// what it actually did.
func analysis(ops []OperatorStats) string {
	var b strings.Builder
	for _, op := range ops {
		fmt.Fprintf(&b, "%s%s  [est rows %s, cost %s | rows %d, rpcs %d, lookups %d, time %s]\n",
			strings.Repeat("  ", op.Depth), op.Label, planner.Num(op.EstRows), planner.Num(op.EstCost),
			op.Rows, op.RPCs, op.Lookups, op.Duration.Round(10_000))
	}
	return b.String()
}
