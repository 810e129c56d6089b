package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/gossip"
	"github.com/akutan-dev/akutan/internal/tlsconfig"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/wire"
)

// ctlLogCommand is `akutan ctl log`: truncate, floor, floors, members, add,
// remove, upgrade, info, archive (ctl_log_archive.go). Every subcommand talks to the replicas named by
// --log (any one that answers is enough); changes go through Raft.
func ctlLogCommand() *cli.Command {
	return &cli.Command{
		Name:  "log",
		Usage: "manage the central log: truncation, floors, membership, format version",
		Subcommands: []*cli.Command{
			ctlLogInfoCommand(), ctlLogTruncateCommand(), ctlLogFloorCommand(), ctlLogFloorsCommand(),
			ctlLogMembersCommand(), ctlLogAddCommand(), ctlLogRemoveCommand(), ctlLogUpgradeCommand(),
			ctlLogSetAddressCommand(), ctlLogServersCommand(), ctlLogForgetServerCommand(),
			ctlLogArchiveCommand(), ctlLogReplayCommand(),
		},
	}
}

// ctlLogFlags are shared by every `ctl log` subcommand.
func ctlLogFlags(extra ...cli.Flag) []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "log", Required: true, Usage: "log replicas' gRPC addresses, `HOST:PORT,...`"},
		&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "give up after this `DURATION`"},
	}, append(peerTLSFlags(), extra...)...)
}

// dialLog returns a client for --log, with the TLS flags; the caller
// closes it.
func dialLog(c *cli.Context) (*logclient.Client, error) {
	addrs := list(c.String("log"))
	if len(addrs) == 0 {
		return nil, errors.New("--log needs at least one HOST:PORT")
	}
	dial, err := peerDialOptions(c)
	if err != nil {
		return nil, err
	}
	return logclient.New(addrs, logclient.WithDialOptions(dial...))
}

// withLogClient runs fn with a client for --log, bounded by --timeout.
func withLogClient(c *cli.Context, fn func(ctx context.Context, lc *logclient.Client) error) error {
	lc, err := dialLog(c)
	if err != nil {
		return err
	}
	defer lc.Close()
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	return fn(ctx, lc)
}

func ctlLogTruncateCommand() *cli.Command {
	return &cli.Command{
		Name:  "truncate",
		Usage: "discard the log's prefix on every replica",
		Description: "--before N discards the entries below N, refused past the lowest floor a cluster\n" +
			"registered (see `ctl log floor`) unless --force. --auto discards every entry that all\n" +
			"registered clusters declared safe to lose, and refuses when none registered. Readers\n" +
			"asking for a discarded index get a \"log truncated\" error; the disk space is given back\n" +
			"in the background. --require-archive DIR refuses to discard any entry the log archive in DIR\n" +
			"(`ctl log archive`) does not hold in segments that read back whole; --archive-to DIR first\n" +
			"archives them there, then checks and truncates.",
		Flags: ctlLogFlags(
			&cli.Uint64Flag{Name: "before", Usage: "keep the entries from `INDEX` on"},
			&cli.BoolFlag{Name: "auto", Usage: "keep the entries after the lowest registered floor"},
			&cli.BoolFlag{Name: "force", Usage: "with --before: ignore the floors"},
			&cli.StringFlag{Name: "require-archive", Usage: "refuse to discard entries the log archive `DIR` does not hold whole (see `ctl log archive`)"},
			&cli.StringFlag{Name: "archive-to", Usage: "first archive the entries to discard into the log archive `DIR` (as `ctl log archive` does), then truncate as --require-archive DIR"},
		),
		Action: runLogTruncate,
	}
}

func truncateMode(c *cli.Context) (wire.TruncateMode, error) {
	switch before, auto := c.Uint64("before"), c.Bool("auto"); {
	case auto && before != 0:
		return 0, errors.New("give either --before or --auto, not both")
	case auto && c.Bool("force"):
		return 0, errors.New("--force goes with --before, not --auto")
	case auto:
		return wire.TruncateMode_TRUNCATE_AUTO, nil
	case before == 0:
		return 0, errors.New("--before INDEX (> 0) or --auto is required")
	case c.Bool("force"):
		return wire.TruncateMode_TRUNCATE_FORCE, nil
	}
	return wire.TruncateMode_TRUNCATE_BEFORE, nil
}

