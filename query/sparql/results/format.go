package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Format is one of the four result formats.
type Format uint8

// The result formats, in the order a server prefers them when a client
// accepts several equally.
const (
	JSON Format = iota + 1
	XML
	CSV
	TSV
)

// allFormats lists the formats in order of the server's preference.
func allFormats() []Format { return []Format{JSON, XML, CSV, TSV} }

// MediaType returns the format's registered media type.
func (f Format) MediaType() string {
	switch f {
	case JSON:
		return "application/sparql-results+json"
	case XML:
		return "application/sparql-results+xml"
	case CSV:
		return "text/csv"
	case TSV:
		return "text/tab-separated-values"
	}
	return ""
}

// ContentType returns the Content-Type header value for the format; all
// four formats are UTF-8.
func (f Format) ContentType() string { return f.MediaType() + "; charset=utf-8" }

// String returns the short name that FormatByName accepts.
func (f Format) String() string {
	switch f {
	case JSON:
		return "json"
	case XML:
		return "xml"
	case CSV:
		return "csv"
	case TSV:
		return "tsv"
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// mediaTypes lists what each format answers to in an Accept header: its
// registered type first, then the generic types that clients such as
// browsers and SPARQLWrapper also send.
func (f Format) mediaTypes() []string {
	switch f {
	case JSON:
		return []string{"application/sparql-results+json", "application/json"}
	case XML:
		return []string{"application/sparql-results+xml", "application/xml", "text/xml"}
	}
	return []string{f.MediaType()}
}

// NewWriter returns a streaming writer of the format to w.
func (f Format) NewWriter(w io.Writer) Writer {
	switch f {
	case XML:
		return NewXMLWriter(w)
	case CSV:
		return NewCSVWriter(w)
	case TSV:
		return NewTSVWriter(w)
	}
	return NewJSONWriter(w)
}

// NotAcceptableError says that no result format suits the request: an
// HTTP server answers it with 406 Not Acceptable.
type NotAcceptableError struct {
	Asked  string // the Accept header or format parameter
	Reason string
}

func (e *NotAcceptableError) Error() string {
	return fmt.Sprintf("cannot answer in a format acceptable to %q: %s; the result formats are %s",
		e.Asked, e.Reason, formatList())
}

func formatList() string {
	var names []string
	for _, f := range allFormats() {
		names = append(names, f.MediaType()+" ("+f.String()+")")
	}
	return strings.Join(names, ", ")
}

// FormatByName returns the format of a `format=` request parameter: a
// short name (json, xml, csv, tsv, any case) or a media type.
func FormatByName(name string) (Format, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, f := range allFormats() {
		if n == f.String() {
			return f, nil
		}
		for _, mt := range f.mediaTypes() {
			if n == mt {
				return f, nil
			}
		}
	}
	return 0, &NotAcceptableError{Asked: name, Reason: "unknown format name"}
}

// Choose picks the format of a request: the `format=` parameter when it
// is set, else the Accept header.
func Choose(formatParam, accept string) (Format, error) {
	if strings.TrimSpace(formatParam) != "" {
		return FormatByName(formatParam)
	}
	return Negotiate(accept)
}

// mediaRange is one element of an Accept header.
type mediaRange struct {
	typ, subtype string
	q            float64
}

// Negotiate picks the format for an HTTP Accept header (RFC 9110 section
// 12.5.1): each format gets the quality of the most specific range that
// matches it, the best quality wins, and ties go to the server's order
// (JSON, XML, CSV, TSV). An empty header means JSON.
func Negotiate(accept string) (Format, error) {
	if strings.TrimSpace(accept) == "" {
		return JSON, nil
	}
	ranges, err := parseAccept(accept)
	if err != nil {
		return 0, &NotAcceptableError{Asked: accept, Reason: err.Error()}
	}
	best, bestQ := Format(0), 0.0
	for _, f := range allFormats() {
		if q := formatQuality(f, ranges); q > bestQ {
			best, bestQ = f, q
		}
	}
	if best == 0 {
		return 0, &NotAcceptableError{Asked: accept, Reason: "no result format matches it with a quality above 0"}
	}
	return best, nil
}

// formatQuality is the quality of f's registered media type, or of an
// alias the header names exactly: wildcards reach only the registered
// type, so text/* means CSV or TSV, never text/xml.
func formatQuality(f Format, ranges []mediaRange) float64 {
	best := typeQuality(f.MediaType(), ranges)
	for _, alias := range f.mediaTypes()[1:] {
		typ, sub, _ := strings.Cut(alias, "/")
		for _, r := range ranges {
			if r.typ == typ && r.subtype == sub && r.q > best {
				best = r.q
			}
		}
	}
	return best
}

// typeQuality is the quality that the most specific matching range gives
// a media type: an exact match beats type/*, which beats */*.
func typeQuality(mediaType string, ranges []mediaRange) float64 {
	typ, sub, _ := strings.Cut(mediaType, "/")
	specificity, q := -1, 0.0
	for _, r := range ranges {
		s := -1
		switch {
		case r.typ == typ && r.subtype == sub:
			s = 2
		case r.typ == typ && r.subtype == "*":
			s = 1
		case r.typ == "*" && r.subtype == "*":
			s = 0
		}
		if s > specificity {
			specificity, q = s, r.q
		}
	}
	return q
}

// parseAccept splits an Accept header into media ranges, ignoring empty
// elements (RFC 9110 allows them) and parameters other than q.
func parseAccept(accept string) ([]mediaRange, error) {
	var out []mediaRange
	for _, elem := range strings.Split(accept, ",") {
		if strings.TrimSpace(elem) == "" {
			continue
		}
		r, err := parseMediaRange(elem)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func parseMediaRange(elem string) (mediaRange, error) {
	params := strings.Split(elem, ";")
	full := strings.ToLower(strings.TrimSpace(params[0]))
	typ, sub, ok := strings.Cut(full, "/")
	if !ok || typ == "" || sub == "" || (typ == "*" && sub != "*") {
		return mediaRange{}, fmt.Errorf("malformed media range %q", strings.TrimSpace(elem))
	}
	r := mediaRange{typ: typ, subtype: sub, q: 1}
	for _, p := range params[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.ToLower(strings.TrimSpace(k)) != "q" {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || q < 0 || q > 1 {
			return mediaRange{}, fmt.Errorf("bad quality value %q in %q (want a number from 0 to 1)", v, strings.TrimSpace(elem))
		}
		r.q = q
	}
	return r, nil
}
