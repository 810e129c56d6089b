package parser

// docQueries are copies of docs/query/*.bql, the examples of the query
// language manual, so the tests do not depend on files outside the package.
var docQueries = map[string]string{
	"ask_01.bql": `ASK WHERE {
    ?person <born> ?place
    ?place <locatedIn> <Maryland>
}
`,
	"cmp_01.bql": `SELECT * WHERE {
    ?tv rdf:type <TV>
    ?tv <manufacturer> <Samsung>
    ?tv <size> ?size
    ?size <gt> 36^^<inch>
}
`,
	"cmp_02.bql": `ASK WHERE {
    ?fact <UK> <memberOf> <EuropeanUnion>
        ?fact <validUntil> ?until
        ?fact <validFrom> ?from
        ?until <gte> '2019-03-22'
        ?from <lte> '2019-03-22'
}
`,
	"count_01.bql": `SELECT (COUNT(?person) as ?num) WHERE {
    ?person <born> ?place
    ?place <locatedIn> <USA>
}
`,
	"d_01.bql": `SELECT ?manf WHERE {
    ?p rdf:type <TV>
    ?p <manufacturer> ?manf
}
`,
	"d_02.bql": `SELECT DISTINCT ?manf WHERE {
    ?p rdf:type <TV>
    ?p <manufacturer> ?manf
}
`,
	"fp_01.bql": `SELECT * WHERE {
    ?person rdfs:label "John Scalzi"@en
    ?person <born> ?place
}
`,
	"fp_02.bql": `SELECT * WHERE {
    ?person <born> ?place
    ?place <locatedIn> <California>
}
`,
	"fp_03.bql": `SELECT * WHERE {
    ?tv rdf:type <TV>
    ?tv <manufacturer> <Samsung>
    ?tv <size> 65^^<inch>
}
`,
	"limit_01.bql": `SELECT ?tv ?size WHERE {
    ?tv rdf:type <TV>
    ?tv <manufacturer> <Samsung>
    ?tv <size> ?size
}
ORDER BY DESC(?size)
LIMIT 1
`,
	"limit_02.bql": `SELECT ?tv ?size WHERE {
    ?tv rdf:type <TV>
    ?tv <manufacturer> <Samsung>
    ?tv <size> ?size
}
ORDER BY DESC(?size)
LIMIT 1
OFFSET 1
`,
	"opt_01.bql": `SELECT ?person ?bornWhere ?livesWhere WHERE {
    ?person <born> ?bornWhere
    ?bornWhere <locatedIn> <USA>
    ?person <lives>? ?livesWhere
}
`,
	"order_01.bql": `# list Samsung TV's by size.
SELECT ?tv ?size WHERE {
    ?tv rdf:type <TV>
    ?tv <manufacturer> <Samsung>
    ?tv <size> ?size
}
ORDER BY DESC(?size)
`,
	"set_01.bql": `SELECT ?person WHERE {
    ?person <born> ?place
    ?place <locatedIn> ?where
    ?where <in> { <Maryland> , <South_Carolina> }
}
`,
	"tp_01.bql": `# who are the people who were born in USA ?
SELECT * WHERE {
    ?person <born> ?place
    ?place <locatedIn> <USA>
}
`,
}

// exampleData is a copy of docs/query/example_data.tsv.
const exampleData = `<John_Scalzi>    rdfs:label  "John Scalzi"@en
<John_Scalzi>    <born>      <Fairfield>
<John_Scalzi>    <lives>     <Bradford>
<William_Gibson> rdfs:label  "William Gibson"@en
<William_Gibson> <born>      <Conway>
<Neal_Stephenson>   rdfs:label  "Neal Stephenson"@en
<Neal_Stephenson>   <born>      <Forte_Meade>

<Fairfield>      <locatedIn> <California>
<California>     <locatedIn> <USA>
<Conway>         <locatedIn> <South_Carolina>
<Forte_Meade>    <locatedIn> <Maryland>
<Bradford>       <locatedIn> <Ohio>
<Ohio>           <locatedIn> <USA>
<South_Carolina> <locatedIn> <USA>
<Maryland>       <locatedIn> <USA>

<NU7100>         rdf:type       <TV>
<NU7100>         <manufacturer> <Samsung>
<NU7100>         <size>         40^^<inch>
<QN65Q6FNAF>     rdf:type       <TV>
<QN65Q6FNAF>     <manufacturer> <Samsung>
<QN65Q6FNAF>     <size>         65^^<inch>
<N5300>          rdf:type       <TV>
<N5300>          <manufacturer> <Samsung>
<N5300>          <size>         32^^<inch>

?ukFact <UK> <memberOf> <EuropeanUnion>
    ?ukFact <validFrom> '1973-01-01'
    ?ukFact <validUntil> '2019-03-29 23:00:00'
`
