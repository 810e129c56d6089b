package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/wire"
)

// topology builds gossip members: views described by spec, apis API
// servers, and a log whose last index is last.
type topology struct {
	members []gossip.Member
	last    uint64
}

func newTopology(last uint64) *topology { return &topology{last: last} }

// partitions adds copies views serving each of n partitions of sp, all
// caught up.
func (tp *topology) partitions(sp space.Space, n, copies int) *topology {
	for i := 1; i <= n; i++ {
		rg, _ := space.Partition(i, n)
		for c := 0; c < copies; c++ {
			tp.view(sp, rg, gossip.Meta{AppliedIndex: tp.last, Serving: true})
		}
	}
	return tp
}

// view adds one view; meta's role, space and range are filled in.
func (tp *topology) view(sp space.Space, rg space.Range, meta gossip.Meta) *topology {
	meta.Role, meta.Space, meta.RangeStart, meta.RangeEnd = "view", string(sp), rg.Start, rg.End
	name := fmt.Sprintf("view-%d", len(tp.members))
	tp.members = append(tp.members, gossip.Member{Name: name, Addr: name + ":7946", Meta: meta})
	return tp
}

func (tp *topology) apis(n int) *topology {
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("api-%d", i)
		tp.members = append(tp.members, gossip.Member{Name: name, Meta: gossip.Meta{Role: "api", Serving: true}})
	}
	return tp
}

func (tp *topology) input() Input {
	return Input{
		Options: Options{MaxLag: 100, ReportedBy: "test"},
		Members: tp.members,
		Log: &wire.InfoReply{FirstIndex: 1, LastIndex: tp.last, LeaderId: 2,
			Members: []*wire.Member{{Id: 1, RaftAddr: "a:1"}, {Id: 2, RaftAddr: "a:2"}, {Id: 3, RaftAddr: "a:3"}}},
		Now: time.Unix(1e9, 0),
	}
}

func partition(t *testing.T, i, n int) space.Range {
	t.Helper()
	rg, err := space.Partition(i, n)
	if err != nil {
		t.Fatal(err)
	}
	return rg
}

func wantVerdict(t *testing.T, r Report, available, healthy bool) {
	t.Helper()
	if r.FullyAvailable != available || r.Healthy != healthy {
		t.Fatalf("fully_available=%v healthy=%v, want %v %v; reasons %q", r.FullyAvailable, r.Healthy, available, healthy, r.Reasons)
	}
}

func TestLocalTopologyIsAvailableNotHealthy(t *testing.T) {
	r := Compute(newTopology(500).partitions(space.HashSP, 2, 2).partitions(space.HashPO, 2, 2).apis(1).input())
	wantVerdict(t, r, true, false)
	if r.Verdict != VerdictAvailable || len(r.Uncovered) != 0 {
		t.Fatalf("verdict %q, uncovered %v", r.Verdict, r.Uncovered)
	}
	want := []string{
		"hashsp 0x0000000000000000-0xffffffffffffffff has 2 up-to-date views; healthy needs 3",
		"hashpo 0x0000000000000000-0xffffffffffffffff has 2 up-to-date views; healthy needs 3",
		"1 API server up; healthy needs 3",
	}
	if !reflect.DeepEqual(r.Reasons, want) {
		t.Fatalf("reasons\n%q\nwant\n%q", r.Reasons, want)
	}
	for _, s := range r.Spaces {
		if s.MinUpToDate != 2 || len(s.Ranges) != 2 || s.Ranges[1].Views != 2 {
			t.Fatalf("space %+v", s)
		}
	}
	if r.Log.Replicas[1] != (LogReplica{ID: 2, RaftAddr: "a:2", Leader: true}) || r.ReferenceIndex != 500 {
		t.Fatalf("log %+v, reference %d", r.Log, r.ReferenceIndex)
	}
}

