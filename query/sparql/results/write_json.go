package results

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/akutan-dev/akutan/query/rdf"
)

// JSONWriter writes the SPARQL 1.1 Query Results JSON Format.
type JSONWriter struct {
	w     *bufio.Writer
	vars  []string
	count int
	buf   []byte
}

// NewJSONWriter returns a JSONWriter to w.
func NewJSONWriter(w io.Writer) *JSONWriter { return &JSONWriter{w: bufio.NewWriter(w)} }

// Begin writes the head and opens the bindings.
func (jw *JSONWriter) Begin(vars []string) error {
	jw.vars = vars
	b := append(jw.buf[:0], `{"head":{"vars":[`...)
	for i, v := range vars {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	b = append(b, "]},\n\"results\":{\"bindings\":["...)
	jw.buf = b
	return jw.flushBuf("writing the JSON head")
}

// Write writes one solution; unbound variables are left out.
func (jw *JSONWriter) Write(s Solution) error {
	b := jw.buf[:0]
	if jw.count > 0 {
		b = append(b, ',')
	}
	b = append(b, "\n{"...)
	first := true
	for _, v := range jw.vars {
		t, bound := s[v]
		if !bound {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, v)
		b = append(b, ':')
		b = appendJSONTerm(b, t)
	}
	jw.buf = append(b, '}')
	jw.count++
	return jw.flushBuf("writing a JSON solution")
}

// End closes the document and flushes it.
func (jw *JSONWriter) End() error {
	jw.buf = append(jw.buf[:0], "\n]}}\n"...)
	if err := jw.flushBuf("ending the JSON results"); err != nil {
		return err
	}
	return jw.flush()
}

// WriteBoolean writes the whole answer of an ASK query.
func (jw *JSONWriter) WriteBoolean(v bool) error {
	jw.buf = fmt.Appendf(jw.buf[:0], "{\"head\":{},\"boolean\":%t}\n", v)
	if err := jw.flushBuf("writing the JSON boolean"); err != nil {
		return err
	}
	return jw.flush()
}

func (jw *JSONWriter) flushBuf(doing string) error {
	if _, err := jw.w.Write(jw.buf); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

func (jw *JSONWriter) flush() error {
	if err := jw.w.Flush(); err != nil {
		return fmt.Errorf("flushing JSON results: %w", err)
	}
	return nil
}

func appendJSONTerm(b []byte, t rdf.Term) []byte {
	switch t.Kind {
	case rdf.IRI:
		b = append(b, `{"type":"uri","value":`...)
	case rdf.Blank:
		b = append(b, `{"type":"bnode","value":`...)
	default:
		b = append(b, `{"type":"literal","value":`...)
	}
	b = appendJSONString(b, t.Value)
	if t.Kind == rdf.Literal {
		switch {
		case t.Lang != "":
			b = append(b, `,"xml:lang":`...)
			b = appendJSONString(b, t.Lang)
		case t.Datatype != "" && t.Datatype != rdf.XSDString:
			b = append(b, `,"datatype":`...)
			b = appendJSONString(b, t.Datatype)
		}
	}
	return append(b, '}')
}

// appendJSONString writes s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, since JSON text must be Unicode.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r < 0x20:
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}
