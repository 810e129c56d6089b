// Package floor works out an Akutan cluster's log floor from its views,
// and registers it in the log on a timer.
//
// A floor is the highest log index a cluster can tolerate losing from the
// log: the log keeps every entry above the lowest floor of all clusters
// (`akutan ctl log truncate --auto`, and the log replicas' own background
// truncation). A cluster's floor is the highest index that every point of
// every space (hashsp, hashpo) holds durably in at least K of its views:
// for each piece of each space (the views' ranges cut at every boundary,
// as for health), the K-th highest durable index (gossip.Meta.DurableIndex:
// synced, so it survives a power loss) among the views serving that piece,
// and the lowest of those over all pieces. So if the log then discards
// everything up to the floor, every piece still has K views that can
// resume from the log, and a lost view can be rebuilt from them.
//
// Only views of the cluster count (health.ClusterOf), and only while
// serving and not draining (about to be stopped): a booting view holds an
// incomplete store, and a draining one will soon be gone. A view that
// lags counts with what it holds, which can only lower the floor. Where a
// piece has fewer than K such views, or no view at all, Compute says so
// and the Registrar registers nothing: the cluster keeps its last floor,
// which its views held when it was registered (their durable indexes only
// grow, so a floor computed once stays true).
//
// Several API servers of a cluster may register its floor; each value is
// one they computed from what the views advertised, so whichever lands
// last is safe. A floor may go down (a view stopped, a new partitioning
// not yet caught up): that only keeps more of the log.
package floor