func TestThreeCopiesAndThreeAPIsAreHealthy(t *testing.T) {
	r := Compute(newTopology(7).partitions(space.HashSP, 4, 3).partitions(space.HashPO, 1, 3).apis(3).input())
	wantVerdict(t, r, true, true)
	if r.Verdict != VerdictHealthy || len(r.Reasons) != 0 || len(r.UnderReplicated) != 0 {
		t.Fatalf("verdict %q, reasons %q, under-replicated %v", r.Verdict, r.Reasons, r.UnderReplicated)
	}
}

func TestMissingPartitionIsUncovered(t *testing.T) {
	tp := newTopology(10).partitions(space.HashSP, 2, 1).apis(1)
	p1 := partition(t, 1, 2)
	tp.view(space.HashPO, p1, gossip.Meta{AppliedIndex: 10, Serving: true})
	tp.view(space.HashPO, p1, gossip.Meta{AppliedIndex: 10, Serving: true})
	r := Compute(tp.input())
	wantVerdict(t, r, false, false)
	want := []RangeRef{{Space: "hashpo", Range: "0x8000000000000000-0xffffffffffffffff"}}
	if !reflect.DeepEqual(r.Uncovered, want) {
		t.Fatalf("uncovered %v, want %v", r.Uncovered, want)
	}
	if r.Reasons[0] != "hashpo 0x8000000000000000-0xffffffffffffffff has no up-to-date view" {
		t.Fatalf("first reason %q", r.Reasons[0])
	}
}

// A space mid-reshard: a 2-way and a 3-way partitioning at once.
func TestMidReshardCoverage(t *testing.T) {
	two1, two2 := partition(t, 1, 2), partition(t, 2, 2)
	three1, three2, three3 := partition(t, 1, 3), partition(t, 2, 3), partition(t, 3, 3)
	up := gossip.Meta{AppliedIndex: 1000, Serving: true}
	tp := newTopology(1000).partitions(space.HashPO, 1, 3).apis(3)
	for _, rg := range []space.Range{two1, two1, two2, two2, three1, three2, three3} {
		tp.view(space.HashSP, rg, up)
	}
	t.Run("all up to date", func(t *testing.T) {
		r := Compute(tp.input())
		wantVerdict(t, r, true, true)
		sp := r.Spaces[0]
		wantRanges := []RangeCoverage{
			{Range: space.Range{Start: 0, End: three1.End}.String(), UpToDate: 3, Views: 3},
			{Range: space.Range{Start: three2.Start, End: two1.End}.String(), UpToDate: 3, Views: 3},
			{Range: space.Range{Start: two2.Start, End: three2.End}.String(), UpToDate: 3, Views: 3},
			{Range: space.Range{Start: three3.Start, End: two2.End}.String(), UpToDate: 3, Views: 3},
		}
		if sp.Space != "hashsp" || !reflect.DeepEqual(sp.Ranges, wantRanges) {
			t.Fatalf("hashsp coverage\n%+v\nwant\n%+v", sp.Ranges, wantRanges)
		}
	})
	t.Run("middle of the 3-way lagging", func(t *testing.T) {
		lagging := newTopology(1000)
		lagging.members = append(lagging.members, tp.members...)
		lagging.members[len(lagging.members)-2].Meta.AppliedIndex = 800 // three2
		r := Compute(lagging.input())
		wantVerdict(t, r, true, false)
		// The two pieces under three2 both drop to 2 and are named once.
		want := []RangeCount{{Space: "hashsp", Range: three2.String(), UpToDate: 2}}
		if !reflect.DeepEqual(r.UnderReplicated, want) {
			t.Fatalf("under-replicated %v, want %v", r.UnderReplicated, want)
		}
		if v := r.Views[len(r.Views)-2]; v.Status != ViewLagging || v.Lag != 200 {
			t.Fatalf("view %+v, want lagging by 200", v)
		}
	})
	t.Run("gap between partitionings", func(t *testing.T) {
		gap := newTopology(1000).partitions(space.HashPO, 1, 1).apis(1)
		gap.view(space.HashSP, two1, up).view(space.HashSP, three3, up).view(space.HashSP, three1, up)
		r := Compute(gap.input())
		wantVerdict(t, r, false, false)
		want := []RangeRef{{Space: "hashsp", Range: space.Range{Start: two2.Start, End: three2.End}.String()}}
		if !reflect.DeepEqual(r.Uncovered, want) {
			t.Fatalf("uncovered %v, want %v", r.Uncovered, want)
		}
		if got := r.Spaces[0].Ranges[0]; got.UpToDate != 2 || got.Views != 2 {
			t.Fatalf("first piece %+v, want 2 of 2", got)
		}
	})
}

