package space

import (
	"testing"

	"github.com/akutan-dev/akutan/storage"
)

// TestHashPlacesFacts: a fact lives at the hash of its subject and
// predicate in HashSP and of its predicate and object in HashPO, so facts
// that share those fields share a view.
func TestHashPlacesFacts(t *testing.T) {
	f := storage.Fact{ID: 9, Subject: 1, Predicate: 2, Object: storage.AInt64(3, 0)}
	if got, want := HashSP.Hash(f), storage.HashSP(1, 2); got != want {
		t.Errorf("HashSP.Hash = %x, want %x", got, want)
	}
	if got, want := HashPO.Hash(f), storage.HashPO(2, storage.AInt64(3, 0)); got != want {
		t.Errorf("HashPO.Hash = %x, want %x", got, want)
	}
	otherObject := f
	otherObject.Object, otherObject.ID = storage.AInt64(4, 0), 10
	if HashSP.Hash(otherObject) != HashSP.Hash(f) || HashPO.Hash(otherObject) == HashPO.Hash(f) {
		t.Error("a fact with another object must share the HashSP point and (almost surely) not the HashPO one")
	}
	otherSubject := f
	otherSubject.Subject = 5
	if HashPO.Hash(otherSubject) != HashPO.Hash(f) || HashSP.Hash(otherSubject) == HashSP.Hash(f) {
		t.Error("a fact with another subject must share the HashPO point and (almost surely) not the HashSP one")
	}
}
