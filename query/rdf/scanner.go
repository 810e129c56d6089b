package rdf

import (
	"bufio"
	"fmt"
	"io"
	"unicode/utf8"
)

// eof is what scanner.read returns past the end of the input.
const eof rune = -1

// runeAt is a rune and where it was read.
type runeAt struct {
	r   rune
	pos Position
}

// scanner reads runes, tracking their line and column, with unlimited
// push-back for the few places Turtle needs more than one rune of
// look-ahead (a '.' ending a name, a number or a statement).
type scanner struct {
	r    *bufio.Reader
	pos  Position // of the next rune to read from r
	back []runeAt // pushed-back runes, the next one last
	err  error    // a read or encoding error, reported once reached
	errP Position
}

func newScanner(r io.Reader) *scanner {
	return &scanner{r: bufio.NewReaderSize(r, 1<<16), pos: Position{Line: 1, Col: 1}}
}

// read returns the next rune and its position, or eof. After a read
// error or invalid UTF-8 it returns eof and sets s.err.
func (s *scanner) read() runeAt {
	if n := len(s.back); n > 0 {
		ra := s.back[n-1]
		s.back = s.back[:n-1]
		return ra
	}
	at := s.pos
	if s.err != nil {
		return runeAt{eof, at}
	}
	r, size, err := s.r.ReadRune()
	switch {
	case err == io.EOF:
		return runeAt{eof, at}
	case err != nil:
		s.err, s.errP = fmt.Errorf("reading input: %w", err), at
		return runeAt{eof, at}
	case r == utf8.RuneError && size == 1:
		s.err, s.errP = errorf(at, "invalid UTF-8"), at
		return runeAt{eof, at}
	}
	if r == '\n' {
		s.pos.Line++
		s.pos.Col = 1
	} else {
		s.pos.Col++
	}
	return runeAt{r, at}
}

// unread pushes runes back, given in the order they were read; they are
// read again in that order.
func (s *scanner) unread(rs ...runeAt) {
	for i := len(rs) - 1; i >= 0; i-- {
		s.back = append(s.back, rs[i])
	}
}

// peek returns the next rune without consuming it.
func (s *scanner) peek() runeAt {
	ra := s.read()
	if ra.r != eof {
		s.unread(ra)
	}
	return ra
}

// next reads the next rune if it is r.
func (s *scanner) next(r rune) bool {
	ra := s.read()
	if ra.r == r {
		return true
	}
	if ra.r != eof {
		s.unread(ra)
	}
	return false
}
