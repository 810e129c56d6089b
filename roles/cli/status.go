package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/proto"

	"github.com/akutan-dev/akutan/cluster/health"
	"github.com/akutan-dev/akutan/internal/jsontext"
	"github.com/akutan-dev/akutan/wire"
)

const (
	// statusPollInterval is how often --wait asks again.
	statusPollInterval = time.Second
	// statusAttemptTimeout bounds one request while waiting, so that an
	// API server that hangs is asked again rather than waited for.
	statusAttemptTimeout = 10 * time.Second
)

// statusCommand is `akutan status`: the log, each space's coverage, and
// the verdict (healthy / fully available / unavailable). The API server
// named by --api computes it from its gossip and the log.
func statusCommand() *cli.Command {
	return withConfig(&cli.Command{
		Name:  "status",
		Usage: "show the log's and each Akutan cluster's coverage and health",
		Description: "Prints the log and its replicas (up or down), then one block per Akutan cluster the API\n" +
			"server can judge (its own gossip pool): each space's hash ranges with how many up-to-date\n" +
			"views serve them, the views that are lagging or booting, the API servers and the cluster's\n" +
			"verdict with its reasons; with several clusters, the database's verdict (every cluster's).\n" +
			"--cluster NAME shows, judges and waits for that cluster only. With --api naming one API\n" +
			"server of each cluster (comma-separated), it judges the whole database: every cluster and\n" +
			"the database's verdict.\n" +
			"Exits 0 whenever it got a status; with --wait, exits non-zero unless the verdict holds\n" +
			"within --timeout (for rolling restarts: restart one server, then `akutan status --wait healthy`).\n" +
			"--wait covered --space S --partitions N --replicas K waits until space S is served in N\n" +
			"partitions (the ranges of `view --partition i/N`), each by at least K up-to-date views whose\n" +
			"range is exactly that partition (wider or narrower views do not count): start the views of\n" +
			"a new partitioning, wait for it, then stop the old views. On timeout it names each\n" +
			"partition still short and its views that are not up to date.",
		Flags: append(clientFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print the status document as JSON (the same as GET /v1/status)"},
			str("wait", "", "poll until `COND` holds: healthy, available (fully available), or covered (see --space); fail after --timeout"),
			str("cluster", "", "only the Akutan cluster `NAME` (its --cluster, or its --dc without one): its block, its verdict, and what --wait waits for"),
			str("space", "", "with --wait covered: the `SPACE` (hashsp or hashpo)"),
			&cli.IntFlag{Name: "partitions", Usage: "with --wait covered: the number `N` of equal partitions (as in view --partition i/N)"},
			&cli.IntFlag{Name: "replicas", Value: 1, Usage: "with --wait covered: up-to-date views `K` each partition needs"},
			num("max-lag", health.DefaultMaxLag, "a serving view more than `N` entries behind the log's last index is lagging, not up to date"),
		),
		Action: runStatus,
	})
}

func runStatus(c *cli.Context) error {
	holds, err := statusWaitCondition(c)
	if err != nil {
		return err
	}
	apis := list(c.String("api"))
	if len(apis) == 0 {
		return fmt.Errorf("--api names no API server")
	}
	clients := make([]wire.StatusClient, len(apis))
	for i, addr := range apis {
		client, closeConn, err := dialStatus(c, addr)
		if err != nil {
			return err
		}
		defer closeConn()
		clients[i] = client
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	req := &wire.StatusRequest{MaxLag: proto.Uint64(c.Uint64("max-lag"))}
	get := func(ctx context.Context) ([]byte, health.Report, error) {
		raw, rep, err := fetchStatuses(ctx, apis, clients, req)
		if err != nil {
			return nil, rep, err
		}
		return selectCluster(c.String("cluster"), raw, rep)
	}
	if holds == nil {
		raw, rep, err := get(ctx)
		if err != nil {
			return hintAPI(c.String("api"), err)
		}
		return printStatus(c.Bool("json"), raw, rep)
	}
	want := c.String("wait")
	if want == "covered" {
		want = fmt.Sprintf("covered by %s", coveredWant(c))
	}
	if name := c.String("cluster"); name != "" {
		want = fmt.Sprintf("%s (cluster %s)", want, name)
	}
	return hintAPI(c.String("api"), waitStatus(ctx, get, want, holds, c.Bool("json")))
}

// fetchStatuses asks every API server (one per cluster: each judges its
// own gossip pool) and merges their reports into the database's
// (health.Merge). With one API server the document is as it sent it.
func fetchStatuses(ctx context.Context, apis []string, clients []wire.StatusClient, req *wire.StatusRequest) ([]byte, health.Report, error) {
	if len(clients) == 1 {
		return fetchStatus(ctx, clients[0], req)
	}
	reps := make([]health.Report, len(clients))
	errs := make([]error, len(clients))
	var wg sync.WaitGroup
	for i, client := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, reps[i], errs[i] = fetchStatus(ctx, client, req)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, health.Report{}, fmt.Errorf("API server %s: %w", apis[i], err)
		}
	}
	rep := health.Merge(reps...)
	raw, err := jsontext.Marshal(rep)
	if err != nil {
		return nil, rep, fmt.Errorf("encoding the merged status: %w", err)
	}
	return raw, rep, nil
}

