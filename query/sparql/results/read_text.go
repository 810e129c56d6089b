package results

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
)

// ReadCSV reads the SPARQL 1.1 Query Results CSV Format. CSV has no
// types, so every non-empty field becomes a plain literal except _:label,
// which becomes a blank node; an empty field is unbound. Compare what it
// reads with Loose. Carriage returns in fields are dropped, as
// encoding/csv does. A header of just _askResult with one row true or
// false is read as an ASK answer (see CSVWriter.WriteBoolean).
func ReadCSV(r io.Reader) (*Results, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	res, err := newSelect(trimBOM(header))
	if err != nil {
		return nil, fmt.Errorf("reading the CSV header: %w", err)
	}
	cr.ReuseRecord = true
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return asBoolean(res), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading CSV: %w", err)
		}
		res.Solutions = append(res.Solutions, csvSolution(res.Vars, row))
	}
}

func trimBOM(header []string) []string {
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	return header
}

func csvSolution(vars, row []string) Solution {
	s := make(Solution, len(vars))
	for i, field := range row {
		switch {
		case field == "":
		case strings.HasPrefix(field, "_:"):
			s[vars[i]] = rdf.NewBlank(field[2:])
		default:
			s[vars[i]] = rdf.NewLiteral(field, rdf.XSDString, "")
		}
	}
	return s
}

// asBoolean turns the _askResult convention back into an ASK answer.
func asBoolean(res *Results) *Results {
	if len(res.Vars) != 1 || res.Vars[0] != askVar || len(res.Solutions) != 1 {
		return res
	}
	switch res.Solutions[0][askVar].Value {
	case "true":
		return NewBoolean(true)
	case "false":
		return NewBoolean(false)
	}
	return res
}

// ReadTSV reads the SPARQL 1.1 Query Results TSV Format: a header of
// ?variables, then one line per solution of terms in Turtle syntax (see
// parseTurtleTerm), an empty field being unbound. A header of just
// ?_askResult with one row true or false is read as an ASK answer.
func ReadTSV(r io.Reader) (*Results, error) {
	br := bufio.NewReader(r)
	header, err := readTSVLine(br)
	if err != nil {
		return nil, fmt.Errorf("reading the TSV header: %w", err)
	}
	res, err := tsvHeader(header)
	if err != nil {
		return nil, fmt.Errorf("reading the TSV header: %w", err)
	}
	for line := 2; ; line++ {
		text, err := readTSVLine(br)
		if err == io.EOF {
			return asBoolean(res), nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading TSV line %d: %w", line, err)
		}
		s, err := tsvSolution(res.Vars, text)
		if err != nil {
			return nil, fmt.Errorf("TSV line %d: %w", line, err)
		}
		res.Solutions = append(res.Solutions, s)
	}
}

// readTSVLine returns the next line without its line end; io.EOF means
// there are no more lines. A last line without a line end counts.
func readTSVLine(br *bufio.Reader) (string, error) {
	text, err := br.ReadString('\n')
	if errors.Is(err, io.EOF) && text != "" {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r"), nil
}

func tsvHeader(line string) (*Results, error) {
	line = strings.TrimPrefix(line, "\uFEFF")
	if line == "" {
		return newSelect(nil)
	}
	var vars []string
	for _, field := range strings.Split(line, "\t") {
		name, ok := strings.CutPrefix(field, "?")
		if !ok {
			name, ok = strings.CutPrefix(field, "$")
		}
		if !ok {
			return nil, fmt.Errorf("field %q is not a ?variable", field)
		}
		vars = append(vars, name)
	}
	return newSelect(vars)
}

func tsvSolution(vars []string, line string) (Solution, error) {
	fields := strings.Split(line, "\t")
	if len(vars) == 0 && line == "" {
		return Solution{}, nil // the one empty solution of a query without variables
	}
	if len(fields) != len(vars) {
		return nil, fmt.Errorf("has %d fields, want %d", len(fields), len(vars))
	}
	s := make(Solution, len(vars))
	for i, field := range fields {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		t, err := parseTurtleTerm(field)
		if err != nil {
			return nil, fmt.Errorf("field %d (?%s): %w", i+1, vars[i], err)
		}
		s[vars[i]] = t
	}
	return s, nil
}
