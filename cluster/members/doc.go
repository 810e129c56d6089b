// Package members reads the gossip members an API server knows, through
// its Status.GossipMembers RPC (the JSON of GET /v1/members). It is for
// those outside that API server's gossip pool: the CLI, which joins no
// gossip, and a view of one Akutan cluster that boots from the views of
// another (each cluster gossips only within itself).
package members
