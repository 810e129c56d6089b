package cli

import (
	"context"
	"fmt"
	"google.golang.org/grpc"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/wire"
)

// ctlVerifyCommand is `akutan ctl verify`: compare the state digests of all
// replicas of each view range.
//
// The CLI cannot join gossip (it has no gossip address of its own), so it
// asks the API server at --api for the members it knows (Status.Members),
// then asks each serving view for its digest (ViewBoot.Digest).
func ctlVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "compare the digests of all replicas of each view range",
		Description: "Finds the views through the API server at --api (the members it knows), groups the serving\n" +
			"views by space and hash range, and compares each group's state digests at a common log index: the\n" +
			"lowest index any replica of the group has applied. Prints one row per replica; exits with status 1\n" +
			"if the replicas of some range disagree or cannot be asked. Views that are booting are listed but\n" +
			"not compared.",
		Flags:  clientFlags(),
		Action: runVerify,
	}
}

func runVerify(c *cli.Context) error {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	api, err := apiDialOptions(c)
	if err != nil {
		return err
	}
	peer, err := peerDialOptions(c)
	if err != nil {
		return err
	}
	members, err := fetchMembers(ctx, c.String("api"), api)
	if err != nil {
		return err
	}
	groups := groupViews(members)
	if len(groups) == 0 {
		return fmt.Errorf("the API server at %s knows no views", c.String("api"))
	}
	bad := 0
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SPACE\tRANGE\tINDEX\tREPLICA\tDIGEST\tRESULT")
	for _, g := range groups {
		if !verifyGroup(ctx, g, peer) {
			bad++
		}
		g.print(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("printing the table: %w", err)
	}
	if bad > 0 {
		return fmt.Errorf("the replicas of %d of %d ranges disagree or could not be compared", bad, len(groups))
	}
	fmt.Printf("all %d ranges agree\n", len(groups))
	return nil
}

// fetchMembers asks the API server for the gossip members it knows.
func fetchMembers(ctx context.Context, addr string, dial []grpc.DialOption) ([]apiserver.Member, error) {
	return members.Fetch(ctx, addr, dial...)
}

// replica is one view of a group and what verify learned about it.
type replica struct {
	name, addr string
	state      string // gossip state; "" when serving
	digest     uint64
	fetched    bool // digest is set
	err        error
}

// viewGroup is the views of one space and range.
type viewGroup struct {
	space    string
	rng      space.Range
	replicas []*replica
	index    uint64
	result   string
}

// groupViews groups the views by space and range, sorted.
func groupViews(members []apiserver.Member) []*viewGroup {
	byKey := map[string]*viewGroup{}
	var groups []*viewGroup
	for _, m := range members {
		if m.Meta.Role != "view" {
			continue
		}
		key := m.Meta.Space + " " + m.Meta.Range().String()
		g := byKey[key]
		if g == nil {
			g = &viewGroup{space: m.Meta.Space, rng: m.Meta.Range()}
			byKey[key] = g
			groups = append(groups, g)
		}
		state := m.Meta.State
		switch {
		case m.Meta.Serving:
			state = "" // compared, draining or not
		case state == "":
			state = "not serving"
		}
		g.replicas = append(g.replicas, &replica{name: m.Name, addr: m.Meta.GRPCAddr, state: state})
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].space != groups[j].space {
			return groups[i].space < groups[j].space
		}
		return groups[i].rng.Start < groups[j].rng.Start || groups[i].rng.Start == groups[j].rng.Start && groups[i].rng.End < groups[j].rng.End
	})
	for _, g := range groups {
		sort.Slice(g.replicas, func(i, j int) bool { return g.replicas[i].addr < g.replicas[j].addr })
	}
	return groups
}

// verifyGroup compares the serving replicas' digests at the lowest index
// they have all applied, and reports whether they agree.
func verifyGroup(ctx context.Context, g *viewGroup, dial []grpc.DialOption) bool {
	serving := g.serving()
	if len(serving) == 0 {
		g.result = "NO SERVING REPLICA"
		return false
	}
	applied := make([]uint64, len(serving))
	for i, r := range serving {
		reply, err := askDigest(ctx, r.addr, 0, dial)
		if err != nil {
			r.err = err
			g.result = "ERROR"
			return false
		}
		applied[i] = reply.AppliedIndex
	}
	g.index = applied[0]
	for _, a := range applied {
		g.index = min(g.index, a)
	}
	return g.compare(ctx, serving, dial)
}

// compare fetches every serving replica's digest at g.index.
func (g *viewGroup) compare(ctx context.Context, serving []*replica, dial []grpc.DialOption) bool {
	g.result = "OK"
	for _, r := range serving {
		reply, err := askDigest(ctx, r.addr, g.index, dial)
		if err != nil {
			r.err, g.result = err, "ERROR"
			continue
		}
		r.digest, r.fetched = reply.Digest, true
		if r.digest != serving[0].digest && g.result == "OK" {
			g.result = "MISMATCH"
		}
	}
	return g.result == "OK"
}

func (g *viewGroup) serving() []*replica {
	var out []*replica
	for _, r := range g.replicas {
		if r.state == "" {
			out = append(out, r)
		}
	}
	return out
}

func (g *viewGroup) print(w io.Writer) {
	for _, r := range g.replicas {
		digest := fmt.Sprintf("%016x", r.digest)
		switch {
		case r.err != nil:
			digest = "error: " + r.err.Error()
		case r.state != "":
			digest = r.state + " (not compared)"
		case !r.fetched:
			digest = "-"
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", g.space, g.rng, g.index, r.addr, digest, g.result)
	}
}

// askDigest asks one view for its digest at index (0: at its applied index).
func askDigest(ctx context.Context, addr string, index uint64, dial []grpc.DialOption) (*wire.DigestReply, error) {
	return boot.AskDigest(ctx, addr, index, dial...)
}
