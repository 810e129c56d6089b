// Package viewserver is the view role: a Disk View serving one hash range
// of one space (HashSP or HashPO).
//
// A view is a deterministic state machine. One goroutine tails the central
// log and applies each entry, in order, into the view's store; another
// serves batched lookups as of a log index, waiting until the store has
// applied that index. The view advertises itself (space, range, applied
// index) through gossip, which is how API servers find it.
package viewserver
