package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/roles/apiserver"
	"github.com/akutan-dev/akutan/wire"
)

// drainPollInterval is how often ctl drain asks the API servers again.
const drainPollInterval = 200 * time.Millisecond

// ctlDrainCommand is `akutan ctl drain`: mark a view as about to be
// stopped, so that API servers stop sending it lookups first.
func ctlDrainCommand() *cli.Command {
	return &cli.Command{
		Name:  "drain",
		Usage: "tell API servers to stop sending lookups to a view before it is stopped",
		Description: "Asks the view at --view to advertise State \"draining\" in gossip (it keeps serving), then\n" +
			"waits until every API server of the pool that --api knows sees it draining, and reports.\n" +
			"API servers send a draining view lookups only when no other up-to-date view covers its range,\n" +
			"so stopping it afterwards costs no query a retry. A draining view does not count as a copy\n" +
			"for `akutan status` (healthy) nor for `status --wait covered`. --undo clears the mark; so does\n" +
			"restarting the view. Exits non-zero if some API server did not see the change within --settle.",
		Flags: append(clientFlags(),
			str("view", "", "the view's gRPC `HOST:PORT`"),
			&cli.BoolFlag{Name: "undo", Usage: "clear the draining mark instead"},
			dur("settle", 10*time.Second, "wait at most this `DURATION` for every API server to see the change"),
		),
		Action: runDrain,
	}
}

func runDrain(c *cli.Context) error {
	addr := c.String("view")
	if addr == "" {
		return fmt.Errorf("--view HOST:PORT is required")
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	undo := c.Bool("undo")
	dial, err := peerDialOptions(c)
	if err != nil {
		return err
	}
	apiDial, err := apiDialOptions(c)
	if err != nil {
		return err
	}
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dial...)...)
	if err != nil {
		return fmt.Errorf("connecting to view %s: %w", addr, err)
	}
	defer conn.Close()
	reply, err := wire.NewViewClient(conn).Drain(ctx, &wire.DrainRequest{Undo: undo})
	if err != nil {
		return fmt.Errorf("asking view %s to drain: %w", addr, err)
	}
	what := "draining"
	if undo {
		what = "no longer draining"
	}
	fmt.Printf("view %s (%s) is %s\n", reply.GossipName, addr, what)
	if !reply.Serving {
		fmt.Printf("note: the view is not serving, so API servers send it nothing anyway\n")
	}
	if reply.GossipName == "" {
		return fmt.Errorf("view %s is not in gossip: no API server can see the change", addr)
	}
	sctx, scancel := context.WithTimeout(ctx, c.Duration("settle"))
	defer scancel()
	began := time.Now()
	saw, missed, err := waitDrainSeen(sctx, c.String("api"), apiDial, reply.GossipName, !undo)
	if err != nil {
		return err
	}
	if len(missed) > 0 {
		return fmt.Errorf("after %v, %d of %d API servers do not see view %s %s yet: %s",
			time.Since(began).Round(time.Millisecond), len(missed), len(missed)+len(saw), reply.GossipName, what,
			strings.Join(missed, "; "))
	}
	fmt.Printf("all %d API servers see it %s (after %v): %s\n", len(saw), what,
		time.Since(began).Round(time.Millisecond), strings.Join(saw, ", "))
	return nil
}

// waitDrainSeen finds the API servers through the one at api, then asks
// each for its gossip members until every one shows the view named name
// draining (or not, when draining is false), or ctx ends. It returns the
// API servers that saw it, and those that did not with why.
func waitDrainSeen(ctx context.Context, api string, dial []grpc.DialOption, name string, draining bool) (saw, missed []string, err error) {
	members, err := fetchMembers(ctx, api, dial)
	if err != nil {
		return nil, nil, err
	}
	var apis []string
	for _, m := range members {
		if m.Meta.Role == "api" && m.Meta.GRPCAddr != "" {
			apis = append(apis, m.Meta.GRPCAddr)
		}
	}
	slices.Sort(apis)
	if len(apis) == 0 {
		return nil, nil, fmt.Errorf("the API server at %s knows no API servers in gossip", api)
	}
	pending := map[string]string{}
	for _, a := range apis {
		pending[a] = "not asked yet"
	}
	for {
		for _, a := range apis {
			if _, ok := pending[a]; !ok {
				continue
			}
			if why := drainSeenBy(ctx, a, dial, name, draining); why != "" {
				pending[a] = why
				continue
			}
			delete(pending, a)
			saw = append(saw, a)
		}
		if len(pending) == 0 {
			return saw, nil, nil
		}
		select {
		case <-ctx.Done():
			for _, a := range apis {
				if why, ok := pending[a]; ok {
					missed = append(missed, a+": "+why)
				}
			}
			return saw, missed, nil
		case <-time.After(drainPollInterval):
		}
	}
}

// drainSeenBy says why the API server at addr does not (yet) see the view
// named name in the wanted state; "" when it does.
func drainSeenBy(ctx context.Context, addr string, dial []grpc.DialOption, name string, draining bool) string {
	members, err := fetchMembers(ctx, addr, dial)
	if err != nil {
		return err.Error()
	}
	i := slices.IndexFunc(members, func(m apiserver.Member) bool { return m.Name == name })
	switch {
	case i < 0:
		return "it does not see the view in gossip"
	case (members[i].Meta.State == gossip.StateDraining) != draining:
		return fmt.Sprintf("it sees the view's state as %q", members[i].Meta.State)
	}
	return ""
}