func runLogTruncate(c *cli.Context) error {
	mode, err := truncateMode(c)
	if err != nil {
		return err
	}
	return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
		before := c.Uint64("before")
		dir, archive := c.String("require-archive"), (func(uint64) error)(nil)
		if to := c.String("archive-to"); to != "" {
			if dir != "" && dir != to {
				return errors.New("--archive-to and --require-archive name different directories")
			}
			dir = to
			archive = func(through uint64) error {
				return archiveLog(ctx, lc, to, through, defaultSegmentEntries, c.App.Writer)
			}
		}
		if dir != "" {
			if mode, before, err = checkArchived(ctx, lc, dir, mode, before, archive); err != nil {
				return err
			}
		}
		reply, err := lc.Truncate(ctx, mode, before)
		if err != nil {
			return logError("truncate", err)
		}
		fmt.Fprintf(c.App.Writer, "log now retains entries %d to %d\n", reply.FirstIndex, reply.LastIndex)
		return nil
	})
}

func ctlLogFloorCommand() *cli.Command {
	return &cli.Command{
		Name:  "floor",
		Usage: "record the highest log index a cluster can tolerate losing",
		Description: "Each Akutan cluster declares how much of the log it no longer needs (its views\n" +
			"hold the entries up to INDEX durably). Its API servers register it by themselves every\n" +
			"--floor-every (overwriting a floor set here); this command is for clusters without them.\n" +
			"`ctl log truncate --auto` never discards past the lowest floor. --remove forgets a\n" +
			"decommissioned cluster's floor (stop its API servers first, or they register it again).",
		Flags: ctlLogFlags(
			&cli.StringFlag{Name: "cluster", Required: true, Usage: "cluster `NAME`"},
			&cli.Uint64Flag{Name: "index", Usage: "the highest `INDEX` the cluster can tolerate losing"},
			&cli.BoolFlag{Name: "remove", Usage: "forget the cluster's floor"},
		),
		Action: func(c *cli.Context) error {
			if !c.Bool("remove") && !c.IsSet("index") {
				return errors.New("--index is required (or --remove)")
			}
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				if err := lc.SetFloor(ctx, c.String("cluster"), c.Uint64("index"), c.Bool("remove")); err != nil {
					return logError("floor", err)
				}
				if c.Bool("remove") {
					fmt.Fprintf(c.App.Writer, "forgot the floor of cluster %q\n", c.String("cluster"))
				} else {
					fmt.Fprintf(c.App.Writer, "cluster %q can lose the log up to index %d\n", c.String("cluster"), c.Uint64("index"))
				}
				return nil
			})
		},
	}
}

func ctlLogFloorsCommand() *cli.Command {
	return &cli.Command{
		Name:  "floors",
		Usage: "list the registered floors",
		Flags: ctlLogFlags(),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				reply, err := lc.Floors(ctx)
				if err != nil {
					return logError("floors", err)
				}
				fmt.Fprintf(c.App.Writer, "log retains entries %d to %d\n", reply.FirstIndex, reply.LastIndex)
				if len(reply.Floors) == 0 {
					fmt.Fprintln(c.App.Writer, "no cluster has registered a floor")
				}
				tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
				for _, f := range reply.Floors {
					fmt.Fprintf(tw, "%s\t%d\n", f.Cluster, f.Index)
				}
				return tw.Flush()
			})
		},
	}
}

func ctlLogMembersCommand() *cli.Command {
	return &cli.Command{
		Name:  "members",
		Usage: "list the log's replicas (Raft members) and the IDs removed for good",
		Flags: ctlLogFlags(),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				reply, err := lc.Members(ctx)
				if err != nil {
					return logError("members", err)
				}
				printMembers(c.App.Writer, reply)
				return nil
			})
		},
	}
}

