// Package storage defines Akutan's data model and its durable formats: facts,
// typed literals, entity IDs (KIDs), the order-preserving key encodings used
// by the HashSP and HashPO Disk Views, and the 64-bit hashes that place a
// fact in each space.
//
// A literal may carry an annotation (annotation.go) that keeps an RDF
// literal exactly: its datatype IRI when not its kind's default
// (DefaultDatatype) and its lexical form when not the canonical one
// (CanonicalLexical). Keys, hashes and CompareObjects see only the value;
// SameTerm compares value and annotation, and AppendAnnotation is the
// annotation's encoding, which views store as the value of a fact's keys.
//
// Everything here is deterministic and free of I/O: two processes that encode
// the same fact produce the same bytes, which is what lets views replay the
// log independently and still agree.
package storage
