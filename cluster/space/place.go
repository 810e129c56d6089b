package space

import "github.com/akutan-dev/akutan/storage"

// Hash returns the point of s where fact f lives: HashSP places facts by
// subject and predicate, HashPO by predicate and object (storage defines
// the hashes). Views, the view client and the engine's RPC counts all
// place facts through this one function. s must be valid.
func (s Space) Hash(f storage.Fact) uint64 {
	if s == HashSP {
		return storage.HashSP(f.Subject, f.Predicate)
	}
	return storage.HashPO(f.Predicate, f.Object)
}
