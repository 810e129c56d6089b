package sparql

import "testing"

// FuzzParse checks that no input makes either parser panic or return both
// a tree and an error.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"SELECT * WHERE { ?s ?p ?o }",
		"PREFIX : <http://e/> SELECT (COUNT(*) AS ?n) { ?s :p/:q* [ :r (1 2.0 3e1) ] } GROUP BY ?s HAVING (?n > 1)",
		"CONSTRUCT WHERE { ?s ?p 'x'@en, \"\"\"y\"\"\"^^<t> }",
		"ASK { ?s !(^<a>|<b>) ?o FILTER NOT EXISTS { ?o ?p ?s } }",
		"SELECT ?x { VALUES (?x ?y) { (1 UNDEF) } OPTIONAL { ?x <p> ?z } MINUS { ?x <q> ?z } BIND(?z+1 AS ?w) } ORDER BY DESC(?x) LIMIT 3",
		"INSERT DATA { <s> <p> _:b } ; DELETE WHERE { ?s <p> ?o } ; LOAD SILENT <f> INTO GRAPH <g>",
		"WITH <g> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } USING <u> WHERE { ?s ?p ?o }",
		"SELECT * { ?s <p> '\\u00e9' }",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if q, err := ParseQuery(text, "http://base/"); (q == nil) == (err == nil) {
			t.Fatalf("ParseQuery(%q) = %v, %v", text, q, err)
		}
		if u, err := ParseUpdate(text, "http://base/"); (u == nil) == (err == nil) {
			t.Fatalf("ParseUpdate(%q) = %v, %v", text, u, err)
		}
	})
}
