package health

import (
	"context"
	"fmt"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/wire"
)

// DefaultMaxLag is how many entries behind the log's last index a serving
// view may be and still count as up to date (see the package comment for
// why 10,000).
const DefaultMaxLag = 10000

// HealthyCopies is how many up-to-date views must serve every point, and
// how many API servers must be up, for the cluster to be healthy.
const HealthyCopies = 3

// Options are the caller's choices for a report.
type Options struct {
	// MaxLag: see DefaultMaxLag. Zero means exactly caught up.
	MaxLag uint64
	// ReportedBy names the server computing the report.
	ReportedBy string
	// Memory, if set, remembers which log replica (ID and datacenter)
	// answered at which gRPC address, so that a replica that stops
	// answering is still named by ID and datacenter. Check updates it.
	Memory *ReplicaMemory
	// Lost, if set, lists the views and API servers that left gossip
	// without a graceful stop; Check prunes those replaced first.
	Lost *LostMemory
}

// Input is everything a report is computed from.
type Input struct {
	Options
	// Members are the gossip members, the reporting server included.
	Members []gossip.Member
	// Log is the log's linearizable Info, or nil with LogErr set.
	Log    *wire.InfoReply
	LogErr error
	// Replicas are every log replica's answer to its own Info, or why it
	// did not answer; nil if they were not asked.
	Replicas []logclient.ReplicaInfo
	// Unreachable maps the names of view members that could not be
	// connected to, to why; those views do not count as available.
	Unreachable map[string]string
	// Seen maps log replicas' gRPC addresses to the ID and datacenter
	// they last answered with (see ReplicaMemory); may be nil.
	Seen map[string]SeenReplica
	// Now stamps the report.
	Now time.Time
	// LostServers are the views and API servers lost (see LostMemory).
	// They are listed in the report, for information: control_plane.md
	// defines healthy by coverage, the log and live API servers only.
	LostServers []Lost
}

// replicaInfoTimeout bounds each log replica's own Info in a check. It
// needs no Raft round, so a live replica answers in milliseconds.
const replicaInfoTimeout = 2 * time.Second

// LogInfo reads the log's extent and leadership, and every replica's own
// Info; *logclient.Client is one.
type LogInfo interface {
	Info(ctx context.Context, linearizable bool) (*wire.InfoReply, error)
	InfoAll(ctx context.Context) []logclient.ReplicaInfo
}

// Check reads the current gossip members, then, at the same time, the
// log's Info (linearizably), every log replica's own Info and whether
// every view accepts connections, and computes the report. ctx bounds it
// all: give it a deadline. All run at once so that a log that is down,
// which uses up the deadline, does not leave the probes without time (and
// every view looking unreachable).
func Check(ctx context.Context, log LogInfo, members func() []gossip.Member, opts Options) Report {
	in := Input{Options: opts, Members: members()}
	if opts.Lost != nil {
		opts.Lost.Prune(in.Members)
		in.LostServers = opts.Lost.List()
	}
	probed := make(chan map[string]string, 1)
	go func() { probed <- probeViews(ctx, in.Members) }()
	replicas := make(chan []logclient.ReplicaInfo, 1)
	go func() {
		rctx, cancel := context.WithTimeout(ctx, replicaInfoTimeout)
		defer cancel()
		replicas <- log.InfoAll(rctx)
	}()
	in.Log, in.LogErr = log.Info(ctx, true)
	in.Unreachable = <-probed
	in.Replicas = <-replicas
	if opts.Memory != nil {
		opts.Memory.Remember(in.Replicas)
		in.Seen = opts.Memory.Snapshot()
	}
	in.Now = time.Now()
	return Compute(in)
}

// Compute decides coverage, availability and health from in: for every
// Akutan cluster among the members (see ClusterOf) and for the database
// as a whole.
func Compute(in Input) Report {
	r := computeFor(in, in.Members)
	r.Clusters = []Cluster{}
	for _, name := range clusterNames(in.Members) {
		c := clusterReport(name, computeFor(in, clusterMembers(in.Members, name)))
		c.Lost = []Lost{}
		for _, x := range in.LostServers {
			if x.Cluster == name {
				c.Lost = append(c.Lost, x)
			}
		}
		r.Clusters = append(r.Clusters, c)
	}
	r.Lost = append([]Lost{}, in.LostServers...)
	r.judgeDatabase()
	return r
}

// computeFor judges members (views and API servers) with the log of in.
func computeFor(in Input, members []gossip.Member) Report {
	r := Report{
		CheckedAt:  in.Now.UTC(),
		ReportedBy: in.ReportedBy,
		MaxLag:     in.MaxLag,
		Log:        logState(in.Log, in.LogErr, in.Replicas, in.Seen),
	}
	r.ReferenceIndex = referenceIndex(r.Log, members)
	views, placed := classify(&r, members, in.Unreachable)
	r.Views = views
	spaces, pieces := coverSpaces(placed)
	r.Spaces = spaces
	r.judge(pieces)
	return r
}

// logState summarizes the log's Info and the replicas' own answers.
func logState(info *wire.InfoReply, err error, replicas []logclient.ReplicaInfo, seen map[string]SeenReplica) Log {
	l := raftState(info, err)
	if len(l.Replicas) == 0 {
		l.Replicas = membersFromAnswers(replicas)
	}
	markSilent(&l, replicas, seen)
	return l
}

