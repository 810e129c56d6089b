package update_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/query/parser"
	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/update"
	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// untouched fails the test on any read or write: a refused request must
// reach neither the views nor the log.
type untouched struct{ t *testing.T }

func (u untouched) fail(what string) error {
	u.t.Errorf("a refused request reached %s", what)
	return errors.New("untouched")
}

func (u untouched) LastIndex(context.Context) (uint64, error) { return 0, u.fail("the log") }
func (u untouched) Append(context.Context, [][]byte) (uint64, uint64, error) {
	return 0, 0, u.fail("the log")
}
func (u untouched) Read(context.Context, uint64, func(uint64, []byte) error) error {
	return u.fail("the log")
}
func (u untouched) LookupS(context.Context, uint64, []uint64, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) LookupSP(context.Context, uint64, []viewclient.SP, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) LookupSPO(context.Context, uint64, []viewclient.SPO, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) LookupPO(context.Context, uint64, []viewclient.PO, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) LookupPOCmp(context.Context, uint64, []*wire.POCmp, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) LookupP(context.Context, uint64, []uint64, viewclient.Emit) error {
	return u.fail("the views")
}
func (u untouched) Scan(context.Context, uint64, viewclient.Emit) error {
	return u.fail("the views")
}

// TestLiteralLimit: every input format is held to storage.MaxLiteralBytes
// for literals and names, with an error naming the limit and the line; a
// literal of exactly the limit passes the check.
func TestLiteralLimit(t *testing.T) {
	over := strings.Repeat("a", storage.MaxLiteralBytes+1)
	limit := fmt.Sprint(storage.MaxLiteralBytes)
	tsv := func(s string) func() (update.Request, error) {
		return func() (update.Request, error) {
			ins, err := parser.ParseInsert(s)
			return update.Request{Insert: ins}, err
		}
	}
	cases := []struct {
		name  string
		parse func() (update.Request, error)
		line  string
	}{
		{"tsv literal", tsv("<a> <b> <c>\n<a> <desc> \"" + over + "\"\n"), "line 2"},
		{"tsv name", tsv("<a> <b> <c>\n<a> <b> <" + over + ">\n"), "line 2"},
		{"ntriples", func() (update.Request, error) {
			ins, err := rdf.ParseInsert("ntriples", "<http://x/a> <http://x/b> \""+over+"\" .\n")
			return update.Request{Insert: ins}, err
		}, "line 1"},
		{"turtle", func() (update.Request, error) {
			ins, err := rdf.ParseInsert("turtle", "@prefix x: <http://x/> .\n\nx:a x:b \""+over+"\" .\n")
			return update.Request{Insert: ins}, err
		}, "line 3"},
		{"update", func() (update.Request, error) {
			up, err := parser.ParseUpdate("DELETE DATA { <a> <b> <c> } ;\nINSERT DATA {\n<a> <b> \"" + over + "\"\n}")
			if err != nil {
				return update.Request{}, err
			}
			return update.Request{Delete: up.Delete, Insert: up.Insert}, nil
		}, "line 3"},
		{"delete", func() (update.Request, error) {
			del, err := parser.ParseDelete("<a> <b> \"" + over + "\"\n")
			return update.Request{Delete: del}, err
		}, "line 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := c.parse()
			if err != nil {
				t.Fatalf("parsing: %v", err)
			}
			u := untouched{t}
			_, err = update.NewInserter(u, u).Apply(context.Background(), req)
			if !errors.Is(err, update.ErrLiteralTooLarge) {
				t.Fatalf("Apply = %v, want ErrLiteralTooLarge", err)
			}
			if msg := err.Error(); !strings.Contains(msg, limit) || !strings.Contains(msg, c.line) {
				t.Fatalf("error %q names neither the limit %s nor %s", msg, limit, c.line)
			}
		})
	}
}

// TestLiteralAtTheLimitIsAccepted: the check lets a literal of exactly the
// limit through to the graph.
func TestLiteralAtTheLimitIsAccepted(t *testing.T) {
	ins, err := parser.ParseInsert("<a> <desc> \"" + strings.Repeat("a", storage.MaxLiteralBytes) + "\"\n")
	if err != nil {
		t.Fatal(err)
	}
	reached := errors.New("reached the log")
	_, err = update.NewInserter(nil, failingLog{reached}).Apply(context.Background(), update.Request{Insert: ins})
	if !errors.Is(err, reached) {
		t.Fatalf("Apply = %v, want it to go on to the log", err)
	}
}

// failingLog fails every call with err.
type failingLog struct{ err error }

func (f failingLog) LastIndex(context.Context) (uint64, error) { return 0, f.err }
func (f failingLog) Append(context.Context, [][]byte) (uint64, uint64, error) {
	return 0, 0, f.err
}
func (f failingLog) Read(context.Context, uint64, func(uint64, []byte) error) error { return f.err }

// TestLexicalFormLimit: an RDF literal whose lexical form (kept beside a
// native value) is over the limit is refused like a long string.
func TestLexicalFormLimit(t *testing.T) {
	lit := rdf.NewLiteral(strings.Repeat("0", storage.MaxLiteralBytes)+"1", rdf.XSDInteger, "")
	q := rdf.Mapper{}.Quad(rdf.Triple{S: rdf.NewIRI("http://s"), P: rdf.NewIRI("http://p"), O: lit, Pos: rdf.Position{Line: 3, Col: 1}})
	err := update.CheckQuad(q)
	if !errors.Is(err, update.ErrLiteralTooLarge) || !strings.Contains(err.Error(), "lexical form") {
		t.Fatalf("CheckQuad of a %d-byte lexical form: %v, want ErrLiteralTooLarge naming it", len(lit.Value), err)
	}
}
