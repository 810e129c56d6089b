package changefeed

import (
	"strconv"

	"github.com/akutan-dev/akutan/query/rdf"
)

// Patch is one committed transaction as RDF: the triples it deletes and
// adds, in entry order.
type Patch struct {
	// Index is the log index of the transaction's entry (Tx.Index).
	Index   uint64
	Deletes []rdf.Triple
	Adds    []rdf.Triple
}

// IDPrefix starts the IRI of a patch's `H id` header; the log index
// follows it.
const IDPrefix = "urn:akutan:index:"

// ParseID returns the log index an `H id` IRI names.
func ParseID(iri string) (uint64, bool) {
	if len(iri) <= len(IDPrefix) || iri[:len(IDPrefix)] != IDPrefix {
		return 0, false
	}
	n, err := strconv.ParseUint(iri[len(IDPrefix):], 10, 64)
	return n, err == nil
}

// AppendText appends the patch in RDF Patch syntax, one line each: the
// `H id` header, TX, the D and A rows, and TC (see the package
// documentation).
func (p Patch) AppendText(b []byte) []byte {
	b = append(b, "H id <"+IDPrefix...)
	b = strconv.AppendUint(b, p.Index, 10)
	b = append(b, "> .\nTX .\n"...)
	for _, t := range p.Deletes {
		b = rdf.AppendNTriples(append(b, "D "...), t)
	}
	for _, t := range p.Adds {
		b = rdf.AppendNTriples(append(b, "A "...), t)
	}
	return append(b, "TC .\n"...)
}
