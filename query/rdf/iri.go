package rdf

import "strings"

// iriParts are the five components of RFC 3986, section 3; has* say
// whether the optional ones are present (an empty query differs from none).
type iriParts struct {
	scheme, authority, path, query, fragment       string
	hasScheme, hasAuthority, hasQuery, hasFragment bool
}

// splitIRI splits a reference with the regular expression of RFC 3986,
// appendix B, which accepts any string.
func splitIRI(s string) iriParts {
	var p iriParts
	if i := strings.IndexByte(s, '#'); i >= 0 {
		p.fragment, p.hasFragment, s = s[i+1:], true, s[:i]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		p.query, p.hasQuery, s = s[i+1:], true, s[:i]
	}
	if i := strings.IndexAny(s, ":/"); i > 0 && s[i] == ':' {
		p.scheme, p.hasScheme, s = s[:i], true, s[i+1:]
	}
	if strings.HasPrefix(s, "//") {
		s = s[2:]
		i := strings.IndexByte(s, '/')
		if i < 0 {
			i = len(s)
		}
		p.authority, p.hasAuthority, s = s[:i], true, s[i:]
	}
	p.path = s
	return p
}

func (p iriParts) String() string {
	var b strings.Builder
	if p.hasScheme {
		b.WriteString(p.scheme + ":")
	}
	if p.hasAuthority {
		b.WriteString("//" + p.authority)
	}
	b.WriteString(p.path)
	if p.hasQuery {
		b.WriteString("?" + p.query)
	}
	if p.hasFragment {
		b.WriteString("#" + p.fragment)
	}
	return b.String()
}

// ResolveIRI resolves ref against base by RFC 3986, section 5.2 (strict:
// a reference with a scheme is absolute even if it equals the base's).
func ResolveIRI(base, ref string) string {
	r, b := splitIRI(ref), splitIRI(base)
	var t iriParts
	switch {
	case r.hasScheme:
		t = r
		t.path = removeDotSegments(r.path)
	case r.hasAuthority:
		t = r
		t.path = removeDotSegments(r.path)
		t.scheme, t.hasScheme = b.scheme, b.hasScheme
	default:
		t = b
		t.hasFragment, t.fragment = r.hasFragment, r.fragment
		switch {
		case r.path == "":
			if r.hasQuery {
				t.query, t.hasQuery = r.query, true
			}
		case strings.HasPrefix(r.path, "/"):
			t.path, t.query, t.hasQuery = removeDotSegments(r.path), r.query, r.hasQuery
		default:
			t.path, t.query, t.hasQuery = removeDotSegments(merge(b, r.path)), r.query, r.hasQuery
		}
	}
	return t.String()
}

// merge joins a relative path to the base's path (RFC 3986, 5.2.3).
func merge(b iriParts, path string) string {
	if b.hasAuthority && b.path == "" {
		return "/" + path
	}
	i := strings.LastIndexByte(b.path, '/')
	return b.path[:i+1] + path
}

// removeDotSegments implements RFC 3986, section 5.2.4.
func removeDotSegments(in string) string {
	var out []string // output segments, each with its leading "/" if any
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			out = dropLast(out)
		case in == "/..":
			in = "/"
			out = dropLast(out)
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/')
			if i < 0 {
				i = len(in)
			} else {
				i++
			}
			out = append(out, in[:i])
			in = in[i:]
		}
	}
	return strings.Join(out, "")
}

func dropLast(s []string) []string {
	if len(s) == 0 {
		return s
	}
	return s[:len(s)-1]
}