func printMembers(w io.Writer, m *wire.MembersReply) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRAFT ADDR\tGRPC ADDR\tDC\tROLE")
	for _, mem := range m.Members {
		role := "follower"
		if mem.Id == m.LeaderId {
			role = "leader"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", mem.Id, mem.RaftAddr, orDash(mem.GrpcAddr), orDash(mem.Dc), role)
	}
	tw.Flush()
	if len(m.Removed) > 0 {
		ids := make([]string, len(m.Removed))
		for i, id := range m.Removed {
			ids[i] = fmt.Sprint(id)
		}
		fmt.Fprintf(w, "removed for good (never reuse): %s\n", strings.Join(ids, ", "))
	}
}

func ctlLogAddCommand() *cli.Command {
	return &cli.Command{
		Name:  "add",
		Usage: "add a replica to the log; then start it with `akutan log --join`",
		Description: "Adds a voting member with a new ID (never one that was removed) at its Raft address.\n" +
			"Then start `akutan log --id ID --raft-addr ADDR --grpc-addr ... --dir EMPTY_DIR --join`:\n" +
			"it catches up from a snapshot and the Raft log. One membership change at a time.\n" +
			"With --grpc-addr the log records where the replica will serve first, so that views and\n" +
			"API servers use it as soon as it runs (the replica also records itself once it runs).",
		Flags: ctlLogFlags(
			&cli.Uint64Flag{Name: "id", Required: true, Usage: "the new replica's `ID`"},
			&cli.StringFlag{Name: "raft-addr", Required: true, Usage: "the new replica's Raft `HOST:PORT`"},
			&cli.StringFlag{Name: "grpc-addr", Usage: "the new replica's gRPC `HOST:PORT` (recorded in the log)"},
			&cli.StringFlag{Name: "dc", Usage: "the new replica's datacenter `NAME` (with --grpc-addr)"},
		),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				reply, err := lc.AddReplica(ctx, c.Uint64("id"), c.String("raft-addr"), c.String("grpc-addr"), c.String("dc"))
				if err != nil {
					return logError("add", err)
				}
				fmt.Fprintf(c.App.Writer, "added replica %d; start it with `akutan log --join`\n", c.Uint64("id"))
				printMembers(c.App.Writer, reply)
				return nil
			})
		},
	}
}

func ctlLogRemoveCommand() *cli.Command {
	return &cli.Command{
		Name:  "remove",
		Usage: "remove a replica from the log for good (its ID is never reused)",
		Flags: ctlLogFlags(&cli.Uint64Flag{Name: "id", Required: true, Usage: "the replica's `ID`"}),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				reply, err := lc.RemoveReplica(ctx, c.Uint64("id"))
				if err != nil {
					return logError("remove", err)
				}
				fmt.Fprintf(c.App.Writer, "removed replica %d; stop its process and delete its data directory\n", c.Uint64("id"))
				printMembers(c.App.Writer, reply)
				return nil
			})
		},
	}
}

func ctlLogInfoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "show the log's extent, leader, members and each replica's applied index",
		Flags: ctlLogFlags(&cli.BoolFlag{Name: "json", Usage: "print a JSON object instead of a table"}),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				doc, err := logInfo(ctx, lc)
				if err != nil {
					return err
				}
				if c.Bool("json") {
					return writeIndentedJSON(c.App.Writer, doc)
				}
				printLogInfo(c.App.Writer, doc)
				return nil
			})
		},
	}
}

// logInfoDoc is what `ctl log info --json` prints.
type logInfoDoc struct {
	Leader     uint64          `json:"leader"`
	FirstIndex uint64          `json:"first_index"`
	LastIndex  uint64          `json:"last_index"`
	Members    []logMemberInfo `json:"members"`
	// Warning says why the extent is not confirmed through Raft, if so.
	Warning string `json:"warning,omitempty"`
}

type logMemberInfo struct {
	ID       uint64 `json:"id"`
	RaftAddr string `json:"raft_addr"`
	GRPCAddr string `json:"grpc_addr,omitempty"`
	DC       string `json:"dc,omitempty"`
	// AppliedIndex is absent when the replica did not answer (or is not
	// among --log).
	AppliedIndex *uint64 `json:"applied_index,omitempty"`
}

