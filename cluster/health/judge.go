package health

import "fmt"

// judge fills in the verdict, the reasons, and the uncovered and
// under-replicated ranges, from the pieces of every space in order.
func (r *Report) judge(pieces []piece) {
	r.Uncovered, r.UnderReplicated = []RangeRef{}, []RangeCount{}
	var unavailable, unhealthy []string
	for _, p := range thin(pieces) {
		ref := RangeRef{Space: string(p.space), Range: p.rg.String()}
		r.UnderReplicated = append(r.UnderReplicated, RangeCount{ref.Space, ref.Range, p.copies()})
		if p.upToDate == 0 {
			r.Uncovered = append(r.Uncovered, ref)
			unavailable = append(unavailable, fmt.Sprintf("%s %s has no up-to-date view", ref.Space, ref.Range))
			continue
		}
		if p.draining > 0 {
			unhealthy = append(unhealthy, fmt.Sprintf("%s %s has %s, %d of them draining; healthy needs %d not draining",
				ref.Space, ref.Range, plural(p.upToDate, "up-to-date view"), p.draining, HealthyCopies))
			continue
		}
		unhealthy = append(unhealthy, fmt.Sprintf("%s %s has %s; healthy needs %d",
			ref.Space, ref.Range, plural(p.upToDate, "up-to-date view"), HealthyCopies))
	}
	if !r.Log.Available {
		unavailable = append(unavailable, "the log is unavailable: "+r.Log.Error)
	}
	if n := len(r.Log.Replicas); r.Log.Available && r.Log.answering() <= n/2 {
		unavailable = append(unavailable, fmt.Sprintf("only %d of %d log replicas answer; the log needs a majority", r.Log.answering(), n))
	}
	for _, s := range r.Log.Silent {
		unhealthy = append(unhealthy, r.Log.silentReason(s))
	}
	switch apis := r.servingAPIs(); {
	case apis == 0:
		unavailable = append(unavailable, "no API server is up")
	case apis < HealthyCopies:
		unhealthy = append(unhealthy, fmt.Sprintf("%s up; healthy needs %d", plural(apis, "API server"), HealthyCopies))
	}
	r.FullyAvailable = len(unavailable) == 0
	r.Healthy = r.FullyAvailable && len(unhealthy) == 0
	r.Reasons = append(append([]string{}, unavailable...), unhealthy...)
	r.Verdict = verdict(r.FullyAvailable, r.Healthy)
}

// thin returns the pieces served by fewer than HealthyCopies up-to-date
// views that are not draining, merging neighbours with the same count so that each gap or thin
// stretch is named once, whatever view boundaries fall inside it.
func thin(pieces []piece) []piece {
	var out []piece
	for _, p := range pieces {
		if p.copies() >= HealthyCopies {
			continue
		}
		if n := len(out); n > 0 && adjacent(out[n-1], p) && out[n-1].upToDate == p.upToDate && out[n-1].draining == p.draining {
			out[n-1].rg.End = p.rg.End
			continue
		}
		out = append(out, p)
	}
	return out
}

// adjacent reports whether b starts right after a ends, in the same space.
func adjacent(a, b piece) bool {
	return a.space == b.space && a.rg.End < b.rg.Start && a.rg.End+1 == b.rg.Start
}

func (r *Report) servingAPIs() int {
	n := 0
	for _, a := range r.APIs {
		if a.Serving {
			n++
		}
	}
	return n
}

func verdict(available, healthy bool) string {
	switch {
	case healthy:
		return VerdictHealthy
	case available:
		return VerdictAvailable
	}
	return VerdictUnavailable
}

// plural writes "1 thing" or "n things".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// silentReason names a silent replica: by ID and datacenter when known.
func (l Log) silentReason(s SilentReplica) string {
	if s.ID == 0 {
		return fmt.Sprintf("log replica %s does not answer: %s", s.GRPCAddr, s.Error)
	}
	where := ""
	for _, rep := range l.Replicas {
		if rep.ID == s.ID && rep.DC != "" {
			where = " in dc " + rep.DC
		}
	}
	return fmt.Sprintf("log replica %d%s (%s) is down: it does not answer: %s", s.ID, where, s.GRPCAddr, s.Error)
}
