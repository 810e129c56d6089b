package fn

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	mathrand "math/rand/v2"
	"strings"

	"github.com/akutan-dev/akutan/query/rdf"
	"github.com/akutan-dev/akutan/query/sparql"
)

// builtin evaluates a call of a built-in function of section 17.4.
func (ev *evaluator) builtin(e *sparql.ExprCall) (rdf.Term, error) {
	// The functional forms evaluate their arguments themselves.
	switch e.Name {
	case "BOUND":
		return ev.bound(e)
	case "IF":
		return ev.ifThenElse(e)
	case "COALESCE":
		return ev.coalesce(e)
	}
	args, err := ev.args(e.Args)
	if err != nil {
		return rdf.Term{}, err
	}
	if lo, hi, known := arity(e.Name); !known {
		return rdf.Term{}, typeErrorf("unknown function %s", e.Name)
	} else if len(args) < lo || hi >= 0 && len(args) > hi {
		return rdf.Term{}, typeErrorf("%s called with %d arguments", e.Name, len(args))
	}
	return ev.apply(e.Name, args)
}

// arity gives the number of arguments each strict built-in takes (max -1
// for any), as the parser knows them (sparql.BuiltinArity); the parser
// checks this already, and this keeps a tree built by hand from indexing
// past its arguments. BOUND, IF and COALESCE are special forms, evaluated
// before arguments are, never here.
func arity(name string) (lo, hi int, known bool) {
	switch name {
	case "BOUND", "IF", "COALESCE":
		return 0, 0, false
	}
	return sparql.BuiltinArity(name)
}

// apply computes a strict built-in from its evaluated arguments.
func (ev *evaluator) apply(name string, args []rdf.Term) (rdf.Term, error) {
	switch name {
	case "ISIRI", "ISURI":
		return boolTerm(args[0].Kind == rdf.IRI), nil
	case "ISBLANK":
		return boolTerm(args[0].Kind == rdf.Blank), nil
	case "ISLITERAL":
		return boolTerm(args[0].Kind == rdf.Literal), nil
	case "ISNUMERIC":
		_, ok := numberOf(args[0])
		return boolTerm(ok), nil
	case "SAMETERM":
		return boolTerm(SameTerm(args[0], args[1])), nil
	case "STR":
		return str(args[0])
	case "LANG":
		if args[0].Kind != rdf.Literal {
			return rdf.Term{}, typeErrorf("LANG of %s, which is not a literal", describe(args[0]))
		}
		return stringTerm(args[0].Lang), nil
	case "DATATYPE":
		if args[0].Kind != rdf.Literal {
			return rdf.Term{}, typeErrorf("DATATYPE of %s, which is not a literal", describe(args[0]))
		}
		return rdf.NewIRI(args[0].Datatype), nil
	case "IRI", "URI":
		return ev.iri(name, args[0])
	case "BNODE":
		return ev.bnode(args)
	case "RAND":
		return number{kind: kindDouble, f: mathrand.Float64()}.term(), nil
	case "NOW":
		return nowTerm(ev.env.Now), nil
	case "UUID":
		u, err := newUUID()
		if err != nil {
			return rdf.Term{}, err
		}
		return rdf.NewIRI("urn:uuid:" + u), nil
	case "STRUUID":
		u, err := newUUID()
		if err != nil {
			return rdf.Term{}, err
		}
		return stringTerm(u), nil
	case "ABS", "CEIL", "FLOOR", "ROUND":
		n, ok := numberOf(args[0])
		if !ok {
			return rdf.Term{}, typeErrorf("%s of %s, which is not a number", name, describe(args[0]))
		}
		return n.rounding(name).term(), nil
	case "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ":
		return dateTimeField(name, args[0])
	case "MD5", "SHA1", "SHA256", "SHA384", "SHA512":
		return digest(name, args[0])
	}
	return stringFunction(name, args)
}

