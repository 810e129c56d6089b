package fn

import "testing"

func TestArithmeticBasics(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"1/2", `"0.5"^^xsd:decimal`},
		{"1+2", `"3"^^xsd:integer`},
		{"1.5e0 * 2", `"3.0E0"^^xsd:double`},
		{`CONCAT("a"@en, "b"@en)`, `"ab"@en`},
		{`REGEX("Abc", "^a", "i")`, `"true"^^xsd:boolean`},
		{`ROUND(-2.5)`, `"-2"^^xsd:decimal`},
	})
}
