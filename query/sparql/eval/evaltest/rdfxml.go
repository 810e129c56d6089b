package evaltest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// readSimpleRDFXML reads the one shape of RDF/XML the W3C subquery data
// uses: rdf:Description elements with rdf:about, holding property
// elements with rdf:resource or a literal (rdf:datatype, xml:lang).
// Anything else is an error, so a test never runs on misread data.
func readSimpleRDFXML(r io.Reader) ([]rdf.Triple, error) {
	dec := xml.NewDecoder(r)
	var out []rdf.Triple
	var subject *rdf.Term
	var prop *rdf.Triple
	var text strings.Builder
	attr := func(e xml.StartElement, space, local string) (string, bool) {
		for _, a := range e.Attr {
			if a.Name.Space == space && a.Name.Local == local {
				return a.Value, true
			}
		}
		return "", false
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			name := tok.Name.Space + tok.Name.Local
			switch {
			case name == rdf.RDFNS+"RDF" && subject == nil:
			case name == rdf.RDFNS+"Description" && subject == nil:
				about, ok := attr(tok, rdf.RDFNS, "about")
				if !ok {
					return nil, fmt.Errorf("rdf:Description without rdf:about")
				}
				s := rdf.NewIRI(about)
				subject = &s
			case subject != nil && prop == nil:
				prop = &rdf.Triple{S: *subject, P: rdf.NewIRI(name)}
				if res, ok := attr(tok, rdf.RDFNS, "resource"); ok {
					prop.O = rdf.NewIRI(res)
				} else {
					dt, _ := attr(tok, rdf.RDFNS, "datatype")
					lang, _ := attr(tok, "http://www.w3.org/XML/1998/namespace", "lang")
					if dt == "" {
						dt = rdf.XSDString
					}
					prop.O = rdf.NewLiteral("", dt, lang)
				}
				text.Reset()
			default:
				return nil, fmt.Errorf("unsupported RDF/XML element %s", tok.Name.Local)
			}
		case xml.CharData:
			text.Write(tok)
		case xml.EndElement:
			switch {
			case prop != nil:
				if prop.O.Kind == rdf.Literal {
					prop.O.Value = text.String()
				}
				out = append(out, *prop)
				prop = nil
			case subject != nil:
				subject = nil
			}
		}
	}
}