// logInfo combines the linearizable extent and membership with each
// replica's own answer. Without a quorum it still reports what the
// replicas that answer say, with a warning.
func logInfo(ctx context.Context, lc *logclient.Client) (*logInfoDoc, error) {
	all := lc.InfoAll(ctx)
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	lin, err := lc.Info(lctx, true)
	cancel()
	doc := &logInfoDoc{}
	if err != nil {
		doc.Warning = fmt.Sprintf("the log did not confirm its extent through Raft (%v): showing the replicas' own views", err)
		if lin = bestLocalInfo(all); lin == nil {
			return nil, fmt.Errorf("no log replica answered: %w", err)
		}
	}
	doc.Leader, doc.FirstIndex, doc.LastIndex = lin.LeaderId, lin.FirstIndex, lin.LastIndex
	byID := make(map[uint64]logclient.ReplicaInfo)
	for _, ri := range all {
		if ri.Err == nil {
			byID[ri.Info.ReplicaId] = ri
		}
	}
	for _, m := range lin.Members {
		mi := logMemberInfo{ID: m.Id, RaftAddr: m.RaftAddr}
		if ri, ok := byID[m.Id]; ok {
			applied := ri.Info.AppliedIndex
			mi.GRPCAddr, mi.DC, mi.AppliedIndex = ri.Addr, ri.Info.Dc, &applied
		}
		doc.Members = append(doc.Members, mi)
	}
	return doc, nil
}

// bestLocalInfo is the answer of the replica that has applied the most.
func bestLocalInfo(all []logclient.ReplicaInfo) *wire.InfoReply {
	var best *wire.InfoReply
	for _, ri := range all {
		if ri.Err == nil && (best == nil || ri.Info.AppliedIndex > best.AppliedIndex) {
			best = ri.Info
		}
	}
	return best
}

func printLogInfo(w io.Writer, doc *logInfoDoc) {
	if doc.Warning != "" {
		fmt.Fprintln(os.Stderr, "warning:", doc.Warning)
	}
	fmt.Fprintf(w, "first index  %d\nlast index   %d\nleader       %s\n", doc.FirstIndex, doc.LastIndex, leaderName(doc.Leader))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRAFT ADDR\tGRPC ADDR\tDC\tAPPLIED\tROLE")
	sort.Slice(doc.Members, func(i, j int) bool { return doc.Members[i].ID < doc.Members[j].ID })
	for _, m := range doc.Members {
		applied, grpcAddr := "unreachable", m.GRPCAddr
		if m.AppliedIndex != nil {
			applied = fmt.Sprint(*m.AppliedIndex)
		}
		if grpcAddr == "" {
			grpcAddr = "-"
		}
		role := "follower"
		if m.ID == doc.Leader {
			role = "leader"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.RaftAddr, grpcAddr, orDash(m.DC), applied, role)
	}
	tw.Flush()
}