func TestViewStatuses(t *testing.T) {
	full := space.Full()
	tp := newTopology(1000).apis(1)
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 900, Serving: true})                           // lag 100 = max
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 899, Serving: true})                           // lagging
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 5000, Serving: true})                          // ahead of a stale Info
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 1000, State: "booting"})                       // booting
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 1000, State: "failed"})                        // failed
	tp.view(space.HashSP, full, gossip.Meta{AppliedIndex: 1000})                                         // not serving
	tp.view("hashxx", full, gossip.Meta{AppliedIndex: 1000, Serving: true})                              // invalid
	tp.view(space.HashPO, space.Range{Start: 5, End: 4}, gossip.Meta{AppliedIndex: 1000, Serving: true}) // invalid
	r := Compute(tp.input())
	var got []string
	for _, v := range r.Views {
		got = append(got, v.Status)
	}
	want := []string{ViewUpToDate, ViewLagging, ViewUpToDate, ViewBooting, ViewFailed, ViewNotServing, ViewInvalid, ViewInvalid}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
	if r.Views[2].Lag != 0 {
		t.Errorf("a view ahead of the log lags by %d", r.Views[2].Lag)
	}
	if sp := r.Spaces[0]; sp.MinUpToDate != 2 || sp.Ranges[0].Views != 6 {
		t.Errorf("hashsp %+v: want 2 up to date of 6 views", sp)
	}
	if sp := r.Spaces[1]; len(sp.Ranges) != 1 || sp.Ranges[0].Views != 0 || sp.Ranges[0].Range != full.String() {
		t.Errorf("hashpo %+v: want one empty full range", sp)
	}
}

func TestLogAndAPIFailures(t *testing.T) {
	base := func() *topology {
		return newTopology(50).partitions(space.HashSP, 1, 3).partitions(space.HashPO, 1, 3).apis(3)
	}
	t.Run("log error", func(t *testing.T) {
		tp := base()
		tp.members = append(tp.members, gossip.Member{Name: "log-1", Meta: gossip.Meta{Role: "log", AppliedIndex: 70, Serving: true}})
		in := tp.input()
		in.Log, in.LogErr = nil, errors.New("getting log info: context deadline exceeded")
		r := Compute(in)
		wantVerdict(t, r, false, false)
		if r.Log.Available || r.Log.Error == "" || r.ReferenceIndex != 70 || len(r.Log.Servers) != 1 {
			t.Fatalf("log %+v, reference %d", r.Log, r.ReferenceIndex)
		}
		if want := "the log is unavailable: getting log info: context deadline exceeded"; r.Reasons[0] != want {
			t.Fatalf("reasons %q", r.Reasons)
		}
	})
	t.Run("no leader", func(t *testing.T) {
		in := base().input()
		in.Log.LeaderId = 0
		r := Compute(in)
		wantVerdict(t, r, false, false)
		if !strings.Contains(r.Reasons[0], "no leader") {
			t.Fatalf("reasons %q", r.Reasons)
		}
	})
	t.Run("no API", func(t *testing.T) {
		tp := base()
		tp.members = tp.members[:len(tp.members)-3]
		tp.members = append(tp.members, gossip.Member{Name: "api-x", Meta: gossip.Meta{Role: "api"}})
		r := Compute(tp.input())
		wantVerdict(t, r, false, false)
		if !reflect.DeepEqual(r.Reasons, []string{"no API server is up"}) || len(r.APIs) != 1 {
			t.Fatalf("reasons %q, apis %v", r.Reasons, r.APIs)
		}
	})
}

