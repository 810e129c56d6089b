package health

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

// A space's bar has 64 cells, each 1/64 of the hash space (2^58 hashes).
const (
	barShift = 58
	barCells = 1 << (64 - barShift)
)

// WriteText writes r for people: the log and its replicas, then one block
// per cluster (each space as a bar and its ranges, the views that are not
// up to date, the API servers, and the cluster's verdict with its
// reasons), then, with several clusters, the database's verdict.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	writeLog(&b, r.Log)
	if len(r.Clusters) == 0 {
		writeSpaces(&b, r.Spaces)
		writeViews(&b, r.Views)
		writeAPIs(&b, r.APIs)
		writeVerdict(&b, "verdict", r.FullyAvailable, r.Healthy, r.Reasons)
	}
	for _, c := range r.Clusters {
		where := ""
		if c.DC != "" && c.DC != c.Name {
			where = " (dc " + c.DC + ")"
		}
		fmt.Fprintf(&b, "== cluster %s%s ==\n", c.Name, where)
		writeSpaces(&b, c.Spaces)
		writeViews(&b, c.Views)
		writeAPIs(&b, c.APIs)
		writeLost(&b, c.Lost)
		writeVerdict(&b, "verdict", c.FullyAvailable, c.Healthy, c.Reasons)
	}
	if len(r.Clusters) > 1 {
		fmt.Fprintf(&b, "== database (the log and %d clusters) ==\n", len(r.Clusters))
		writeVerdict(&b, "database verdict", r.FullyAvailable, r.Healthy, r.Reasons)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing status: %w", err)
	}
	return nil
}

func writeLog(b *strings.Builder, l Log) {
	switch {
	case l.Available && l.LastIndex < max(l.FirstIndex, 1):
		fmt.Fprintf(b, "log: available, leader %d, no entries (next index %d)\n", l.LeaderID, l.LastIndex+1)
	case l.Available:
		fmt.Fprintf(b, "log: available, leader %d, first index %d, last index %d\n", l.LeaderID, l.FirstIndex, l.LastIndex)
	default:
		fmt.Fprintf(b, "log: UNAVAILABLE: %s\n", l.Error)
	}
	for _, rep := range l.Replicas {
		leader := ""
		if rep.Leader {
			leader = "  leader"
		}
		silent := ""
		if rep.Unreachable != "" {
			silent = "  NOT ANSWERING: " + rep.Unreachable
		}
		grpc := ""
		if rep.GRPCAddr != "" {
			grpc = "  grpc " + rep.GRPCAddr
		}
		fmt.Fprintf(b, "  replica %d  raft %s%s%s%s%s\n", rep.ID, rep.RaftAddr, grpc, leader, dc(rep.DC), silent)
	}
	for _, s := range l.Silent {
		if s.ID != 0 {
			continue // shown on its replica's line
		}
		fmt.Fprintf(b, "  no answer from grpc %s: %s\n", s.GRPCAddr, s.Error)
	}
	for _, s := range l.Servers {
		fmt.Fprintf(b, "  gossip: %s  grpc %s%s  applied %d\n", s.Name, s.GRPCAddr, dc(s.DC), s.AppliedIndex)
	}
}

func writeSpaces(b *strings.Builder, spaces []Space) {
	fmt.Fprintf(b, "spaces (each cell: up-to-date views serving 1/%d of the hashes; healthy needs %d):\n", barCells, HealthyCopies)
	for _, s := range spaces {
		fmt.Fprintf(b, "  %-7s [%s]  min %d\n", s.Space, bar(s), s.MinUpToDate)
		for _, rc := range s.Ranges {
			mark := ""
			if rc.UpToDate == 0 {
				mark = "  UNCOVERED"
			}
			if rc.Draining > 0 {
				mark += fmt.Sprintf("  (%d draining)", rc.Draining)
			}
			fmt.Fprintf(b, "    %s  %d up to date of %s%s\n", rc.Range, rc.UpToDate, plural(rc.Views, "view"), mark)
		}
	}
}

// bar draws a space: each cell shows the fewest up-to-date views serving
// any hash in its slice, so even a tiny gap shows as a 0. Digits above 9
// show as '+', cells no range mentions as '?'.
func bar(s Space) string {
	cells := make([]int, barCells)
	for i := range cells {
		cells[i] = -1
	}
	for _, rc := range s.Ranges {
		rg, err := space.ParseRange(rc.Range)
		if err != nil {
			continue
		}
		for c := rg.Start >> barShift; c <= rg.End>>barShift; c++ {
			if cells[c] < 0 || rc.UpToDate < cells[c] {
				cells[c] = rc.UpToDate
			}
		}
	}
	out := make([]byte, barCells)
	for i, n := range cells {
		switch {
		case n < 0:
			out[i] = '?'
		case n > 9:
			out[i] = '+'
		default:
			out[i] = byte('0' + n)
		}
	}
	return string(out)
}

func writeViews(b *strings.Builder, views []View) {
	upToDate := 0
	for _, v := range views {
		if v.Status == ViewUpToDate {
			upToDate++
		}
	}
	fmt.Fprintf(b, "views: %d up to date of %d\n", upToDate, len(views))
	for _, v := range views {
		status := v.Status
		if status == ViewUpToDate && v.State == gossip.StateDraining {
			status = gossip.StateDraining
		} else if status == ViewUpToDate {
			continue
		}
		fmt.Fprintf(b, "  %-11s %s  %s %s%s  applied %d, %d behind\n",
			status, v.Name, v.Space, v.Range, dc(v.DC), v.AppliedIndex, v.Lag)
	}
}

func writeAPIs(b *strings.Builder, apis []Node) {
	fmt.Fprintf(b, "api servers: %d\n", len(apis))
	for _, a := range apis {
		state := ""
		if !a.Serving {
			state = "  not serving"
		}
		fmt.Fprintf(b, "  %s  grpc %s  http %s%s%s\n", a.Name, a.GRPCAddr, orNone(a.HTTPAddr), dc(a.DC), state)
	}
}

// writeLost lists the servers lost without a graceful stop, if any.
func writeLost(b *strings.Builder, lost []Lost) {
	if len(lost) == 0 {
		return
	}
	fmt.Fprintf(b, "lost (left without a graceful stop; not counted in the verdict): %d\n", len(lost))
	for _, x := range lost {
		what := x.Role + " grpc " + x.Addr
		if x.Role == "view" {
			what = fmt.Sprintf("view %s %s grpc %s", x.Space, x.Range, x.Addr)
		}
		fmt.Fprintf(b, "  lost        %s  %s%s  since %s\n", x.Name, what, dc(x.DC), x.Since.Format(time.RFC3339))
	}
}

func writeVerdict(b *strings.Builder, label string, available, healthy bool, reasons []string) {
	switch {
	case healthy:
		fmt.Fprintf(b, "%s: healthy\n", label)
	case available:
		fmt.Fprintf(b, "%s: fully available, not healthy\n", label)
	default:
		fmt.Fprintf(b, "%s: UNAVAILABLE\n", label)
	}
	for _, reason := range reasons {
		fmt.Fprintf(b, "  - %s\n", reason)
	}
}

func dc(name string) string {
	if name == "" {
		return ""
	}
	return "  dc " + name
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
