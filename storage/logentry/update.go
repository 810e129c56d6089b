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
	for i, d := range u.Deletes {
		f, err := deletedFact(index, d)
		if err != nil {
			return tx, fmt.Errorf("entry %d, delete %d: %w", index, i, err)
		}
		tx.Deletes = append(tx.Deletes, f)
	}
	inserts, err := InsertedFacts(index, &wire.InsertTx{Facts: u.Inserts})
	if err != nil {
		return tx, err
	}
	tx.Inserts = inserts
	return tx, nil
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
