package results

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Read reads an answer in one of the four result formats.
func Read(f Format, r io.Reader) (*Results, error) {
	switch f {
	case JSON:
		return ReadJSON(r)
	case XML:
		return ReadXML(r)
	case CSV:
		return ReadCSV(r)
	case TSV:
		return ReadTSV(r)
	}
	return nil, fmt.Errorf("reading results: unknown format %d", f)
}

// FormatOfFile returns the format of a results file by its extension, as
// the W3C tests name them: .srj, .srx, .csv, .tsv (and .json, .xml).
// Turtle result sets (.ttl) are read by ReadTurtleResultSet instead.
func FormatOfFile(name string) (Format, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".srj", ".json":
		return JSON, nil
	case ".srx", ".xml":
		return XML, nil
	case ".csv":
		return CSV, nil
	case ".tsv":
		return TSV, nil
	}
	return 0, fmt.Errorf("%s: not a results file name (want .srj, .srx, .csv or .tsv)", name)
}