func (ev *evaluator) bound(e *sparql.ExprCall) (rdf.Term, error) {
	if len(e.Args) != 1 {
		return rdf.Term{}, typeErrorf("BOUND called with %d arguments", len(e.Args))
	}
	v, ok := e.Args[0].(*sparql.ExprTerm)
	if !ok || v.Term.Kind != sparql.Var {
		return rdf.Term{}, typeErrorf("BOUND takes a variable")
	}
	bound := false
	if ev.binding != nil {
		t, ok := ev.binding(v.Term.Value)
		bound = ok && t.Kind != 0
	}
	return boolTerm(bound), nil
}

// ifThenElse evaluates only the branch the condition picks; an error in
// the condition is the result.
func (ev *evaluator) ifThenElse(e *sparql.ExprCall) (rdf.Term, error) {
	if len(e.Args) != 3 {
		return rdf.Term{}, typeErrorf("IF called with %d arguments", len(e.Args))
	}
	cond, err := ev.ebvOf(e.Args[0])
	if err != nil {
		return rdf.Term{}, err
	}
	if cond {
		return ev.eval(e.Args[1])
	}
	return ev.eval(e.Args[2])
}

// coalesce returns the first argument that evaluates without a type
// error.
func (ev *evaluator) coalesce(e *sparql.ExprCall) (rdf.Term, error) {
	for _, arg := range e.Args {
		t, err := ev.eval(arg)
		if err == nil {
			return t, nil
		}
		if !isTypeError(err) {
			return rdf.Term{}, err
		}
	}
	return rdf.Term{}, typeErrorf("COALESCE: no argument has a value")
}

// str is STR: an IRI's string or a literal's lexical form.
func str(t rdf.Term) (rdf.Term, error) {
	switch t.Kind {
	case rdf.IRI, rdf.Literal:
		return stringTerm(t.Value), nil
	}
	return rdf.Term{}, typeErrorf("STR of %s", describe(t))
}

// iri is IRI(): an IRI as it is, or a simple literal resolved against the
// base IRI.
func (ev *evaluator) iri(name string, t rdf.Term) (rdf.Term, error) {
	if t.Kind == rdf.IRI {
		return t, nil
	}
	if !simpleLiteral(t) {
		return rdf.Term{}, typeErrorf("%s of %s, which is neither an IRI nor a simple literal", name, describe(t))
	}
	s := t.Value
	if ev.env.Base != "" {
		s = rdf.ResolveIRI(ev.env.Base, s)
	}
	if i := strings.IndexAny(s, "<>\"{}|\\^` \t\n\r"); i >= 0 {
		return rdf.Term{}, typeErrorf("%s(%s): %q may not appear in an IRI", name, describe(t), s[i])
	}
	return rdf.NewIRI(s), nil
}

func (ev *evaluator) bnode(args []rdf.Term) (rdf.Term, error) {
	if ev.env.NewBlank == nil {
		return rdf.Term{}, typeErrorf("BNODE outside a solution")
	}
	if len(args) == 0 {
		return ev.env.NewBlank(""), nil
	}
	if !simpleLiteral(args[0]) {
		return rdf.Term{}, typeErrorf("BNODE of %s, which is not a simple literal", describe(args[0]))
	}
	return ev.env.NewBlank(args[0].Value), nil
}

// newUUID returns a random (version 4) UUID in its string form.
func newUUID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generating a UUID: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// digest is MD5, SHA1, SHA256, SHA384 and SHA512 of a simple literal's
// UTF-8 bytes, in lower-case hex.
func digest(name string, t rdf.Term) (rdf.Term, error) {
	if !simpleLiteral(t) {
		return rdf.Term{}, typeErrorf("%s of %s, which is not a simple literal", name, describe(t))
	}
	var h hash.Hash
	switch name {
	case "MD5":
		h = md5.New()
	case "SHA1":
		h = sha1.New()
	case "SHA256":
		h = sha256.New()
	case "SHA384":
		h = sha512.New384()
	default:
		h = sha512.New()
	}
	h.Write([]byte(t.Value))
	return stringTerm(hex.EncodeToString(h.Sum(nil))), nil
}
