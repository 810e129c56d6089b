package robustness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/akutan-dev/akutan/wire"
)

// op is one client operation as the client saw it. Times are nanoseconds
// since the run began; an insert whose outcome the client never learned
// ends at math.MaxInt64, since it may take effect at any later time.
type op struct {
	client    int
	insert    bool
	key       string // insert: the fact's subject
	call, ret int64
	ok        bool
	index     uint64          // insert: where it is visible; read: the index read at
	seen      map[string]bool // read: the run's subjects it returned
}

// history collects the operations of one run from every client.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []op
}

func (h *history) now() int64 { return time.Since(h.start).Nanoseconds() }

func (h *history) add(o op) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, o)
}

// runPredicate is the predicate of the facts one run inserts, so that its
// reads return that run's facts only.
func runPredicate(run int) string { return fmt.Sprintf("robP_%d", run) }

// insertFact inserts the fact <key> <robP_run> <yes> through api.
func insertFact(ctx context.Context, api wire.APIClient, run int, key string) (uint64, error) {
	reply, err := api.Insert(ctx, &wire.InsertRequest{Format: "tsv",
		Data: fmt.Sprintf("<%s> <%s> <yes>\n", key, runPredicate(run))})
	if err != nil {
		return 0, err
	}
	return reply.Index, nil
}

// readRun reads every subject of the run's facts at the log's last index.
func readRun(ctx context.Context, api wire.APIClient, run int) (uint64, map[string]bool, error) {
	index, rows, err := query(ctx, api, fmt.Sprintf("SELECT ?s WHERE { ?s <%s> <yes> }", runPredicate(run)))
	if err != nil {
		return 0, nil, err
	}
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		if len(r) != 1 {
			return 0, nil, fmt.Errorf("a row of %d values, want 1", len(r))
		}
		seen[strings.Trim(r[0], "<>")] = true
	}
	return index, seen, nil
}

// query runs q and returns the index it was read at and its rows as text.
// Any error, including one after some rows, fails the whole query.
func query(ctx context.Context, api wire.APIClient, q string) (uint64, [][]string, error) {
	stream, err := api.Query(ctx, &wire.QueryRequest{Query: q})
	if err != nil {
		return 0, nil, err
	}
	var index uint64
	var rows [][]string
	for first := true; ; first = false {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return index, rows, nil
		}
		if err != nil {
			return 0, nil, err
		}
		if first {
			index = chunk.Index
		}
		for _, r := range chunk.Rows {
			var row []string
			for _, v := range r.Values {
				row = append(row, v.Text)
			}
			rows = append(rows, row)
		}
	}
}

// verdict is what the checks found in one run.
type verdict struct {
	Operations      int `json:"operations"`
	FailedOps       int `json:"failed_operations"`
	Violations      int `json:"linearizability_violations"`
	LostWrites      int `json:"lost_writes"`
	WrongAnswers    int `json:"wrong_answers"`
	FixedQueries    int `json:"known_answer_queries"`
	FixedQueriesErr int `json:"known_answer_queries_failed"`
	problems        []string
}

func (v *verdict) add(o verdict) {
	v.Operations += o.Operations
	v.FailedOps += o.FailedOps
	v.Violations += o.Violations
	v.LostWrites += o.LostWrites
	v.WrongAnswers += o.WrongAnswers
	v.FixedQueries += o.FixedQueries
	v.FixedQueriesErr += o.FixedQueriesErr
	v.problems = append(v.problems, o.problems...)
}