// logError reports a failed call by the replica's own words when it
// refused (retrying would not help), and in full otherwise.
func logError(what string, err error) error {
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		switch st := se.GRPCStatus(); st.Code() {
		case codes.FailedPrecondition, codes.InvalidArgument, codes.OutOfRange:
			return fmt.Errorf("%s: %s", what, st.Message())
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}

func leaderName(id uint64) string {
	if id == 0 {
		return "none (no quorum, or an election is under way)"
	}
	return fmt.Sprint(id)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// upgradeGossipWait is how long `ctl log upgrade` listens to gossip by
// default before judging which servers exist.
const upgradeGossipWait = 3 * time.Second

func ctlLogUpgradeCommand() *cli.Command {
	return &cli.Command{
		Name:  "upgrade",
		Usage: "switch the log to a newer entry format version (cannot be undone)",
		Description: "The log refuses unless every server recorded in its directory (every log replica,\n" +
			"view and API server that has connected, up or not; see `ctl log servers`) supports --to,\n" +
			"naming those that do not; retire one gone for good with `ctl log forget-server`.\n" +
			"With --gossip-join it also joins that gossip pool for a few seconds as role \"ctl\" and\n" +
			"refuses unless every server seen there advertises at least --to (a log of an older\n" +
			"release keeps no directory). Then the log appends the entry that switches every reader\n" +
			"to version --to (the only way one gets in: the log refuses it as a plain append).\n" +
			"Roll out binaries that support --to everywhere first: a server that reads the entry\n" +
			"without supporting it stops with an error.",
		Flags: ctlLogFlags(
			&cli.UintFlag{Name: "to", Required: true, Usage: "the log format `VERSION` to switch to"},
			&cli.StringFlag{Name: "gossip-join", Usage: "also check the servers of this gossip pool, `HOST:PORT,...`"},
			&cli.StringFlag{Name: "gossip-addr", Value: "127.0.0.1:0", Usage: "`HOST:PORT` to gossip from (port 0: any)"},
			&cli.StringFlag{Name: "cluster", Usage: "the gossip pool's cluster `NAME`"},
			&cli.StringFlag{Name: "gossip-key", Usage: "base64 AES `KEY` of the gossip pool"},
			&cli.DurationFlag{Name: "gossip-wait", Value: upgradeGossipWait, Usage: "listen to gossip this `DURATION` before judging"},
		),
		Action: runLogUpgrade,
	}
}

func runLogUpgrade(c *cli.Context) error {
	to := uint32(c.Uint("to"))
	if to <= logentry.FirstVersion || to > logentry.MaxSupportedVersion {
		return fmt.Errorf("--to %d: this akutan knows log versions %d to %d; the first can not be upgraded to",
			to, logentry.FirstVersion, logentry.MaxSupportedVersion)
	}
	var members []gossip.Member
	if c.String("gossip-join") != "" {
		var err error
		if members, err = gossipMembers(c); err != nil {
			return err
		}
		if err := checkLogVersions(members, to); err != nil {
			return err
		}
	}
	return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
		reply, err := lc.ChangeVersion(ctx, to)
		if status.Code(err) == codes.Unimplemented {
			return fmt.Errorf("appending the version change: a log replica of an older release answered, "+
				"which neither offers the change nor would apply it: upgrade every log replica first (%w)", err)
		}
		if err != nil {
			return logError("appending the version change", err)
		}
		recorded := 0
		if dir, err := lc.Directory(ctx); err == nil {
			recorded = len(dir.Servers)
		}
		fmt.Fprintf(c.App.Writer, "all %d servers recorded in the log and %d seen in gossip support log version %d; "+
			"the log switches to it at index %d\n", recorded, len(members), reply.Version, reply.Index)
		return nil
	})
}

// gossipMembers joins the gossip pool as a "ctl" node, listens for
// --gossip-wait, leaves, and returns the servers (log, view, api) seen.
func gossipMembers(c *cli.Context) ([]gossip.Member, error) {
	key, err := gossipKey(c)
	if err != nil {
		return nil, err
	}
	// With --tls-*, the pool gossips over mutual TLS: so does this node.
	var tlsSrc *tlsconfig.Source
	if files := (tlsconfig.Files{Cert: c.String("tls-cert"), Key: c.String("tls-key"), CA: c.String("tls-ca")}); files.Enabled() {
		if tlsSrc, err = tlsconfig.Load(files, zerolog.Nop()); err != nil {
			return nil, fmt.Errorf("client TLS: %w", err)
		}
	}
	host, _ := os.Hostname()
	node, err := gossip.Start(c.Context, gossip.Config{
		Name: fmt.Sprintf("ctl-%s-%d", host, os.Getpid()), BindAddr: c.String("gossip-addr"),
		Join: list(c.String("gossip-join")), Cluster: c.String("cluster"), SecretKey: key, TLS: tlsSrc, Logger: zerolog.Nop(),
	}, gossip.Meta{Role: "ctl", Cluster: c.String("cluster")})
	if err != nil {
		return nil, fmt.Errorf("joining gossip: %w", err)
	}
	defer func() {
		_ = node.Leave(time.Second)
		_ = node.Stop()
	}()
	if err := waitJoined(c, node); err != nil {
		return nil, err
	}
	var servers []gossip.Member
	for _, m := range node.Members() {
		if m.Meta.Role == "log" || m.Meta.Role == "view" || m.Meta.Role == "api" {
			servers = append(servers, m)
		}
	}
	if len(servers) == 0 {
		return nil, errors.New("no log, view or api server seen in gossip: check --gossip-join and --cluster")
	}
	return servers, nil
}