// membersFromAnswers lists the log's members as the replicas that answered
// their own Info know them: when the log has no leader, its membership
// still says which replicas there are.
func membersFromAnswers(replicas []logclient.ReplicaInfo) []LogReplica {
	out := []LogReplica{}
	for _, r := range replicas {
		if r.Err != nil || len(r.Info.Members) == 0 {
			continue
		}
		for _, m := range r.Info.Members {
			out = append(out, LogReplica{ID: m.Id, RaftAddr: m.RaftAddr, GRPCAddr: m.GrpcAddr})
		}
		return out
	}
	return out
}

// raftState summarizes the log's linearizable Info.
func raftState(info *wire.InfoReply, err error) Log {
	l := Log{Replicas: []LogReplica{}, Servers: []Node{}}
	switch {
	case err != nil:
		l.Error = err.Error()
		return l
	case info == nil:
		l.Error = "no answer from the log"
		return l
	}
	l.LeaderID, l.FirstIndex, l.LastIndex = info.LeaderId, info.FirstIndex, info.LastIndex
	for _, m := range info.Members {
		l.Replicas = append(l.Replicas, LogReplica{ID: m.Id, RaftAddr: m.RaftAddr, GRPCAddr: m.GrpcAddr, Leader: m.Id == info.LeaderId})
	}
	l.Available = info.LeaderId != 0
	if !l.Available {
		l.Error = "the log has no leader"
	}
	return l
}

// markSilent records the replicas that did not answer their own Info: by
// gRPC address, and on each member whose ID no answer carried. A silent
// address is matched to its member by what that address answered before
// (seen); failing that, when only one replica is silent, there is no doubt
// whose it is. Every replica gets its datacenter, from its answer or from
// seen.
func markSilent(l *Log, replicas []logclient.ReplicaInfo, seen map[string]SeenReplica) {
	if replicas == nil {
		return
	}
	answered := make(map[uint64]bool)
	dcs := make(map[uint64]string)
	addrs := make(map[uint64]string) // gRPC addresses, by replica ID
	for addr, s := range seen {
		dcs[s.ID] = s.DC
		if prev, ok := addrs[s.ID]; !ok || addr < prev { // one, whatever the map's order
			addrs[s.ID] = addr
		}
	}
	silentOf := make(map[uint64]SilentReplica)
	for _, r := range replicas {
		if r.Err != nil {
			s := SilentReplica{GRPCAddr: r.Addr, Error: r.Err.Error()}
			if known, ok := seen[r.Addr]; ok {
				s.ID = known.ID
				silentOf[known.ID] = s
			}
			l.Silent = append(l.Silent, s)
		} else {
			answered[r.Info.ReplicaId] = true
			dcs[r.Info.ReplicaId] = r.Info.Dc
		}
	}
	for _, r := range replicas { // an answer wins over what was seen
		if r.Err == nil {
			addrs[r.Info.ReplicaId] = r.Addr
		}
	}
	var unmatched []*LogReplica
	for i := range l.Replicas {
		rep := &l.Replicas[i]
		rep.DC = dcs[rep.ID]
		if a := addrs[rep.ID]; a != "" {
			rep.GRPCAddr = a
		}
		if answered[rep.ID] {
			rep.Up = true
			continue
		}
		if s, ok := silentOf[rep.ID]; ok {
			rep.Unreachable = fmt.Sprintf("%s did not answer Info: %s", s.GRPCAddr, s.Error)
			continue
		}
		unmatched = append(unmatched, rep)
	}
	unnamed := 0 // silent addresses not matched to a replica yet
	for _, s := range l.Silent {
		if s.ID == 0 {
			unnamed++
		}
	}
	for _, rep := range unmatched {
		rep.Unreachable = "did not answer Info"
		if unnamed == 0 {
			// Every address asked answered or was matched: this replica's
			// address is not among those this server asks (its --log).
			rep.Unreachable = "not asked: no address this server knows answered as this replica"
		}
		if len(unmatched) == 1 && len(l.Silent) == 1 && l.Silent[0].ID == 0 {
			l.Silent[0].ID = rep.ID
			rep.GRPCAddr = l.Silent[0].GRPCAddr
			rep.Unreachable = fmt.Sprintf("%s did not answer Info: %s", l.Silent[0].GRPCAddr, l.Silent[0].Error)
		}
	}
}

// answering counts the members that answered their own Info.
func (l Log) answering() int {
	n := 0
	for _, r := range l.Replicas {
		if r.Unreachable == "" {
			n++
		}
	}
	return n
}

// referenceIndex is the log's last index, or, without a log, the highest
// applied index advertised by any log server or view: without the log,
// views are at least compared with each other.
func referenceIndex(l Log, members []gossip.Member) uint64 {
	if l.Available {
		return l.LastIndex
	}
	var ref uint64
	for _, m := range members {
		if m.Meta.Role == "log" || m.Meta.Role == "view" {
			ref = max(ref, m.Meta.AppliedIndex)
		}
	}
	return ref
}
