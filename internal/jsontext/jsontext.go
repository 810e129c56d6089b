// Package jsontext writes JSON as Akutan's HTTP API and command line print
// it: like encoding/json, but without escaping <, > and & (as \u003c,
// \u003e, \u0026). Those escapes exist for JSON embedded in HTML; in an API
// reply or a terminal they only garble IRIs and queries (<http://...>).
package jsontext

import (
	"bytes"
	"encoding/json"
	"io"
)

// Marshal is json.Marshal without HTML escaping.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Encode writes v to w as JSON followed by a newline, indented by two
// spaces when indent is set, without HTML escaping.
func Encode(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