// waitJoined waits until a peer accepted the node, then --gossip-wait for
// the membership to arrive.
func waitJoined(c *cli.Context, node *gossip.Node) error {
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	select {
	case <-node.Joined():
	case <-ctx.Done():
		return fmt.Errorf("joining gossip through %s: no peer answered within %v (is it down, or do its --cluster, "+
			"--gossip-key or TLS (--tls-cert, --tls-key, --tls-ca: gossip is over mutual TLS when they are set) differ from these?)",
			c.String("gossip-join"), c.Duration("timeout"))
	}
	select {
	case <-time.After(c.Duration("gossip-wait")):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkLogVersions refuses unless every server supports version to.
// A server that advertises no version predates the field: version 1.
func checkLogVersions(servers []gossip.Member, to uint32) error {
	var old []string
	for _, m := range servers {
		v := max(m.Meta.MaxLogVersion, logentry.FirstVersion)
		if v < to {
			old = append(old, fmt.Sprintf("%s (%s at %s, supports up to version %d)", m.Name, m.Meta.Role, m.Meta.GRPCAddr, v))
		}
	}
	if len(old) > 0 {
		return fmt.Errorf("refusing to switch the log to version %d: %d of %d servers do not support it; upgrade them first:\n  %s",
			to, len(old), len(servers), strings.Join(old, "\n  "))
	}
	return nil
}

func ctlLogSetAddressCommand() *cli.Command {
	return &cli.Command{
		Name:  "set-address",
		Usage: "record in the log where a replica serves gRPC (starts the directory of an older log)",
		Description: "Views and API servers follow the log's membership using the gRPC addresses it records.\n" +
			"A log created by this release records them itself. For a log created by an older release,\n" +
			"upgrade every log replica first, then run this once for any replica: the replicas then\n" +
			"record themselves, and every view and API server records the log versions it supports.",
		Flags: ctlLogFlags(
			&cli.Uint64Flag{Name: "id", Required: true, Usage: "the replica's `ID`"},
			&cli.StringFlag{Name: "grpc-addr", Required: true, Usage: "its gRPC `HOST:PORT`"},
			&cli.StringFlag{Name: "dc", Usage: "its datacenter `NAME`"},
		),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				if err := lc.SetReplicaAddress(ctx, c.Uint64("id"), c.String("grpc-addr"), c.String("dc")); err != nil {
					return logError("set-address", err)
				}
				fmt.Fprintf(c.App.Writer, "recorded replica %d at %s\n", c.Uint64("id"), c.String("grpc-addr"))
				return nil
			})
		},
	}
}

func ctlLogServersCommand() *cli.Command {
	return &cli.Command{
		Name:  "servers",
		Usage: "list the servers recorded in the log, with the newest log version each supports",
		Flags: ctlLogFlags(&cli.BoolFlag{Name: "json", Usage: "print a JSON object instead of a table"}),
		Action: func(c *cli.Context) error {
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				dir, err := lc.Directory(ctx)
				if err != nil {
					return logError("servers", err)
				}
				if c.Bool("json") {
					return writeIndentedJSON(c.App.Writer, dir)
				}
				tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tCLUSTER\tDC\tMAX LOG VERSION\tRECORDED")
				for _, s := range dir.Servers {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", s.Name, orDash(s.Cluster), orDash(s.Dc), s.MaxLogVersion,
						time.Unix(s.Since, 0).UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			})
		},
	}
}

func ctlLogForgetServerCommand() *cli.Command {
	return &cli.Command{
		Name:      "forget-server",
		Usage:     "retire a server recorded in the log (gone for good), so upgrades no longer wait for it",
		ArgsUsage: "NAME",
		Flags:     ctlLogFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("forget-server takes one NAME, as `akutan ctl log servers` lists it (role/grpc_addr)")
			}
			return withLogClient(c, func(ctx context.Context, lc *logclient.Client) error {
				ok, err := lc.ForgetServer(ctx, c.Args().First())
				if err != nil {
					return logError("forget-server", err)
				}
				if !ok {
					return fmt.Errorf("the log records no server named %q; see `akutan ctl log servers`", c.Args().First())
				}
				fmt.Fprintf(c.App.Writer, "forgot %s\n", c.Args().First())
				return nil
			})
		},
	}
}
