package rdf

import (
	"math/rand"
	"testing"
	"unicode/utf8"
)

// TestASCIIIRIChars: the bit masks allow exactly the ASCII characters the
// IRIREF production allows unescaped.
func TestASCIIIRIChars(t *testing.T) {
	for c := range utf8.RuneSelf {
		want := c > 0x20
		switch c {
		case '<', '>', '"', '{', '}', '|', '^', '`', '\\':
			want = false
		}
		if got := asciiIRIChar(byte(c)); got != want {
			t.Errorf("asciiIRIChar(%q) = %v, want %v", rune(c), got, want)
		}
	}
}

// TestPlainTermsWrittenAsEscaped: appendIRI and appendString, which copy a
// plain term as it is, write what escaping each character would, for
// random text mixing plain ASCII with every character that needs care.
func TestPlainTermsWrittenAsEscaped(t *testing.T) {
	alphabet := []rune("abz:/#.-_09 \"\\\n\r\t<>{}|^`\x00\x7fé€😀")
	rnd := rand.New(rand.NewSource(1))
	plainIRIs, plainStrings := 0, 0
	for range 20000 {
		r := make([]rune, rnd.Intn(12))
		for i := range r {
			if rnd.Intn(4) == 0 {
				r[i] = alphabet[rnd.Intn(len(alphabet))]
			} else {
				r[i] = rune('a' + rnd.Intn(26))
			}
		}
		s := string(r)
		if got, want := string(appendIRI(nil, s)), string(appendIRIEach(nil, s)); got != want {
			t.Fatalf("appendIRI(%q) = %q, want %q", s, got, want)
		}
		if got, want := string(appendString(nil, s)), string(appendStringEach(nil, s)); got != want {
			t.Fatalf("appendString(%q) = %q, want %q", s, got, want)
		}
		if plainIRI(s) {
			plainIRIs++
		}
		if plainString(s) {
			plainStrings++
		}
	}
	if plainIRIs == 0 || plainStrings == 0 || plainIRIs == 20000 || plainStrings == 20000 {
		t.Fatalf("both paths should run: %d plain IRIs, %d plain strings of 20000", plainIRIs, plainStrings)
	}
}

// BenchmarkAppendNTriples measures writing LUBM-shaped triples, as the
// bulk loader re-serializes every batch.
//
//	go test -run '^$' -bench BenchmarkAppendNTriples ./query/rdf
func BenchmarkAppendNTriples(b *testing.B) {
	tr := Triple{
		S: Term{Kind: IRI, Value: "http://www.Department4.University8.edu/GraduateStudent65"},
		P: Term{Kind: IRI, Value: "http://www.lehigh.edu/~zhp2/2004/0401/univ-bench.owl#emailAddress"},
		O: Term{Kind: Literal, Value: "GraduateStudent65@Department4.University8.edu", Datatype: XSDString},
	}
	var buf []byte
	for b.Loop() {
		buf = AppendNTriples(buf[:0], tr)
	}
}
