package logentry

import (
	"fmt"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/wire"
)

// Tx is the effect of an UpdateTx entry at index: facts to delete (each
// becomes a tombstone at Index) and facts to insert.
type Tx struct {
	Index     uint64
	ReadIndex uint64
	Deletes   []storage.Fact
	Inserts   []storage.Fact
}

// AutoCommits reports whether the transaction needs no decision: nothing
// was appended between the read it was built from and the transaction.
func (tx Tx) AutoCommits() bool { return tx.Index == tx.ReadIndex+1 }

// UpdateFacts decodes an UpdateTx at index. Like InsertedFacts, a malformed
// entry yields an error, and every view skips it the same way.
func UpdateFacts(index uint64, u *wire.UpdateTx) (Tx, error) {
	tx := Tx{Index: index, ReadIndex: u.ReadIndex}
	if u.ReadIndex >= index {
		return tx, fmt.Errorf("entry %d: read index %d is not before the entry", index, u.ReadIndex)
	}
	var err error
	if tx.Deletes, tx.Inserts, err = updateFacts(index, u); err != nil {
		return tx, fmt.Errorf("entry %d, %w", index, err)
	}
	return tx, nil
}

// updateFacts decodes an UpdateTx's deletes and inserts at index, with
// errors that do not name the entry (see insertedFacts).
func updateFacts(index uint64, u *wire.UpdateTx) (deletes, inserts []storage.Fact, err error) {
	for i, d := range u.Deletes {
		f, err := deletedFact(index, d)
		if err != nil {
			return nil, nil, fmt.Errorf("delete %d: %w", i, err)
		}
		deletes = append(deletes, f)
	}
	if inserts, err = insertedFacts(index, &wire.InsertTx{Facts: u.Inserts}); err != nil {
		return nil, nil, err
	}
	return deletes, inserts, nil
}

func deletedFact(index uint64, d *wire.DeleteFact) (storage.Fact, error) {
	if d.FactId == 0 || d.Subject == 0 || d.Predicate == 0 {
		return storage.Fact{}, fmt.Errorf("fact ID, subject and predicate must all be set")
	}
	o, err := wire.ToObject(d.Object)
	if err != nil {
		return storage.Fact{}, fmt.Errorf("object: %w", err)
	}
	return storage.Fact{Index: index, ID: d.FactId, Subject: d.Subject, Predicate: d.Predicate, Object: o}, nil
}
