package sparql

// The static rules of section 18.2.4.1 and of the grammar notes (19.8)
// that a parser must enforce beyond the grammar itself.

// inScope returns the variables in scope in a group (section 18.2.1).
func inScope(g *Group) map[string]bool {
	vars := map[string]bool{}
	addGroupVars(g, vars)
	return vars
}

func addGroupVars(g *Group, vars map[string]bool) {
	if g == nil {
		return
	}
	for _, elem := range g.Elements {
		addPatternVars(elem, vars)
	}
}

func addPatternVars(elem Pattern, vars map[string]bool) {
	switch e := elem.(type) {
	case *BGP:
		addTripleVars(e.Triples, vars)
	case *Group:
		addGroupVars(e, vars)
	case *Optional:
		addGroupVars(e.Group, vars)
	case *Union:
		for _, alt := range e.Alternatives {
			addGroupVars(alt, vars)
		}
	case *GraphPattern:
		addTermVar(e.Name, vars)
		addGroupVars(e.Group, vars)
	case *Service:
		addTermVar(e.Name, vars)
		addGroupVars(e.Group, vars)
	case *Bind:
		vars[e.Var] = true
	case *Values:
		for _, v := range e.Vars {
			vars[v] = true
		}
	case *SubQuery:
		for v := range projectedVars(e.Query) {
			vars[v] = true
		}
	}
	// MINUS and FILTER bind nothing.
}

func addTripleVars(triples []TriplePattern, vars map[string]bool) {
	for _, t := range triples {
		addTermVar(t.Subject, vars)
		addTermVar(t.Predicate, vars)
		addTermVar(t.Object, vars)
	}
}

func addTermVar(t Term, vars map[string]bool) {
	if t.Kind == Var {
		vars[t.Value] = true
	}
}

// projectedVars returns the variables a SELECT returns.
func projectedVars(q *Query) map[string]bool {
	if q.Star {
		return inScope(q.Where)
	}
	vars := map[string]bool{}
	for _, item := range q.Projection {
		vars[item.Var] = true
	}
	return vars
}

// checkSelect enforces the rules on a SELECT's projection: an AS variable
// is new, and a grouped query projects only group keys and aggregates.
func checkSelect(q *Query, at token) error {
	if q.Star && len(q.GroupBy) > 0 {
		return errorAt(at, "SELECT * cannot be used with GROUP BY")
	}
	if err := checkProjectionNames(q, at); err != nil {
		return err
	}
	if !isAggregated(q) || q.Star {
		return nil
	}
	return checkGrouping(q, at)
}

func checkProjectionNames(q *Query, at token) error {
	seen := inScope(q.Where)
	projected := map[string]bool{}
	for _, item := range q.Projection {
		if item.Expr != nil && (seen[item.Var] || projected[item.Var]) {
			return errorAt(at, "SELECT assigns ?%s, which is already in scope", item.Var)
		}
		projected[item.Var] = true
	}
	return nil
}

// isAggregated reports whether the query groups: GROUP BY, or an
// aggregate in SELECT, HAVING or ORDER BY.
func isAggregated(q *Query) bool {
	if len(q.GroupBy) > 0 {
		return true
	}
	for _, item := range q.Projection {
		if hasAggregate(item.Expr) {
			return true
		}
	}
	for _, e := range q.Having {
		if hasAggregate(e) {
			return true
		}
	}
	for _, c := range q.OrderBy {
		if hasAggregate(c.Expr) {
			return true
		}
	}
	return false
}

// checkGrouping checks that every projected variable is a group key, an
// earlier alias, or used only inside aggregates.
func checkGrouping(q *Query, at token) error {
	keys := map[string]bool{}
	for _, c := range q.GroupBy {
		if c.Var != "" {
			keys[c.Var] = true
		} else if t, ok := c.Expr.(*ExprTerm); ok && t.Term.Kind == Var {
			keys[t.Term.Value] = true
		}
	}
	for _, item := range q.Projection {
		used := []string{item.Var}
		if item.Expr != nil {
			used = varsOutsideAggregates(item.Expr, nil)
		}
		for _, v := range used {
			if !keys[v] {
				return errorAt(at, "?%s is selected but neither grouped nor aggregated", v)
			}
		}
		keys[item.Var] = true
	}
	return nil
}

func hasAggregate(e Expr) bool {
	found := false
	walkExpr(e, func(x Expr) bool {
		if _, ok := x.(*ExprAggregate); ok {
			found = true
		}
		return !found
	})
	return found
}

func varsOutsideAggregates(e Expr, out []string) []string {
	walkExpr(e, func(x Expr) bool {
		switch t := x.(type) {
		case *ExprAggregate, *ExprExists:
			return false
		case *ExprTerm:
			if t.Term.Kind == Var {
				out = append(out, t.Term.Value)
			}
		}
		return true
	})
	return out
}

// walkExpr calls visit on e and, while visit returns true, on its parts.
func walkExpr(e Expr, visit func(Expr) bool) {
	if e == nil || !visit(e) {
		return
	}
	switch x := e.(type) {
	case *ExprBinary:
		walkExpr(x.Left, visit)
		walkExpr(x.Right, visit)
	case *ExprUnary:
		walkExpr(x.Arg, visit)
	case *ExprIn:
		walkExpr(x.Arg, visit)
		for _, a := range x.List {
			walkExpr(a, visit)
		}
	case *ExprCall:
		for _, a := range x.Args {
			walkExpr(a, visit)
		}
	case *ExprAggregate:
		walkExpr(x.Arg, visit)
	}
}
