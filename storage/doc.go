// Package storage defines Akutan's data model and its durable formats: facts,
// typed literals, entity IDs (KIDs), the order-preserving key encodings used
// by the HashSP and HashPO Disk Views, and the 64-bit hashes that place a
// fact in each space.
//
// Everything here is deterministic and free of I/O: two processes that encode
// the same fact produce the same bytes, which is what lets views replay the
// log independently and still agree.
package storage
