package engine

import (
	"context"
	"fmt"

	"github.com/akutan-dev/akutan/cluster/viewclient"
	"github.com/akutan-dev/akutan/storage"
)

// ResolveNames maps external names to KIDs as of index, through the
// `<kid> <HasExternalID> "name"` facts. Names that do not exist are absent
// from the result. A name mapped to several entities (which the update path
// prevents) resolves to the oldest.
func ResolveNames(ctx context.Context, v Views, index uint64, names []string) (map[string]uint64, error) {
	out := make(map[string]uint64, len(names))
	var lookups []viewclient.PO
	var asked []string
	for _, n := range names {
		if kid, ok := storage.WellKnownKID(n); ok {
			out[n] = kid
			continue
		}
		if _, dup := out[n]; dup {
			continue
		}
		lookups = append(lookups, viewclient.PO{Predicate: storage.KIDHasExternalID, Object: storage.AString(n, "")})
		asked = append(asked, n)
	}
	found := map[string]storage.Fact{}
	err := v.LookupPO(ctx, index, lookups, func(i int, f storage.Fact) {
		if old, ok := found[asked[i]]; !ok || f.Index < old.Index || (f.Index == old.Index && f.ID < old.ID) {
			found[asked[i]] = f
		}
	})
	if err != nil {
		return nil, fmt.Errorf("resolving external names: %w", err)
	}
	for n, f := range found {
		out[n] = f.Subject
	}
	return out, nil
}

// ResolveKIDs maps KIDs to their external names as of index. KIDs with no
// name are absent from the result.
func ResolveKIDs(ctx context.Context, v Views, index uint64, kids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(kids))
	seen := map[uint64]bool{}
	var lookups []viewclient.SP
	for _, k := range kids {
		if name, ok := storage.WellKnownName(k); ok {
			out[k] = name
			continue
		}
		if k == 0 || seen[k] {
			continue
		}
		seen[k] = true
		lookups = append(lookups, viewclient.SP{Subject: k, Predicate: storage.KIDHasExternalID})
	}
	err := v.LookupSP(ctx, index, lookups, func(i int, f storage.Fact) {
		if f.Object.Kind == storage.KindString {
			if _, ok := out[lookups[i].Subject]; !ok {
				out[lookups[i].Subject] = f.Object.Str
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("resolving KIDs to names: %w", err)
	}
	return out, nil
}
