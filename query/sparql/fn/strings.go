package fn

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/akutan-dev/akutan/query/rdf"
)

// simpleLiteral reports whether t is a simple literal, which in RDF 1.1
// is the same as an xsd:string literal.
func simpleLiteral(t rdf.Term) bool {
	return t.Kind == rdf.Literal && t.Datatype == rdf.XSDString && t.Lang == ""
}

// stringLiteral reports whether t is a string literal of section
// 17.4.3.1.1: a simple literal or a language-tagged one.
func stringLiteral(t rdf.Term) bool {
	return simpleLiteral(t) || t.Kind == rdf.Literal && t.Lang != ""
}

// compatible reports whether a and b are argument-compatible (section
// 17.4.3.1.2): both simple, both with the same language tag, or a
// language-tagged first and a simple second.
func compatible(a, b rdf.Term) bool {
	return stringLiteral(a) && stringLiteral(b) && (b.Lang == "" || strings.EqualFold(a.Lang, b.Lang))
}

// withValue returns a string literal like t (same language tag) holding
// s, as the functions that keep their argument's kind do.
func withValue(t rdf.Term, s string) rdf.Term {
	return rdf.NewLiteral(s, t.Datatype, t.Lang)
}

// stringFunction evaluates the string functions of section 17.4.3.
func stringFunction(name string, args []rdf.Term) (rdf.Term, error) {
	switch name {
	case "CONCAT":
		return concat(args)
	case "STRLANG":
		return strlang(args[0], args[1])
	case "STRDT":
		return strdt(args[0], args[1])
	case "LANGMATCHES":
		return langMatches(args[0], args[1])
	case "REGEX":
		return regexFunction(args)
	case "REPLACE":
		return replace(args)
	}
	s := args[0]
	if !stringLiteral(s) {
		return rdf.Term{}, typeErrorf("%s of %s, which is not a string literal", name, describe(s))
	}
	switch name {
	case "STRLEN":
		return integerNumber(int64(utf8.RuneCountInString(s.Value))).term(), nil
	case "UCASE":
		return withValue(s, strings.ToUpper(s.Value)), nil
	case "LCASE":
		return withValue(s, strings.ToLower(s.Value)), nil
	case "ENCODE_FOR_URI":
		return stringTerm(encodeForURI(s.Value)), nil
	case "SUBSTR":
		return substr(s, args[1:])
	}
	if !compatible(s, args[1]) {
		return rdf.Term{}, typeErrorf("%s of %s and %s, which are not compatible strings", name, describe(s), describe(args[1]))
	}
	sub := args[1].Value
	switch name {
	case "CONTAINS":
		return boolTerm(strings.Contains(s.Value, sub)), nil
	case "STRSTARTS":
		return boolTerm(strings.HasPrefix(s.Value, sub)), nil
	case "STRENDS":
		return boolTerm(strings.HasSuffix(s.Value, sub)), nil
	case "STRBEFORE", "STRAFTER":
		i := strings.Index(s.Value, sub)
		switch {
		case i < 0:
			return stringTerm(""), nil
		case name == "STRBEFORE":
			return withValue(s, s.Value[:i]), nil
		}
		return withValue(s, s.Value[i+len(sub):]), nil
	}
	return rdf.Term{}, typeErrorf("unknown function %s", name)
}

// substr is SUBSTR with XPath's fn:substring rules: the characters at
// positions p (from 1) with round(start) <= p < round(start)+round(length).
func substr(s rdf.Term, args []rdf.Term) (rdf.Term, error) {
	start, ok := numberOf(args[0])
	if !ok {
		return rdf.Term{}, typeErrorf("SUBSTR start %s is not a number", describe(args[0]))
	}
	from := roundHalfUp(start.float())
	to := math.Inf(1)
	if len(args) > 1 {
		length, ok := numberOf(args[1])
		if !ok {
			return rdf.Term{}, typeErrorf("SUBSTR length %s is not a number", describe(args[1]))
		}
		to = from + roundHalfUp(length.float())
	}
	var b strings.Builder
	p := 0
	for _, r := range s.Value {
		p++
		if pos := float64(p); pos >= from && pos < to {
			b.WriteRune(r)
		}
	}
	return withValue(s, b.String()), nil
}

// encodeForURI percent-encodes every byte but the unreserved characters
// of RFC 3986.
func encodeForURI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// concat joins string literals; the result keeps a language tag only when
// every argument has that same tag.
func concat(args []rdf.Term) (rdf.Term, error) {
	var b strings.Builder
	lang := ""
	for i, a := range args {
		if !stringLiteral(a) {
			return rdf.Term{}, typeErrorf("CONCAT of %s, which is not a string literal", describe(a))
		}
		switch {
		case i == 0:
			lang = a.Lang
		case !strings.EqualFold(lang, a.Lang):
			lang = ""
		}
		b.WriteString(a.Value)
	}
	return rdf.NewLiteral(b.String(), rdf.XSDString, lang), nil
}

func strlang(s, lang rdf.Term) (rdf.Term, error) {
	if !simpleLiteral(s) || !simpleLiteral(lang) {
		return rdf.Term{}, typeErrorf("STRLANG of %s and %s: both must be simple literals", describe(s), describe(lang))
	}
	if !validLangTag(lang.Value) {
		return rdf.Term{}, typeErrorf("STRLANG: %q is not a language tag", lang.Value)
	}
	return rdf.NewLiteral(s.Value, "", lang.Value), nil
}

