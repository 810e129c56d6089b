package health

import "time"

// Verdicts, from best to worst.
const (
	VerdictHealthy     = "healthy"
	VerdictAvailable   = "fully available"
	VerdictUnavailable = "unavailable"
)

// View statuses. Only ViewUpToDate views count towards coverage, and
// towards health only those not draining (State gossip.StateDraining: told
// by `akutan ctl drain` that they are about to be stopped).
const (
	ViewUpToDate    = "up-to-date"
	ViewLagging     = "lagging"     // serving, but more than MaxLag behind
	ViewBooting     = "booting"     // loading from peers or catching up
	ViewFailed      = "failed"      // stopped applying the log for good
	ViewNotServing  = "not-serving" // not serving, for a reason it did not say
	ViewUnreachable = "unreachable" // in gossip, but its gRPC port refuses connections
	ViewInvalid     = "invalid"     // unknown space or empty range
)

// Report is the status of the database as one server sees it: the log,
// every Akutan cluster it can judge (Clusters), and the top-level verdict
// for the database as a whole. Its JSON encoding is the status document;
// hash ranges appear as "0xSTART-0xEND" (inclusive, as space.Range.String
// writes them).
type Report struct {
	// Judgement is the verdict on the database as a whole.
	Judgement

	CheckedAt  time.Time `json:"checked_at"`
	ReportedBy string    `json:"reported_by"`
	MaxLag     uint64    `json:"max_lag"`
	// ReferenceIndex is the log index views are compared with: the log's
	// last index, or when the log is unavailable the highest applied index
	// any server advertises.
	ReferenceIndex uint64 `json:"reference_index"`

	Log Log `json:"log"`

	// Clusters judges each Akutan cluster among the members separately,
	// as control_plane.md defines healthy and fully available: its own
	// views and API servers, and the log every cluster shares.
	Clusters []Cluster `json:"clusters"`
	// Lost lists every view and API server that left gossip without a
	// graceful stop and was neither replaced nor forgotten since (each
	// cluster's are also in its Lost). Information only: it does not
	// change a verdict.
	Lost []Lost `json:"lost"`
}

// Cluster is the verdict on one Akutan cluster: the views and API servers
// whose --cluster (or, without one, --dc) is Name, and the shared log.
type Cluster struct {
	Name string `json:"name"`
	// DC is the datacenter of the cluster's servers (several, comma-separated,
	// if they disagree).
	DC string `json:"dc"`
	Judgement
	// Lost lists the cluster's views and API servers that left gossip
	// without a graceful stop (see Report.Lost).
	Lost []Lost `json:"lost"`
}

// Judgement is a verdict on a set of views and API servers with the log:
// the top level of a Report for the database, and a Cluster for one
// cluster.
type Judgement struct {
	Healthy        bool   `json:"healthy"`
	FullyAvailable bool   `json:"fully_available"`
	Verdict        string `json:"verdict"`
	// Reasons lists every condition that fails: first those that make the
	// cluster unavailable, then those that only make it unhealthy.
	Reasons []string `json:"reasons"`
	// Uncovered lists the hash ranges that no up-to-date view serves.
	Uncovered []RangeRef `json:"uncovered"`
	// UnderReplicated lists the hash ranges served by fewer than
	// HealthyCopies up-to-date views that are not draining (the uncovered
	// ones included); their UpToDate counts those views.
	UnderReplicated []RangeCount `json:"under_replicated"`

	Spaces []Space `json:"spaces"`
	Views  []View  `json:"views"`
	APIs   []Node  `json:"apis"`
}

// RangeRef names a hash range of a space.
type RangeRef struct {
	Space string `json:"space"`
	Range string `json:"range"`
}

// RangeCount is a hash range and how many up-to-date views serve it.
type RangeCount struct {
	Space    string `json:"space"`
	Range    string `json:"range"`
	UpToDate int    `json:"up_to_date"`
}

// Log is the state of the central log.
type Log struct {
	// Available is true when a linearizable Info succeeded and named a
	// leader; Error says why not.
	Available  bool         `json:"available"`
	Error      string       `json:"error,omitempty"`
	LeaderID   uint64       `json:"leader_id"`
	FirstIndex uint64       `json:"first_index"`
	LastIndex  uint64       `json:"last_index"`
	Replicas   []LogReplica `json:"replicas"`
	// Silent lists the replicas (by gRPC address) that did not answer
	// their own Info, and why.
	Silent  []SilentReplica `json:"silent,omitempty"`
	Servers []Node          `json:"servers"` // log servers seen in gossip
}

// SilentReplica is a log replica that did not answer Info.
type SilentReplica struct {
	// ID is the replica's ID when known (from an earlier answer at this
	// address, or because it is the only silent one); 0 otherwise.
	ID       uint64 `json:"id,omitempty"`
	GRPCAddr string `json:"grpc_addr"`
	Error    string `json:"error"`
}

// LogReplica is one member of the log's Raft group.
type LogReplica struct {
	ID       uint64 `json:"id"`
	DC       string `json:"dc"`
	RaftAddr string `json:"raft_addr"`
	// GRPCAddr is where the replica serves gRPC (what akutan ctl log
	// --log takes): the address it answered Info at, else the one the
	// log's directory records; empty when neither is known.
	GRPCAddr string `json:"grpc_addr,omitempty"`
	Leader   bool   `json:"leader"`
	// Up is true when the replica answered its own Info in this check; a
	// crashed, frozen or partitioned replica is down.
	Up bool `json:"up"`
	// Unreachable says why the replica did not answer its own Info, if it
	// did not (a frozen or partitioned replica, which Raft may not notice).
	Unreachable string `json:"unreachable,omitempty"`
}

// Node is a server seen in gossip.
type Node struct {
	Name         string `json:"name"`
	GossipAddr   string `json:"gossip_addr"`
	GRPCAddr     string `json:"grpc_addr,omitempty"`
	HTTPAddr     string `json:"http_addr,omitempty"`
	DC           string `json:"dc,omitempty"`
	AppliedIndex uint64 `json:"applied_index"`
	// DurableIndex is what a view holds synced to disk (what its
	// cluster's log floor counts; see package cluster/floor).
	DurableIndex  uint64 `json:"durable_index,omitempty"`
	Serving       bool   `json:"serving"`
	State         string `json:"state,omitempty"`
	MaxLogVersion uint32 `json:"max_log_version,omitempty"`
}

// View is a view server seen in gossip.
type View struct {
	Node
	Space  string `json:"space"`
	Range  string `json:"range"`
	Lag    uint64 `json:"lag"`    // entries behind ReferenceIndex
	Status string `json:"status"` // one of the View* constants
	// Unreachable says why connecting to the view failed, if it did.
	Unreachable string `json:"unreachable,omitempty"`
}

// Space is the coverage of one space.
type Space struct {
	Space string `json:"space"`
	// MinUpToDate is the fewest up-to-date views serving any point.
	MinUpToDate int `json:"min_up_to_date"`
	// Ranges tile the whole space, cut at every view's boundaries.
	Ranges []RangeCoverage `json:"ranges"`
}

// RangeCoverage is one sub-range of a space and the views serving all of it.
type RangeCoverage struct {
	Range    string `json:"range"`
	UpToDate int    `json:"up_to_date"`
	// Draining counts the up-to-date views that are draining: they serve,
	// but do not count towards health.
	Draining int `json:"draining,omitempty"`
	Views    int `json:"views"` // up to date or not
}
