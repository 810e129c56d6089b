package results

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/akutan-dev/akutan/query/rdf"
)

type jsonDoc struct {
	Head struct {
		Vars []string `json:"vars"`
	} `json:"head"`
	Results *struct {
		Bindings []map[string]jsonTerm `json:"bindings"`
	} `json:"results"`
	Boolean *bool `json:"boolean"`
}

type jsonTerm struct {
	Type     string  `json:"type"`
	Value    *string `json:"value"`
	Datatype string  `json:"datatype"`
	Lang     string  `json:"xml:lang"`
}

// ReadJSON reads the SPARQL 1.1 Query Results JSON Format. It also
// accepts the "typed-literal" type of the first edition.
func ReadJSON(r io.Reader) (*Results, error) {
	var doc jsonDoc
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding JSON results: %w", err)
	}
	switch {
	case doc.Boolean != nil && doc.Results != nil:
		return nil, fmt.Errorf("JSON results have both \"boolean\" and \"results\"")
	case doc.Boolean != nil:
		return NewBoolean(*doc.Boolean), nil
	case doc.Results == nil:
		return nil, fmt.Errorf("JSON results have neither \"boolean\" nor \"results\"")
	}
	res, err := newSelect(doc.Head.Vars)
	if err != nil {
		return nil, fmt.Errorf("reading JSON head: %w", err)
	}
	for i, b := range doc.Results.Bindings {
		s, err := jsonSolution(b, res.Vars)
		if err != nil {
			return nil, fmt.Errorf("reading JSON solution %d: %w", i+1, err)
		}
		res.Solutions = append(res.Solutions, s)
	}
	return res, nil
}

// newSelect starts a SELECT answer, checking the variable names.
func newSelect(vars []string) (*Results, error) {
	seen := make(map[string]bool, len(vars))
	for _, v := range vars {
		if err := checkVar(v); err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, fmt.Errorf("variable %q is listed twice", v)
		}
		seen[v] = true
	}
	return &Results{Vars: append([]string{}, vars...)}, nil
}

func jsonSolution(b map[string]jsonTerm, vars []string) (Solution, error) {
	s := make(Solution, len(b))
	for name, jt := range b {
		if !contains(vars, name) {
			return nil, fmt.Errorf("binds %q, which is not a result variable", name)
		}
		t, err := jt.term()
		if err != nil {
			return nil, fmt.Errorf("binding of %q: %w", name, err)
		}
		s[name] = t
	}
	return s, nil
}

func (jt jsonTerm) term() (rdf.Term, error) {
	if jt.Value == nil {
		return rdf.Term{}, fmt.Errorf("no \"value\"")
	}
	switch jt.Type {
	case "uri":
		return rdf.NewIRI(*jt.Value), nil
	case "bnode":
		return rdf.NewBlank(*jt.Value), nil
	case "literal", "typed-literal":
		return newLiteral(*jt.Value, jt.Datatype, jt.Lang)
	}
	return rdf.Term{}, fmt.Errorf("unknown term type %q (want uri, bnode or literal)", jt.Type)
}

// newLiteral builds a literal read from a results document, where a
// missing datatype means xsd:string.
func newLiteral(lexical, datatype, lang string) (rdf.Term, error) {
	if lang != "" && datatype != "" && datatype != rdf.RDFLangString {
		return rdf.Term{}, fmt.Errorf("literal %q has both language %q and datatype <%s>", lexical, lang, datatype)
	}
	if lang == "" && datatype == rdf.RDFLangString {
		return rdf.Term{}, fmt.Errorf("literal %q has datatype rdf:langString but no language", lexical)
	}
	if datatype == "" {
		datatype = rdf.XSDString
	}
	return rdf.NewLiteral(lexical, datatype, lang), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
