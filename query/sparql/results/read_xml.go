package results

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// The XML document; element names match in any namespace, so documents
// that forget the SPARQL results namespace still read.
type xmlDoc struct {
	XMLName xml.Name `xml:"sparql"`
	Head    struct {
		Variables []struct {
			Name string `xml:"name,attr"`
		} `xml:"variable"`
	} `xml:"head"`
	Results *struct {
		Results []xmlResult `xml:"result"`
	} `xml:"results"`
	Boolean *string `xml:"boolean"`
}

type xmlResult struct {
	Bindings []xmlBinding `xml:"binding"`
}

type xmlBinding struct {
	Name    string      `xml:"name,attr"`
	URI     *string     `xml:"uri"`
	BNode   *string     `xml:"bnode"`
	Literal *xmlLiteral `xml:"literal"`
}

type xmlLiteral struct {
	Datatype string `xml:"datatype,attr"`
	Lang     string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
	Text     string `xml:",chardata"`
}

// ReadXML reads the SPARQL Query Results XML Format.
func ReadXML(r io.Reader) (*Results, error) {
	var doc xmlDoc
	if err := xml.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("decoding XML results: %w", err)
	}
	switch {
	case doc.Boolean != nil && doc.Results != nil:
		return nil, fmt.Errorf("XML results have both <boolean> and <results>")
	case doc.Boolean != nil:
		return xmlBoolean(*doc.Boolean)
	case doc.Results == nil:
		return nil, fmt.Errorf("XML results have neither <boolean> nor <results>")
	}
	var vars []string
	for _, v := range doc.Head.Variables {
		vars = append(vars, v.Name)
	}
	res, err := newSelect(vars)
	if err != nil {
		return nil, fmt.Errorf("reading XML head: %w", err)
	}
	for i, x := range doc.Results.Results {
		s, err := x.solution(res.Vars)
		if err != nil {
			return nil, fmt.Errorf("reading XML result %d: %w", i+1, err)
		}
		res.Solutions = append(res.Solutions, s)
	}
	return res, nil
}

func xmlBoolean(text string) (*Results, error) {
	switch strings.TrimSpace(text) {
	case "true":
		return NewBoolean(true), nil
	case "false":
		return NewBoolean(false), nil
	}
	return nil, fmt.Errorf("XML <boolean> is %q, not true or false", text)
}

func (x xmlResult) solution(vars []string) (Solution, error) {
	s := make(Solution, len(x.Bindings))
	for _, b := range x.Bindings {
		if !contains(vars, b.Name) {
			return nil, fmt.Errorf("binds %q, which is not a result variable", b.Name)
		}
		if _, dup := s[b.Name]; dup {
			return nil, fmt.Errorf("binds %q twice", b.Name)
		}
		t, err := b.term()
		if err != nil {
			return nil, fmt.Errorf("binding of %q: %w", b.Name, err)
		}
		s[b.Name] = t
	}
	return s, nil
}

func (b xmlBinding) term() (rdf.Term, error) {
	n := 0
	var t rdf.Term
	var err error
	if b.URI != nil {
		n, t = n+1, rdf.NewIRI(*b.URI)
	}
	if b.BNode != nil {
		n, t = n+1, rdf.NewBlank(*b.BNode)
	}
	if b.Literal != nil {
		n++
		t, err = newLiteral(b.Literal.Text, b.Literal.Datatype, b.Literal.Lang)
	}
	if n != 1 {
		return rdf.Term{}, fmt.Errorf("has %d terms, want exactly one of <uri>, <bnode>, <literal>", n)
	}
	return t, err
}