// The JSON document's shape is what scripts and tests rely on.
func TestJSONShape(t *testing.T) {
	tp := newTopology(3).partitions(space.HashSP, 2, 1).apis(1)
	tp.view(space.HashPO, partition(t, 1, 2), gossip.Meta{AppliedIndex: 3, Serving: true, DC: "dc1"})
	b, err := json.Marshal(Compute(tp.input()))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"healthy", "fully_available", "verdict", "reasons", "uncovered", "under_replicated",
		"checked_at", "reported_by", "max_lag", "reference_index", "log", "spaces", "views", "apis"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("no %q in %s", key, b)
		}
	}
	if doc["healthy"] != false || doc["fully_available"] != false {
		t.Errorf("healthy/fully_available: %s", b)
	}
	uncovered, _ := json.Marshal(doc["uncovered"])
	if want := `[{"range":"0x8000000000000000-0xffffffffffffffff","space":"hashpo"}]`; string(uncovered) != want {
		t.Errorf("uncovered = %s, want %s", uncovered, want)
	}
	view := doc["views"].([]any)[2].(map[string]any)
	for key, want := range map[string]any{"space": "hashpo", "dc": "dc1", "status": "up-to-date", "name": "view-3",
		"range": "0x0000000000000000-0x7fffffffffffffff", "applied_index": 3.0, "lag": 0.0, "serving": true} {
		if view[key] != want {
			t.Errorf("view %s = %v, want %v", key, view[key], want)
		}
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil || back.Views[2].Name != "view-3" || back.Spaces[1].MinUpToDate != 0 {
		t.Errorf("round trip: %v %+v", err, back)
	}
}

// An empty cluster still reports both spaces, as uncovered, and empty
// lists rather than nulls.
func TestNothingKnown(t *testing.T) {
	r := Compute(Input{LogErr: errors.New("no log")})
	wantVerdict(t, r, false, false)
	if len(r.Uncovered) != 2 || r.Views == nil || r.APIs == nil || r.Log.Replicas == nil || r.Log.Servers == nil {
		t.Fatalf("%+v", r)
	}
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), "null") {
		t.Errorf("null in %s", b)
	}
}

func TestWriteTextEmptyLog(t *testing.T) {
	in := newTopology(0).apis(1).input()
	var b strings.Builder
	if err := WriteText(&b, Compute(in)); err != nil || !strings.HasPrefix(b.String(), "log: available, leader 2, no entries (next index 1)\n") {
		t.Fatalf("%v: %s", err, b.String())
	}
	in.Log, in.LogErr = nil, errors.New("getting log info: boom")
	b.Reset()
	if err := WriteText(&b, Compute(in)); err != nil || !strings.HasPrefix(b.String(), "log: UNAVAILABLE: getting log info: boom\n") {
		t.Fatalf("%v: %s", err, b.String())
	}
}

