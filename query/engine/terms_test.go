package engine

import (
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// TestObjectKeyIncludesAnnotation: maps, joins and duplicate elimination
// tell "01"^^xsd:integer from 1, and keys concatenate unambiguously.
func TestObjectKeyIncludesAnnotation(t *testing.T) {
	one, zeroOne := storage.AInt64(1, 0), storage.AInt64(1, 0)
	zeroOne.Lex = "01"
	dt := storage.AString("x", "")
	dt.Datatype = "http://ex/dt"
	keys := map[string]storage.Object{}
	for _, o := range []storage.Object{one, zeroOne, storage.AString("x", ""), dt} {
		k := objectKey(o)
		if prev, ok := keys[k]; ok {
			t.Fatalf("%+v and %+v share key %x", prev, o, k)
		}
		keys[k] = o
	}
	if objectKey(zeroOne) != objectKey(zeroOne) || !sameValue(zeroOne, zeroOne) || sameValue(one, zeroOne) {
		t.Fatal("objectKey or sameValue is not term equality")
	}
	a := objectKey(storage.AEntity(1)) + objectKey(zeroOne)
	b := objectKey(storage.AEntity(1)) + objectKey(one)
	if a == b {
		t.Fatal("concatenated keys collide")
	}
}
