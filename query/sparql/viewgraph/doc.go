// Package viewgraph is SPARQL's view of the stored graph: an eval.Graph
// over the view tier (engine.Views), as of one log index.
//
// # Lookups
//
// Each Match call turns its batch of triple patterns into one batched
// lookup per kind, whichever of a pattern's terms are bound:
//
//	S P O  LookupSPO            one point of HashSP each
//	S P -  LookupSP             one point of HashSP each
//	- P O  LookupPO             one point of HashPO each
//	S - O  LookupS, then O      every HashSP range
//	S - -  LookupS              every HashSP range
//	- P -  LookupP              every HashPO range
//	- P -  LookupPOCmp          with an ObjectFilter it can use: range scans
//	- - O  Scan, then O         every HashSP range: the whole graph
//	- - -  Scan                 every HashSP range: the whole graph
//
// Equal lookups of one batch are asked once, all patterns that need a scan
// share one Scan, and the kinds run in parallel, each in a goroutine of
// its own. Their matches stream: each lookup hands its matches over in
// chunks of 1024, through a channel that holds one chunk per lookup, to
// the goroutine that called Match, which resolves the names of a chunk's
// entities (in one batch, through the Graph's cache) and emits it. A
// lookup whose chunk the channel cannot take waits, and with it the view
// client's reading of the views' replies (which holds at most
// viewclient.StreamAfter matches per range besides), so a Match holds a
// bounded number of facts however many it finds: a pattern with no
// subject and no predicate streams the whole graph rather than holding
// it. emit is called from the calling goroutine only, and may call Match
// again: a lookup waiting to hand over a chunk holds nothing else. The
// first error (a lookup's, naming's, or emit's, such as a LIMIT's stop)
// cancels the other lookups and is returned once all of them have
// returned, so no goroutine outlives a Match. Matches from different
// lookups interleave, in no particular order; a Match that fails may have
// emitted some of its matches.
//
// # Range scans
//
// A pattern with only its predicate known whose eval.Pattern.ObjectFilter
// compares the object with numeric literals (see ranges.go) asks, in the
// Match's one LookupPOCmp batch, for: the int64 objects and the float64
// objects of the predicate in the range the comparisons allow, and every
// plain string object of the predicate (no language tag), which may be a
// numeric literal stored as a string with its datatype (an integer beyond
// int64, a decimal beyond a float64's precision, an ill-typed literal).
// The three find disjoint kinds of objects. Nothing else can compare as a
// number: booleans, timestamps, language strings and entities are left
// out. The range is widened beyond the comparisons (relatively by 2^-20,
// absolutely by 1e-30, and with no bound beyond float32's range) so that
// the roundings of SPARQL's numeric comparisons (an xsd:float compares at
// float32 precision, an integer with a double as doubles) never lose an
// answer; evaluation applies the FILTER exactly. Without numeric
// comparisons, comparisons with xsd:dateTime literals become a range scan
// of the timestamps, widened by 15 hours, and one of every plain string
// (a dateTime storage could not hold as a timestamp). Without either,
// comparisons with simple (xsd:string) literals become one range scan of
// the plain strings: only an xsd:string orders against one, by code
// point, which is the order of the storage encoding. Comparisons with
// other literals (language strings, xsd:date) are ignored. Like every
// lookup by value, a range scan finds only numbers without a unit: a
// number with one (only the Akutan language writes them; a Graph shows it
// without the unit) is not found.
//
// # Terms
//
// An IRI is the entity whose external name is the full IRI; a pattern IRI
// that names no entity matches nothing. An entity without an external name
// is the blank node "b<KID>" (KID in decimal), and an entity named "_:X"
// (an RDF load names its blank nodes `_:load-<id>-<label>`, see
// rdf.BlankName) is the blank node "X"; a blank node in a pattern maps
// back the same ways. A Graph serves one query at one log index, where
// names do not change, so it caches what it resolves, both ways; with
// WithNames it resolves them through a cache shared with the other
// queries at that index (engine.Names: the API server keeps one for
// SPARQL and its own language), which then skip the round trips to the
// views that resolve their constants and name their answers.
//
// Graph is also an eval.Namer (standin.go): MatchUnnamed returns an
// entity a pattern leaves open as a stand-in, a term of a kind of its own
// whose value is the KID, without naming it; a stand-in in a pattern
// means its entity; Name names stand-ins in one batch through the cache,
// and StandIns turns IRIs and blank nodes into them. A BGP evaluated over
// a Graph so names the entities of its answer only: LUBM's Q2 named 496
// entities on its way to 28 solutions, and now 60 (624 lookups in all,
// from 1,060; 557 once the names are shared between queries).
//
// A literal in a pattern is looked up by its value (rdf.LiteralObject),
// and only facts whose object is exactly the pattern's term match
// (storage.SameTerm: value and annotation): RDF term equality, not value
// equality, so "01"^^xsd:integer does not match a stored "1"^^xsd:integer.
// A literal object comes back as the exact term it was stored as
// (rdf.ObjectLiteral); one written in the Akutan language comes back in
// the canonical form of its kind's XSD type.
//
// # Estimates
//
// Graph is an eval.Estimator: with WithStats it estimates a pattern from
// the views' statistics as the Akutan language's planner does
// (planner.Stats.Matches: heavy subject-predicate and predicate-object
// pairs, per-predicate totals), so a BGP starts from its most selective
// pattern. A pattern naming what is not stored is estimated at 0.
//
// # Internal facts
//
// Facts that mention a well-known entity (the KIDs below
// 1<<storage.OffsetBits, such as <HasExternalID>) are Akutan's own
// bookkeeping, not data: no Match returns them, whatever its pattern, and
// a pattern naming such an entity matches nothing.
//
// # Testing
//
// Besides the tests of Match against a simple matcher (over in-memory
// views and over real views through the view client), the W3C SPARQL 1.1
// suites run over a Graph (TestW3C, through evaltest.RunW3C) and every
// positive W3C N-Triples file is loaded and read back (TestNTriplesRoundTrip),
// both over in-memory views written through update.Inserter and a log, as
// the API server writes; see docs/sparql.md. TestRangePushdown checks the
// range scans: random FILTERs over random mixes of numbers, numeric
// literals stored as strings, and other literals answer exactly as over an
// eval.MemGraph, which pushes nothing down.
package viewgraph
