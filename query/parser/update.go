package parser

// ParseUpdate parses an update request in the `sparql`-like form
//
//	DELETE DATA { ... } ;
//	INSERT DATA { ... }
//
// where each block holds facts in the tsv format, one per line. Either
// block may be missing; DELETE DATA comes first when both are given, and
// the whole request applies atomically (deletes before inserts).
func ParseUpdate(text string) (*Update, error) {
	up, err := parseUpdate(text)
	if err != nil {
		return nil, err
	}
	return up, nil
}

func parseUpdate(text string) (*Update, *Error) {
	p := newParser(text)
	up := &Update{Delete: &Insert{}, Insert: &Insert{}}
	seen := 0
	for _, op := range []struct {
		keyword string
		blanks  bool
		into    *Insert
	}{{"DELETE", false, up.Delete}, {"INSERT", true, up.Insert}} {
		p.skipNewlines()
		if seen > 0 {
			p.acceptSemicolon()
		}
		if !isWord(p.peek(), op.keyword) {
			continue
		}
		if err := p.dataBlock(op.keyword, op.blanks, op.into); err != nil {
			return nil, err
		}
		seen++
	}
	p.skipNewlines()
	if tok := p.peek(); tok.kind != tokEOF {
		return nil, unexpected(tok, "DELETE DATA { ... } or INSERT DATA { ... }")
	}
	if seen == 0 {
		return nil, errorf(p.peek().pos, "an update needs DELETE DATA { ... }, INSERT DATA { ... } or both")
	}
	return up, nil
}

// acceptSemicolon consumes the `;` between two operations; it may also be
// left out.
func (p *parser) acceptSemicolon() {
	if p.peek().kind == tokSemicolon {
		p.next()
	}
	p.skipNewlines()
}

// dataBlock parses `KEYWORD DATA { facts }` into into.
func (p *parser) dataBlock(keyword string, allowBlank bool, into *Insert) *Error {
	p.next() // keyword
	if tok := p.next(); !isWord(tok, "DATA") {
		return unexpected(tok, keyword+" DATA")
	}
	p.skipNewlines()
	if tok := p.next(); tok.kind != tokLBrace {
		return unexpected(tok, "'{'")
	}
	d := &dataParser{parser: p, allowBlank: allowBlank, boundOn: make(map[string]int)}
	for {
		p.skipNewlines()
		switch tok := p.peek(); tok.kind {
		case tokRBrace:
			p.next()
			return nil
		case tokEOF:
			return errorf(tok.pos, "missing '}' closing %s DATA", keyword)
		}
		q, err := d.factEndingAt(tokNewline, tokRBrace, tokEOF)
		if err != nil {
			return err
		}
		into.Facts = append(into.Facts, q)
	}
}
