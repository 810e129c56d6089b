// Package robustness runs randomized fault scenarios against a real
// multi-process Akutan cluster and checks what its clients saw, in the style
// of etcd's robustness tests.
//
// One cluster (3 log replicas, both spaces in 2 partitions with 2 replicas
// each, 2 API servers) runs a series of runs. Each run injects one fault
// while writers insert unique facts and readers query them:
//
//   - kill -9 of the log leader, a log follower, a view or an API server
//     (restarted after a while);
//   - SIGSTOP of each of those (SIGCONT after a while);
//   - a network partition or added latency between every client of a log
//     replica or of a view and that server, through a TCP proxy (toxiproxy)
//     that the server's clients use instead of its own address;
//   - a full disk under one view (a small tmpfs filled up, then emptied),
//     where the machine lets the test mount one.
//
// Every operation is recorded with its start and end time. After the fault
// is healed, the run checks:
//
//   - linearizability with porcupine (github.com/anishathalye/porcupine):
//     per fact, inserts and the reads that did or did not see it form a
//     register that must be linearizable; and the log indexes that inserts
//     were given and reads were answered at must be ordered as real time
//     orders the operations. A write whose outcome is unknown may have
//     happened at any time after it started;
//   - reads at their log index: a read answered at index I shows exactly
//     the acknowledged facts inserted at indexes up to I;
//   - no lost write: every acknowledged fact is readable once the fault is
//     healed;
//   - no wrong answer: queries with known answers (ASK, COUNT, SELECT
//     LIMIT over fixed data) either fail or answer right.
//
// A failed operation is not a violation: availability is reported, not
// asserted. AKUTAN_ROBUSTNESS_RUNS sets the number of runs (a few by
// default), AKUTAN_ROBUSTNESS_FAULTS limits the fault kinds (comma
// separated), AKUTAN_ROBUSTNESS_SEED fixes the random choices, and
// AKUTAN_ROBUSTNESS_REPORT names a file that gets the counts as JSON.
// run-series runs a long series and prints the counts.
package robustness
