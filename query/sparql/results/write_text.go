package results

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// askVar is the variable that CSV and TSV use for the answer of an ASK
// query. The W3C formats define none; this is Jena's convention, which
// other tools read too.
const askVar = "_askResult"

// CSVWriter writes the SPARQL 1.1 Query Results CSV Format. CSV keeps
// only the string form of each term: an IRI, a literal's lexical form
// (its datatype and language are lost) or _:label for a blank node; an
// unbound variable is an empty field, as is an empty literal.
type CSVWriter struct {
	w    *bufio.Writer
	vars []string
	buf  []byte
}

// NewCSVWriter returns a CSVWriter to w.
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: bufio.NewWriter(w)} }

// Begin writes the header line.
func (cw *CSVWriter) Begin(vars []string) error {
	cw.vars = vars
	b := cw.buf[:0]
	for i, v := range vars {
		b = appendCSVField(b, i, v)
	}
	cw.buf = append(b, "\r\n"...)
	return cw.flushBuf("writing the CSV header")
}

// Write writes one solution.
func (cw *CSVWriter) Write(s Solution) error {
	b := cw.buf[:0]
	for i, v := range cw.vars {
		field := ""
		if t, bound := s[v]; bound {
			field = csvField(t)
		}
		b = appendCSVField(b, i, field)
	}
	if len(cw.vars) == 1 && len(b) == 0 {
		// An empty line would be skipped by CSV readers; "" keeps the row.
		b = append(b, `""`...)
	}
	cw.buf = append(b, "\r\n"...)
	return cw.flushBuf("writing a CSV solution")
}

// End flushes the output.
func (cw *CSVWriter) End() error {
	if err := cw.w.Flush(); err != nil {
		return fmt.Errorf("flushing CSV results: %w", err)
	}
	return nil
}

// WriteBoolean writes an ASK answer as one variable, _askResult, bound to
// true or false.
func (cw *CSVWriter) WriteBoolean(v bool) error {
	cw.buf = fmt.Appendf(cw.buf[:0], "%s\r\n%t\r\n", askVar, v)
	if err := cw.flushBuf("writing the CSV boolean"); err != nil {
		return err
	}
	return cw.End()
}

func (cw *CSVWriter) flushBuf(doing string) error {
	if _, err := cw.w.Write(cw.buf); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// appendCSVField writes field number i as RFC 4180 asks: quoted when it
// holds a quote, comma or line end, or begins with a space (which some
// readers trim), with quotes doubled. Lines end with CRLF.
func appendCSVField(b []byte, i int, field string) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	if !strings.ContainsAny(field, "\",\r\n") && !strings.HasPrefix(field, " ") {
		return append(b, field...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(field, `"`, `""`)...)
	return append(b, '"')
}

func csvField(t rdf.Term) string {
	if t.Kind == rdf.Blank {
		return "_:" + safeBlankLabel(t.Value)
	}
	return t.Value
}

// TSVWriter writes the SPARQL 1.1 Query Results TSV Format: each term in
// Turtle syntax, so that nothing is lost. Literals of xsd:integer,
// xsd:decimal, xsd:double and xsd:boolean are abbreviated when their
// lexical form is a Turtle number or boolean, which reads back the same.
type TSVWriter struct {
	w    *bufio.Writer
	vars []string
	buf  []byte
}

// NewTSVWriter returns a TSVWriter to w.
func NewTSVWriter(w io.Writer) *TSVWriter { return &TSVWriter{w: bufio.NewWriter(w)} }

// Begin writes the header line.
func (tw *TSVWriter) Begin(vars []string) error {
	tw.vars = vars
	b := tw.buf[:0]
	for i, v := range vars {
		if i > 0 {
			b = append(b, '\t')
		}
		b = append(append(b, '?'), v...)
	}
	tw.buf = append(b, '\n')
	return tw.flushBuf("writing the TSV header")
}

// Write writes one solution; an unbound variable is an empty field.
func (tw *TSVWriter) Write(s Solution) error {
	b := tw.buf[:0]
	for i, v := range tw.vars {
		if i > 0 {
			b = append(b, '\t')
		}
		if t, bound := s[v]; bound {
			b = appendTurtleTerm(b, t)
		}
	}
	tw.buf = append(b, '\n')
	return tw.flushBuf("writing a TSV solution")
}

// End flushes the output.
func (tw *TSVWriter) End() error {
	if err := tw.w.Flush(); err != nil {
		return fmt.Errorf("flushing TSV results: %w", err)
	}
	return nil
}

// WriteBoolean writes an ASK answer as one variable, ?_askResult, bound
// to true or false.
func (tw *TSVWriter) WriteBoolean(v bool) error {
	tw.buf = fmt.Appendf(tw.buf[:0], "?%s\n%t\n", askVar, v)
	if err := tw.flushBuf("writing the TSV boolean"); err != nil {
		return err
	}
	return tw.End()
}

func (tw *TSVWriter) flushBuf(doing string) error {
	if _, err := tw.w.Write(tw.buf); err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	return nil
}

// safeBlankLabel returns a label that Turtle and N-Triples accept: the
// label itself when it is plain ASCII letters, digits, '_' and '-' (not
// first), else "hex-" and the label's bytes in hex. Plain labels that
// start with "hex-" are encoded too, so distinct labels stay distinct.
func safeBlankLabel(label string) string {
	if plainLabel(label) && !strings.HasPrefix(label, "hex-") {
		return label
	}
	return fmt.Sprintf("hex-%x", label)
}

func plainLabel(label string) bool {
	if label == "" || label[0] == '-' {
		return false
	}
	for i := 0; i < len(label); i++ {
		c := label[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
