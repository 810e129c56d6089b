package apiserver

import (
	"fmt"
	"net/http"
	"strings"
)

// serviceDescription is what GET /sparql without a query answers: a
// SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/)
// in Turtle, so that tools that probe an endpoint learn what it speaks.
// endpoint is the URL the request was made to.
func serviceDescription(endpoint string) string {
	var b strings.Builder
	b.WriteString("@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n")
	b.WriteString("@prefix formats: <http://www.w3.org/ns/formats/> .\n\n")
	fmt.Fprintf(&b, "[] a sd:Service ;\n  sd:endpoint <%s> ;\n", endpoint)
	b.WriteString("  sd:supportedLanguage sd:SPARQL11Query, sd:SPARQL11Update ;\n")
	b.WriteString("  sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, " +
		"formats:SPARQL_Results_CSV, formats:SPARQL_Results_TSV, formats:N-Triples, formats:Turtle ;\n")
	// Simple entailment only, no named graphs: one default graph.
	b.WriteString("  sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;\n")
	b.WriteString("  sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .\n")
	return b.String()
}

// isServiceDescriptionRequest reports whether r asks for the service
// description: a GET or HEAD with no query, update or body.
func isServiceDescriptionRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	q := r.URL.Query()
	return !q.Has("query") && !q.Has("update")
}

// serveServiceDescription writes the service description as Turtle.
func serveServiceDescription(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	w.Header().Set("Content-Type", "text/turtle; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	endpoint := scheme + "://" + r.Host + r.URL.Path
	if strings.ContainsAny(endpoint, "<>\"{}|\\^` \t\r\n") {
		endpoint = "/sparql" // a Host header that is no IRI part: say less
	}
	_, _ = w.Write([]byte(serviceDescription(endpoint)))
}
