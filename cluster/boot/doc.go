// Package boot loads a Disk View's hash range from its peers, the existing
// Disk Views of the same space, instead of replaying the whole log (which
// may have been truncated). It follows docs/booting_views.md (the original
// Akutan design):
//
//   - The booting view plans which peers to ask for which parts of its
//     range (Plan): peers' ranges need not line up with its own, so a 2-way
//     partitioned space can seed a 3-way one. Replicas of the same range
//     share its work. The load is consistent as of one log index: the
//     lowest applied index among the chosen peers. Each peer streams only
//     the keys (with their values: literal annotations) of its assigned
//     sub-range with a log index at or below it;
//     since stores only ever add keys, any snapshot taken after the peer
//     applied that index holds exactly that state.
//   - The booting side (Fetch) streams the sub-ranges concurrently into a
//     viewstore.Loader, which re-checks every key, in big batches, and
//     checks each stream's key count and digest against the source's.
//   - The source side (Carousel) serves every concurrent load with one pass
//     over its data: a load joins the running scan wherever it is and rides
//     until the scan comes back around to where it joined. Loads asking for
//     the same sub-range and index share the chunks built for them.
//
// A hash range is not contiguous in key order (keys are sorted by subject
// or predicate, not by hash), so every load scans the source's whole
// store; the carousel is what keeps several loads from multiplying that.
package boot
