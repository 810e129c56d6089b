// Package fanout sends one logical request to the views that cover a set
// of items in a hash space, hiding slow and failed views.
//
// It knows nothing of lookups: callers give it items (hash ranges: a single
// hash for a point lookup, the whole space for a lookup that must ask every
// partition), a way to list the views (targets), and a function that asks
// one view about some units of work. For every request, fanout:
//
//   - cuts items at view range boundaries, so that each unit of work lies
//     entirely inside one view's range even while the space is partitioned
//     two ways at once;
//   - picks, for each unit, a random replica among the up-to-date views that
//     cover it (applied index within MaxLag of the newest), preferring the
//     local datacenter, and sticks to the same replica for neighbouring
//     units so that each view gets one batched call;
//   - runs the calls in parallel, each under the request's context;
//   - retries the units of a failed call on other replicas at once, and when
//     every replica of a unit has failed, backs off, re-reads the targets
//     (a restarted or replaced view shows up there) and sweeps them again:
//     at least Config.Rounds sweeps, and more until Config.Patience has
//     passed since the request started, so that a range whose only
//     replica left is coming back from a restart is waited for; a unit
//     that fails for good names the hash range nobody could answer for;
//   - avoids, across requests, a view whose call failed: for
//     Config.Penalty (or until it answers again) it ranks below every
//     other replica, so requests do not keep paying a failed call to a
//     dead view that gossip still lists;
//   - hedges: when a call has not answered within a delay derived from
//     recent call latencies, races a second replica for the same units,
//     keeps the first complete answer and cancels the loser.
//
// A call's results are handed over (Deliver) only when the call succeeds,
// and only for the units that no other call has answered yet, so retries
// and hedges never duplicate results, and a call that fails part-way (a
// stream broken after some chunks) loses nothing: its units are asked
// again from scratch elsewhere.
//
// Every delay (hedges, backoffs, patience, penalties) is measured with
// Config.Clock, so tests drive a Fanout with a fake clock and fake calls
// instead of waiting.
package fanout
