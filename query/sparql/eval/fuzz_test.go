package eval

import (
	"context"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// FuzzRun checks that no parsed query or update makes evaluation panic.
func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		`SELECT * WHERE { ?s ?p ?o }`,
		`SELECT ?x (COUNT(*) AS ?n) WHERE { ?x :p+ ?y OPTIONAL { ?y :q ?z FILTER(?z > 1) } } GROUP BY ?x HAVING (?n > 0) ORDER BY DESC(?n) LIMIT 2`,
		`ASK { ?s !(:p|^:q) ?o MINUS { ?s :q ?o } }`,
		`CONSTRUCT { ?s :r [ :q ?o ] } WHERE { { ?s :p ?o } UNION { VALUES ?s { :a } ?s :q* ?o } }`,
		`DESCRIBE ?s WHERE { ?s :p ?o FILTER EXISTS { ?o :p ?s } }`,
		`SELECT * { { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 } BIND(STR(?s) AS ?t) }`,
		`INSERT DATA { :a :p _:b } ; DELETE { ?s :p ?o } INSERT { ?o :p ?s } WHERE { ?s :p ?o } ; CLEAR DEFAULT`,
		`DELETE WHERE { ?s :q ?o } ; DROP SILENT GRAPH <http://g>`,
	} {
		f.Add(seed)
	}
	data := []rdf.Triple{
		{S: rdf.NewIRI("http://ex/a"), P: rdf.NewIRI("http://ex/p"), O: rdf.NewIRI("http://ex/b")},
		{S: rdf.NewIRI("http://ex/b"), P: rdf.NewIRI("http://ex/p"), O: rdf.NewIRI("http://ex/a")},
		{S: rdf.NewIRI("http://ex/b"), P: rdf.NewIRI("http://ex/q"), O: rdf.NewLiteral("2", rdf.XSDInteger, "")},
		{S: rdf.NewBlank("x"), P: rdf.NewIRI("http://ex/q"), O: rdf.NewLiteral("a", "", "en")},
	}
	f.Fuzz(func(t *testing.T, text string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g := NewMemGraph(data)
		if q, err := sparql.ParseQuery("PREFIX : <http://ex/>\n"+text, ""); err == nil {
			out := Output{Solutions: &collector{}, Triples: func(rdf.Triple) error { return nil }}
			_ = Run(ctx, q, g, out, Options{Batch: 2})
			_ = Explain(q)
		}
		if u, err := sparql.ParseUpdate("PREFIX : <http://ex/>\n"+text, ""); err == nil {
			_, _ = Update(ctx, u, g, Options{Batch: 2})
		}
	})
}