func TestWriteText(t *testing.T) {
	tp := newTopology(10).partitions(space.HashSP, 2, 2).apis(1)
	tp.view(space.HashPO, partition(t, 1, 2), gossip.Meta{AppliedIndex: 10, Serving: true})
	tp.view(space.HashPO, partition(t, 2, 2), gossip.Meta{AppliedIndex: 1, State: "booting"})
	var b strings.Builder
	if err := WriteText(&b, Compute(tp.input())); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"log: available, leader 2, first index 1, last index 10\n",
		"replica 2  raft a:2  leader\n",
		"hashsp  [" + strings.Repeat("2", 64) + "]  min 2\n",
		"hashpo  [" + strings.Repeat("1", 32) + strings.Repeat("0", 32) + "]  min 0\n",
		"0x8000000000000000-0xffffffffffffffff  0 up to date of 1 view  UNCOVERED\n",
		"views: 5 up to date of 6\n",
		"booting     view-6  hashpo 0x8000000000000000-0xffffffffffffffff  applied 1, 9 behind\n",
		"api servers: 1\n",
		"verdict: UNAVAILABLE\n  - hashpo 0x8000000000000000-0xffffffffffffffff has no up-to-date view\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A sliver of a gap shows in the bar although it is far narrower than a
// cell.
func TestBarShowsSlivers(t *testing.T) {
	tp := newTopology(1).apis(1)
	tp.view(space.HashSP, space.Range{Start: 0, End: 1<<63 - 2}, gossip.Meta{AppliedIndex: 1, Serving: true})
	tp.view(space.HashSP, space.Range{Start: 1 << 63, End: 1<<64 - 1}, gossip.Meta{AppliedIndex: 1, Serving: true})
	got := bar(Compute(tp.input()).Spaces[0])
	if want := strings.Repeat("1", 31) + "0" + strings.Repeat("1", 32); got != want {
		t.Fatalf("bar %s, want %s", got, want)
	}
}

// A log replica that does not answer its own Info (frozen, partitioned)
// makes the cluster unhealthy, named with the reason; while a majority
// answers the cluster stays fully available.
func TestSilentLogReplica(t *testing.T) {
	healthy := func() Input {
		return newTopology(9).partitions(space.HashSP, 1, 3).partitions(space.HashPO, 1, 3).apis(3).input()
	}
	answers := func(silent ...uint64) []logclient.ReplicaInfo {
		var out []logclient.ReplicaInfo
		for id := uint64(1); id <= 3; id++ {
			addr := fmt.Sprintf("g:%d", id)
			if slices.Contains(silent, id) {
				out = append(out, logclient.ReplicaInfo{Addr: addr, Err: errors.New("context deadline exceeded")})
			} else {
				out = append(out, logclient.ReplicaInfo{Addr: addr, Info: &wire.InfoReply{ReplicaId: id}})
			}
		}
		return out
	}
	in := healthy()
	in.Replicas = answers()
	wantVerdict(t, Compute(in), true, true)

	in.Replicas = answers(2)
	r := Compute(in)
	wantVerdict(t, r, true, false)
	if want := []string{"log replica 2 (g:2) is down: it does not answer: context deadline exceeded"}; !reflect.DeepEqual(r.Reasons, want) {
		t.Fatalf("reasons %q, want %q", r.Reasons, want)
	}
	if got := r.Log.Replicas[1].Unreachable; got != "g:2 did not answer Info: context deadline exceeded" || r.Log.Replicas[0].Unreachable != "" {
		t.Fatalf("replicas %+v", r.Log.Replicas)
	}
	var text strings.Builder
	if err := WriteText(&text, r); err != nil || !strings.Contains(text.String(), "replica 2  raft a:2  grpc g:2  leader  NOT ANSWERING: g:2") {
		t.Fatalf("text (%v):\n%s", err, text.String())
	}
	// Every replica is listed with its gRPC address (akutan ctl log --log).
	if !strings.Contains(text.String(), "replica 1  raft a:1  grpc g:1\n") || r.Log.Replicas[0].GRPCAddr != "g:1" {
		t.Errorf("replica 1 without its gRPC address:\n%s", text.String())
	}

	in.Replicas = answers(1, 2)
	r = Compute(in)
	wantVerdict(t, r, false, false)
	if want := "only 1 of 3 log replicas answer; the log needs a majority"; r.Reasons[0] != want {
		t.Fatalf("reasons %q, want first %q", r.Reasons, want)
	}
}
