package results

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"

	"github.com/akutan-dev/akutan/query/rdf"
)

const (
	xmlResultsNS = "http://www.w3.org/2005/sparql-results#"
	xmlHeader    = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<sparql xmlns="` + xmlResultsNS + `">` + "\n"
)

// XMLWriter writes the SPARQL Query Results XML Format (second edition).
// XML 1.0 cannot carry most control characters, not even escaped; like
// encoding/xml, the writer replaces them with U+FFFD.
type XMLWriter struct {
	w    *bufio.Writer
	vars []string
	err  error // the first write error; later writes are skipped
}

// NewXMLWriter returns an XMLWriter to w.
func NewXMLWriter(w io.Writer) *XMLWriter { return &XMLWriter{w: bufio.NewWriter(w)} }

// Begin writes the head and opens the results.
func (xw *XMLWriter) Begin(vars []string) error {
	xw.vars = vars
	xw.str(xmlHeader + "<head>\n")
	for _, v := range vars {
		xw.str(`  <variable name="`)
		xw.escaped(v)
		xw.str("\"/>\n")
	}
	xw.str("</head>\n<results>\n")
	return xw.check("writing the XML head")
}

// Write writes one solution; unbound variables are left out.
func (xw *XMLWriter) Write(s Solution) error {
	xw.str("<result>")
	for _, v := range xw.vars {
		if t, bound := s[v]; bound {
			xw.binding(v, t)
		}
	}
	xw.str("</result>\n")
	return xw.check("writing an XML solution")
}

// End closes the document and flushes it.
func (xw *XMLWriter) End() error {
	xw.str("</results>\n</sparql>\n")
	return xw.finish("ending the XML results")
}

// WriteBoolean writes the whole answer of an ASK query.
func (xw *XMLWriter) WriteBoolean(v bool) error {
	xw.str(xmlHeader + "<head/>\n")
	xw.str(fmt.Sprintf("<boolean>%t</boolean>\n</sparql>\n", v))
	return xw.finish("writing the XML boolean")
}

func (xw *XMLWriter) binding(name string, t rdf.Term) {
	xw.str(`<binding name="`)
	xw.escaped(name)
	xw.str(`">`)
	switch t.Kind {
	case rdf.IRI:
		xw.element("uri", t.Value)
	case rdf.Blank:
		xw.element("bnode", t.Value)
	default:
		xw.literal(t)
	}
	xw.str("</binding>")
}

func (xw *XMLWriter) literal(t rdf.Term) {
	switch {
	case t.Lang != "":
		xw.str(`<literal xml:lang="`)
		xw.escaped(t.Lang)
		xw.str(`">`)
	case t.Datatype != "" && t.Datatype != rdf.XSDString:
		xw.str(`<literal datatype="`)
		xw.escaped(t.Datatype)
		xw.str(`">`)
	default:
		xw.str("<literal>")
	}
	xw.escaped(t.Value)
	xw.str("</literal>")
}

func (xw *XMLWriter) element(name, text string) {
	xw.str("<" + name + ">")
	xw.escaped(text)
	xw.str("</" + name + ">")
}

func (xw *XMLWriter) str(s string) {
	if xw.err == nil {
		_, xw.err = xw.w.WriteString(s)
	}
}

// escaped writes s as character data, escaping tabs and line ends too so
// that attribute normalization and line-end handling keep them.
func (xw *XMLWriter) escaped(s string) {
	if xw.err == nil {
		xw.err = xml.EscapeText(xw.w, []byte(s))
	}
}

func (xw *XMLWriter) check(doing string) error {
	if xw.err != nil {
		return fmt.Errorf("%s: %w", doing, xw.err)
	}
	return nil
}

func (xw *XMLWriter) finish(doing string) error {
	if xw.err == nil {
		xw.err = xw.w.Flush()
	}
	return xw.check(doing)
}