// selectCluster narrows the document to the cluster name (all of it when
// name is empty). It fails when the API server judged no such cluster.
func selectCluster(name string, raw []byte, rep health.Report) ([]byte, health.Report, error) {
	if name == "" {
		return raw, rep, nil
	}
	one, ok := rep.Cluster(name)
	if !ok {
		var seen []string
		for _, c := range rep.Clusters {
			seen = append(seen, c.Name)
		}
		return nil, rep, fmt.Errorf("the API server sees no server of cluster %q (it judges: %s); "+
			"an API server judges only the clusters of its own gossip pool: ask one in cluster %q",
			name, strings.Join(seen, ", "), name)
	}
	b, err := jsontext.Marshal(one)
	if err != nil {
		return nil, rep, fmt.Errorf("encoding the status of cluster %q: %w", name, err)
	}
	return b, one, nil
}

// waitCondition says whether a report satisfies --wait, and if not, what
// is still missing.
type waitCondition func(health.Report) (ok bool, missing []string)

// statusWaitCondition turns --wait into the condition to wait for; nil for
// none.
func statusWaitCondition(c *cli.Context) (waitCondition, error) {
	wait := c.String("wait")
	if wait != "covered" && (c.IsSet("space") || c.IsSet("partitions") || c.IsSet("replicas")) {
		return nil, fmt.Errorf("--space, --partitions and --replicas go with --wait covered")
	}
	switch wait {
	case "":
		return nil, nil
	case "healthy":
		return func(r health.Report) (bool, []string) { return r.Healthy, r.Reasons }, nil
	case "available", "fully-available":
		return func(r health.Report) (bool, []string) { return r.FullyAvailable, r.Reasons }, nil
	case "covered":
		if !c.IsSet("space") || !c.IsSet("partitions") {
			return nil, fmt.Errorf("--wait covered needs --space and --partitions (and --replicas, default 1)")
		}
		want := coveredWant(c)
		if err := want.Validate(); err != nil {
			return nil, fmt.Errorf("--wait covered: %w", err)
		}
		return func(r health.Report) (bool, []string) {
			missing, _ := health.Missing(r, want) // want is valid
			return len(missing) == 0, missing
		}, nil
	}
	return nil, fmt.Errorf("--wait must be healthy, available or covered, not %q", wait)
}

// coveredWant is the partitioning --wait covered waits for.
func coveredWant(c *cli.Context) health.Partitioning {
	return health.Partitioning{Space: c.String("space"), Partitions: c.Int("partitions"), Replicas: c.Int("replicas")}
}

// dialStatus connects to the Status service of the API server at addr.
func dialStatus(c *cli.Context, addr string) (wire.StatusClient, func(), error) {
	conn, err := dialConn(c, addr)
	if err != nil {
		return nil, nil, err
	}
	return wire.NewStatusClient(conn), func() { conn.Close() }, nil
}

// fetchStatus asks once and returns the document both as sent and decoded.
func fetchStatus(ctx context.Context, client wire.StatusClient, req *wire.StatusRequest) ([]byte, health.Report, error) {
	var rep health.Report
	reply, err := client.Status(ctx, req)
	if err != nil {
		return nil, rep, wire.APIError("getting the cluster status", err)
	}
	if err := json.Unmarshal(reply.Json, &rep); err != nil {
		return nil, rep, fmt.Errorf("the API server sent an unreadable status: %w", err)
	}
	return reply.Json, rep, nil
}

// printStatus prints the document as indented JSON (as sent, so that
// fields this client does not know survive) or as text.
func printStatus(asJSON bool, raw []byte, rep health.Report) error {
	if !asJSON {
		return health.WriteText(os.Stdout, rep)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return fmt.Errorf("formatting the status: %w", err)
	}
	out.WriteByte('\n')
	if _, err := out.WriteTo(os.Stdout); err != nil {
		return fmt.Errorf("writing the status: %w", err)
	}
	return nil
}

// waitStatus polls until holds accepts a report, then prints it. When ctx
// ends first it prints the last report it got and fails with its reasons.
// Errors reaching the API do not stop the wait: during a rolling restart
// the API server itself may be the one restarting.
func waitStatus(ctx context.Context, get func(context.Context) ([]byte, health.Report, error),
	want string, holds waitCondition, asJSON bool) error {
	var raw []byte
	var rep health.Report
	var missing []string
	var last error
	var said []string
	for {
		actx, cancel := context.WithTimeout(ctx, statusAttemptTimeout)
		r, got, err := get(actx)
		cancel()
		if err == nil {
			raw, rep, last = r, got, nil
			var ok bool
			if ok, missing = holds(rep); ok {
				return printStatus(asJSON, raw, rep)
			}
			said = statusProgress(rep.Verdict, missing, said)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return statusWaitFailed(want, raw, rep, missing, last, asJSON)
		case <-time.After(statusPollInterval):
		}
	}
}

// statusProgress tells the operator, on stderr, what the wait is waiting for,
// whenever that changes.
func statusProgress(verdict string, missing, said []string) []string {
	now := append([]string{verdict}, missing...)
	if !slices.Equal(now, said) {
		fmt.Fprintf(os.Stderr, "waiting: %s", verdict)
		for _, r := range missing {
			fmt.Fprintf(os.Stderr, "; %s", r)
		}
		fmt.Fprintln(os.Stderr)
	}
	return now
}

// statusWaitFailed prints the last report, if any, and explains the failure.
// missing is what the last report still lacked.
func statusWaitFailed(want string, raw []byte, rep health.Report, missing []string, last error, asJSON bool) error {
	if raw == nil {
		return fmt.Errorf("timed out waiting for the cluster to be %s: no status yet: %w", want, last)
	}
	if err := printStatus(asJSON, raw, rep); err != nil {
		return err
	}
	if last != nil {
		return fmt.Errorf("timed out waiting for the cluster to be %s: last status %s, then: %w", want, rep.Verdict, last)
	}
	return fmt.Errorf("timed out waiting for the cluster to be %s: it is %s: %s", want, rep.Verdict, strings.Join(missing, "; "))
}
