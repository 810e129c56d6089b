package cli

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/akutan-dev/akutan/query/sparql"
)

func TestSPARQLFormatFitsTheForm(t *testing.T) {
	for _, c := range []struct {
		format string
		form   sparql.Form
		want   string // "" for an error
	}{
		{"table", sparql.Select, "table"},
		{"tsv", sparql.Ask, "tsv"},
		{"table", sparql.Construct, "ntriples"},
		{"turtle", sparql.Describe, "turtle"},
		{"csv", sparql.Construct, ""},
		{"ntriples", sparql.Select, ""},
		{"yaml", sparql.Select, ""},
	} {
		got, err := sparqlFormat(c.format, c.form)
		if (err == nil) != (c.want != "") || got != c.want {
			t.Errorf("sparqlFormat(%s, %d) = %q, %v; want %q", c.format, c.form, got, err, c.want)
		}
	}
}

func TestAdvertisedAddressMatching(t *testing.T) {
	for _, c := range []struct {
		bound, dialled string
		want           bool
	}{
		{"127.0.0.1:9987", "127.0.0.1:9987", true},
		{"[::]:9987", "10.0.0.5:9987", true},
		{"127.0.0.1:9987", "localhost:9987", true},
		{"127.0.0.1:9987", "127.0.0.1:9988", false},
		{"10.0.0.4:9987", "10.0.0.5:9987", false},
	} {
		if got := sameListener(c.bound, c.dialled); got != c.want {
			t.Errorf("sameListener(%s, %s) = %v, want %v", c.bound, c.dialled, got, c.want)
		}
	}
	if got := reachable("[::]:9988", "10.0.0.5:9987"); got != "10.0.0.5:9988" {
		t.Errorf("reachable of an unspecified host = %s, want the API's host", got)
	}
	if got := reachable("10.0.0.6:9988", "10.0.0.5:9987"); got != "10.0.0.6:9988" {
		t.Errorf("reachable of a specific host = %s, want it unchanged", got)
	}
}

func TestPrintSPARQLTable(t *testing.T) {
	var b strings.Builder
	tsv := "?x\t?name\n<http://ex/a>\t\"Alice\"\n<http://ex/bob>\t\n"
	if err := printSPARQLTable(&b, sparql.Select, []byte(tsv), "7"); err != nil {
		t.Fatal(err)
	}
	want := " x               | name    |\n" +
		" --------------- | ------- |\n" +
		" <http://ex/a>   | \"Alice\" |\n" +
		" <http://ex/bob> |         |\n" +
		"(2 rows at log index 7)\n"
	if b.String() != want {
		t.Fatalf("table:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := printSPARQLTable(&b, sparql.Ask, []byte("?_askResult\ntrue\n"), "7"); err != nil || b.String() != "true\n(at log index 7)\n" {
		t.Fatalf("ASK printed %q, %v", b.String(), err)
	}
}

// postSPARQL sends the text with its media type, Accept and the
// parameters, and never passes an error status or a cut answer off as an
// answer.
func TestPostSPARQL(t *testing.T) {
	var got *http.Request
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		gotBody = string(b)
		switch r.URL.Query().Get("case") {
		case "bad":
			http.Error(w, "parsing the query: line 1, column 3: oops", http.StatusBadRequest)
		case "cut":
			w.Header().Set("Akutan-Log-Index", "5")
			w.Write([]byte("n\r\n"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		default:
			w.Header().Set("Akutan-Log-Index", "5")
			w.Write([]byte("n\r\n1\r\n"))
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	body, index, err := postSPARQL(ctx, http.DefaultClient.Do, srv.URL, url.Values{"index": {"3"}}, "application/sparql-query", "ASK {}", "text/csv")
	if err != nil || string(body) != "n\r\n1\r\n" || index != "5" {
		t.Fatalf("answer %q at %q, error %v", body, index, err)
	}
	if got.Header.Get("Content-Type") != "application/sparql-query" || got.Header.Get("Accept") != "text/csv" ||
		got.URL.Query().Get("index") != "3" || gotBody != "ASK {}" {
		t.Fatalf("request %v %v body %q", got.Header, got.URL, gotBody)
	}
	if _, _, err := postSPARQL(ctx, http.DefaultClient.Do, srv.URL, url.Values{"case": {"bad"}}, "application/sparql-query", "AS", "text/csv"); err == nil ||
		!strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "line 1, column 3") {
		t.Fatalf("an error status gave %v", err)
	}
	if body, _, err := postSPARQL(ctx, http.DefaultClient.Do, srv.URL, url.Values{"case": {"cut"}}, "application/sparql-query", "ASK {}", "text/csv"); err == nil {
		t.Fatalf("a cut answer gave %q and no error", body)
	}
}
