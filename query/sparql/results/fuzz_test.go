package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/internal/testutil"
)

// fuzzReader checks that a reader never panics and that whatever it
// accepts survives being written back in the same format.
func fuzzReader(f *testing.F, format Format, ext string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	addW3CSeeds(f, ext)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Read(format, bytes.NewReader(data))
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteAll(format.NewWriter(&buf), r); err != nil {
			t.Fatalf("writing back what was read: %v", err)
		}
		if _, err := Read(format, &buf); err != nil {
			t.Fatalf("reading back what was written: %v\n%s", err, buf.String())
		}
	})
}

// addW3CSeeds seeds the corpus with the W3C files of one extension, when
// they are present.
func addW3CSeeds(f *testing.F, ext string) {
	dir, _ := testutil.FindSharedData("w3c-rdf-tests/sparql11")
	if dir == "" {
		return
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "*"+ext))
	for i, path := range matches {
		if i == 40 {
			break
		}
		if data, err := os.ReadFile(path); err == nil {
			f.Add(data)
		}
	}
}

func FuzzReadJSON(f *testing.F) {
	fuzzReader(f, JSON, ".srj",
		`{"head":{"vars":["a"]},"results":{"bindings":[{"a":{"type":"literal","value":"x","xml:lang":"en"}}]}}`,
		`{"head":{},"boolean":true}`)
}

func FuzzReadXML(f *testing.F) {
	fuzzReader(f, XML, ".srx",
		`<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="a"/></head><results><result><binding name="a"><bnode>b</bnode></binding></result></results></sparql>`,
		`<sparql><head/><boolean>false</boolean></sparql>`)
}

func FuzzReadCSV(f *testing.F) {
	fuzzReader(f, CSV, ".csv", "a,b\r\nhttp://x,\"y,z\"\r\n_:b,\r\n", "_askResult\r\ntrue\r\n")
}

func FuzzReadTSV(f *testing.F) {
	fuzzReader(f, TSV, ".tsv", "?a\t?b\n<http://x>\t\"y\\tz\"@en\n_:b\t1.5e3\n", "?_askResult\nfalse\n")
}

func FuzzReadTurtleResultSet(f *testing.F) {
	f.Add([]byte(`@prefix rs: <http://www.w3.org/2001/sw/DataAccess/tests/result-set#> .
[] a rs:ResultSet ; rs:resultVariable "x" ; rs:solution [ rs:index 1 ; rs:binding [ rs:variable "x" ; rs:value _:b ] ] .`))
	f.Add([]byte(`@prefix rs: <http://www.w3.org/2001/sw/DataAccess/tests/result-set#> .
[] a rs:ResultSet ; rs:boolean true .`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ReadTurtleResultSet(strings.NewReader(string(data)), "http://example.org/base")
	})
}