func (v *verdict) problem(format string, args ...any) {
	if len(v.problems) < 20 {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

// check runs every check on a run's history. final is a read made after the
// fault was healed.
func (h *history) check(final map[string]bool, finalIndex uint64) verdict {
	var v verdict
	inserted := make(map[string]op)
	for _, o := range h.ops {
		v.Operations++
		if !o.ok {
			v.FailedOps++
		}
		if o.insert {
			inserted[o.key] = o
		}
	}
	h.checkRegisters(&v, inserted)
	h.checkIndexOrder(&v)
	h.checkReadsAtIndex(&v, inserted)
	for key, o := range inserted {
		if o.ok && !final[key] {
			v.LostWrites++
			v.problem("acknowledged insert of %s at index %d is missing from a read at %d after the fault", key, o.index, finalIndex)
		}
	}
	return v
}

// registerModel is one fact: absent until its insert takes effect. A read
// must see it exactly when the insert is linearized before the read.
var registerModel = porcupine.Model{
	Init: func() any { return false },
	Step: func(state, input, output any) (bool, any) {
		if input.(bool) { // the insert
			return true, true
		}
		return output.(bool) == state.(bool), state
	},
	DescribeOperation: func(input, output any) string {
		if input.(bool) {
			return "insert"
		}
		return fmt.Sprintf("read -> %v", output)
	},
}

// checkRegisters checks each fact's register for linearizability.
func (h *history) checkRegisters(v *verdict, inserted map[string]op) {
	var reads []op
	for _, o := range h.ops {
		if !o.insert && o.ok {
			reads = append(reads, o)
		}
	}
	for key, ins := range inserted {
		ops := []porcupine.Operation{{ClientId: ins.client, Input: true, Call: ins.call, Output: true, Return: ins.returned()}}
		for _, r := range reads {
			ops = append(ops, porcupine.Operation{ClientId: r.client, Input: false, Call: r.call, Output: r.seen[key], Return: r.ret})
		}
		if res := porcupine.CheckOperationsTimeout(registerModel, ops, 10*time.Second); res != porcupine.Ok {
			v.Violations++
			v.problem("the reads of %s are not linearizable with its insert (%s)", key, res)
		}
	}
}

// returned is when o ended as far as linearizability goes.
func (o op) returned() int64 {
	if !o.ok {
		return math.MaxInt64
	}
	return o.ret
}

// indexModel orders operations by the log indexes they report: an insert
// linearized after a read must get an index above it, and a read
// linearized after an insert must read at or above its index.
var indexModel = porcupine.Model{
	Init: func() any { return uint64(0) },
	Step: func(state, input, output any) (bool, any) {
		m, i := state.(uint64), output.(uint64)
		if input.(bool) {
			return i > m, i
		}
		return i >= m, max(m, i)
	},
}

// checkIndexOrder checks that log indexes agree with real time. Operations
// whose index is unknown (failed) constrain nothing and are left out.
func (h *history) checkIndexOrder(v *verdict) {
	var ops []porcupine.Operation
	for _, o := range h.ops {
		if o.ok {
			ops = append(ops, porcupine.Operation{ClientId: o.client, Input: o.insert, Call: o.call, Output: o.index, Return: o.ret})
		}
	}
	if res := porcupine.CheckOperationsTimeout(indexModel, ops, 60*time.Second); res != porcupine.Ok {
		v.Violations++
		v.problem("the log indexes of %d operations do not agree with their real-time order (%s)", len(ops), res)
	}
}

// checkReadsAtIndex checks that each read at index I saw exactly the
// acknowledged inserts at indexes up to I, and nothing nobody inserted.
func (h *history) checkReadsAtIndex(v *verdict, inserted map[string]op) {
	for _, r := range h.ops {
		if r.insert || !r.ok {
			continue
		}
		for key := range r.seen {
			if _, ok := inserted[key]; !ok {
				v.WrongAnswers++
				v.problem("a read at %d returned %s, which nobody inserted", r.index, key)
			}
		}
		for key, ins := range inserted {
			if !ins.ok {
				continue
			}
			if want := ins.index <= r.index; r.seen[key] != want {
				v.Violations++
				v.problem("a read at index %d saw %s: %v, but it was inserted at %d", r.index, key, r.seen[key], ins.index)
			}
		}
	}
}

// fixedData is loaded once; queries over it have known answers, so any
// answer that differs is wrong (failing is allowed).
type fixedData struct{ facts int }

func (f fixedData) tsv() string {
	var b strings.Builder
	for i := range f.facts {
		fmt.Fprintf(&b, "<fix_%d> <fixP> <fixO_%d>\n", i, i%5)
	}
	return b.String()
}

// fixedQueries are the known-answer queries: text and the rows expected
// (as a sorted, joined string; "" rows means check by fn).
func (f fixedData) queries() []struct{ text, want string } {
	perObject := f.facts / 5
	return []struct{ text, want string }{
		{"ASK WHERE { <fix_7> <fixP> ?o }", "true"},
		{"ASK WHERE { <fix_7> <fixP> <fixO_3> }", "false"},
		{"SELECT (COUNT(?s) as ?n) WHERE { ?s <fixP> ?o }", fmt.Sprint(f.facts)},
		{fmt.Sprintf("SELECT ?s WHERE { ?s <fixP> <fixO_2> } LIMIT %d", perObject), strings.Join(f.subjectsOf(2), ",")},
		{"SELECT ?o WHERE { <fix_12> <fixP> ?o }", "<fixO_2>"},
	}
}

func (f fixedData) subjectsOf(object int) []string {
	var out []string
	for i := range f.facts {
		if i%5 == object {
			out = append(out, fmt.Sprintf("<fix_%d>", i))
		}
	}
	sort.Strings(out)
	return out
}

// answer runs one known-answer query and reports a wrong answer as an
// error of type wrongAnswer.
func (f fixedData) answer(ctx context.Context, api wire.APIClient, q struct{ text, want string }) error {
	_, rows, err := query(ctx, api, q.text)
	if err != nil {
		return err
	}
	var got []string
	for _, r := range rows {
		got = append(got, strings.Join(r, " "))
	}
	sort.Strings(got)
	if g := strings.Join(got, ","); g != q.want {
		return wrongAnswer{fmt.Sprintf("%s answered %q, want %q", q.text, g, q.want)}
	}
	return nil
}

type wrongAnswer struct{ msg string }

func (w wrongAnswer) Error() string { return w.msg }

// check runs every known-answer query once.
func (f fixedData) check(ctx context.Context, api wire.APIClient) error {
	for _, q := range f.queries() {
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := f.answer(qctx, api, q)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