// validLangTag checks [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*.
func validLangTag(s string) bool {
	for i, part := range strings.Split(s, "-") {
		if len(part) < 1 || len(part) > 8 {
			return false
		}
		for _, c := range part {
			alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
			if !alpha && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

func strdt(s, dt rdf.Term) (rdf.Term, error) {
	if !simpleLiteral(s) || dt.Kind != rdf.IRI {
		return rdf.Term{}, typeErrorf("STRDT of %s and %s: needs a simple literal and an IRI", describe(s), describe(dt))
	}
	if dt.Value == rdf.RDFLangString {
		return rdf.Term{}, typeErrorf("STRDT cannot make an rdf:langString")
	}
	return rdf.NewLiteral(s.Value, dt.Value, ""), nil
}

// langMatches is LANGMATCHES with RFC 4647's basic filtering: "*" matches
// any tag, otherwise the range or a prefix of it ending at a hyphen,
// ignoring case.
func langMatches(tag, rng rdf.Term) (rdf.Term, error) {
	if !simpleLiteral(tag) || !simpleLiteral(rng) {
		return rdf.Term{}, typeErrorf("LANGMATCHES of %s and %s: both must be simple literals", describe(tag), describe(rng))
	}
	t, r := strings.ToLower(tag.Value), strings.ToLower(rng.Value)
	if r == "*" {
		return boolTerm(t != ""), nil
	}
	return boolTerm(t == r || strings.HasPrefix(t, r+"-")), nil
}

// regexArgs checks and compiles the pattern and flags of REGEX or REPLACE.
func regexArgs(name string, pattern rdf.Term, flags []rdf.Term) (*regexp.Regexp, error) {
	if !simpleLiteral(pattern) {
		return nil, typeErrorf("%s pattern %s is not a simple literal", name, describe(pattern))
	}
	f := ""
	if len(flags) > 0 {
		if !simpleLiteral(flags[0]) {
			return nil, typeErrorf("%s flags %s are not a simple literal", name, describe(flags[0]))
		}
		f = flags[0].Value
	}
	re, err := compileXPathRegex(pattern.Value, f)
	if err != nil {
		return nil, typeErrorf("%s: %v", name, err)
	}
	return re, nil
}

func regexFunction(args []rdf.Term) (rdf.Term, error) {
	if !stringLiteral(args[0]) {
		return rdf.Term{}, typeErrorf("REGEX of %s, which is not a string literal", describe(args[0]))
	}
	re, err := regexArgs("REGEX", args[1], args[2:])
	if err != nil {
		return rdf.Term{}, err
	}
	return boolTerm(re.MatchString(args[0].Value)), nil
}

// replace is REPLACE with XPath's fn:replace: $N in the replacement is
// group N, \$ and \\ are a literal $ and \, and a pattern that matches
// the empty string is an error.
func replace(args []rdf.Term) (rdf.Term, error) {
	s, repl := args[0], args[2]
	if !stringLiteral(s) {
		return rdf.Term{}, typeErrorf("REPLACE of %s, which is not a string literal", describe(s))
	}
	if !simpleLiteral(repl) {
		return rdf.Term{}, typeErrorf("REPLACE replacement %s is not a simple literal", describe(repl))
	}
	re, err := regexArgs("REPLACE", args[1], args[3:])
	if err != nil {
		return rdf.Term{}, err
	}
	if re.MatchString("") {
		return rdf.Term{}, typeErrorf("REPLACE pattern %q matches the empty string", args[1].Value)
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s.Value, -1) {
		groups := make([]string, len(m)/2)
		for g := range groups {
			if m[2*g] >= 0 {
				groups[g] = s.Value[m[2*g]:m[2*g+1]]
			}
		}
		r, err := expandReplacement(repl.Value, groups, re.NumSubexp())
		if err != nil {
			return rdf.Term{}, err
		}
		b.WriteString(s.Value[last:m[0]])
		b.WriteString(r)
		last = m[1]
	}
	b.WriteString(s.Value[last:])
	out := b.String()
	return withValue(s, out), nil
}

// expandReplacement writes a replacement string for one match; groups
// holds the match's groups, numGroups how many the pattern has.
func expandReplacement(repl string, groups []string, numGroups int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			if i+1 < len(repl) && (repl[i+1] == '\\' || repl[i+1] == '$') {
				b.WriteByte(repl[i+1])
				i++
				continue
			}
			return "", typeErrorf("REPLACE replacement %q: \\ must be followed by \\ or $", repl)
		case '$':
			if i+1 >= len(repl) || repl[i+1] < '0' || repl[i+1] > '9' {
				return "", typeErrorf("REPLACE replacement %q: $ must be followed by a digit", repl)
			}
			n := int(repl[i+1] - '0')
			i++
			// Take more digits while they still name a group.
			for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' && n*10+int(repl[i+1]-'0') <= numGroups {
				n = n*10 + int(repl[i+1]-'0')
				i++
			}
			if n < len(groups) {
				b.WriteString(groups[n])
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
