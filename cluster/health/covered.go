package health

import (
	"fmt"
	"strings"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
)

// Partitioning is what `akutan status --wait covered` waits for: space
// Space served with the full space cut into Partitions equal hash ranges
// (the ranges of `view --partition i/Partitions`, from space.Partition),
// each served by at least Replicas up-to-date views.
type Partitioning struct {
	Space      string
	Partitions int
	Replicas   int
}

// Validate checks the space name and the counts.
func (p Partitioning) Validate() error {
	if _, err := space.ParseSpace(p.Space); err != nil {
		return err
	}
	if p.Partitions < 1 {
		return fmt.Errorf("the partition count must be at least 1, not %d", p.Partitions)
	}
	if p.Replicas < 1 {
		return fmt.Errorf("the replica count must be at least 1, not %d", p.Replicas)
	}
	return nil
}

// String reads as "hashsp in 2 partitions x 3 replicas".
func (p Partitioning) String() string {
	return fmt.Sprintf("%s in %d partitions x %d replicas", p.Space, p.Partitions, p.Replicas)
}

// Missing returns what keeps the views of r (all of them, or one
// cluster's after Report.Cluster) from serving p, one string per
// partition that falls short; none when p is covered. A view counts for
// partition i/N only when its range is exactly that partition and its
// status is ViewUpToDate (serving, reachable and within MaxLag, as for
// health) and it is not draining. Views of wider ranges do not count: the point of waiting is to
// know that the new partitioning stands on its own, so that the views of
// the old one can be stopped.
func Missing(r Report, p Partitioning) ([]string, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	sp, _ := space.ParseSpace(p.Space)
	p.Space = string(sp)
	var out []string
	for i := 1; i <= p.Partitions; i++ {
		rg, err := space.Partition(i, p.Partitions)
		if err != nil {
			return nil, err
		}
		want := rg.String()
		upToDate := 0
		var others []string
		for _, v := range r.Views {
			if v.Space != p.Space || v.Range != want {
				continue
			}
			switch {
			case v.Status == ViewUpToDate && v.State == gossip.StateDraining:
				others = append(others, v.Name+" draining")
			case v.Status == ViewUpToDate:
				upToDate++
			default:
				others = append(others, fmt.Sprintf("%s %s", v.Name, v.Status))
			}
		}
		if upToDate >= p.Replicas {
			continue
		}
		msg := fmt.Sprintf("%s partition %d/%d (%s): %d of %d up-to-date views",
			p.Space, i, p.Partitions, want, upToDate, p.Replicas)
		if len(others) > 0 {
			msg += fmt.Sprintf(" (also %s)", strings.Join(others, ", "))
		}
		out = append(out, msg)
	}
	return out, nil
}
