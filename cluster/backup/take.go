package backup

import (
	"context"
	"errors"
	"fmt"
	"google.golang.org/grpc"
	"sync"
	"sync/atomic"
	"time"

	"github.com/akutan-dev/akutan/cluster/boot"
	"github.com/akutan-dev/akutan/cluster/logclient"
	"github.com/akutan-dev/akutan/cluster/members"
	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/gossip"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
)

// Config configures Take.
type Config struct {
	// API is an API server's gRPC address, whose gossip members name the
	// views and log replicas.
	API string
	// APIDialOptions are added when dialing the API server (after the
	// plaintext default): its TLS credentials and bearer token, if any.
	APIDialOptions []grpc.DialOption
	// PeerDialOptions are added when dialing views and log replicas:
	// their mutual TLS credentials, if any.
	PeerDialOptions []grpc.DialOption
	// Dir is the backup directory: new or empty.
	Dir string
	// Index is the log index to back up as of; 0: the log's last index
	// when the backup starts.
	Index uint64
	// Since, when set, is a backup directory (full or incremental) this
	// one adds to: only the keys of the entries after its index are
	// streamed (an incremental backup).
	Since string
	// LogAddrs are log replicas to read the last index from, when the
	// members name none (log replicas without gossip).
	LogAddrs []string
	// LastIndex, if set, reads the log's last index instead of the log
	// replicas (tests).
	LastIndex func(ctx context.Context) (uint64, error)
	// Parallel bounds how many ranges stream at once; 0: 8.
	Parallel int
	// Attempts bounds how many times one range is tried, across its
	// replicas; 0: 4 rounds over them, at least 8.
	Attempts int
	// RetryWait is the pause between attempts; 0: 500 ms.
	RetryWait time.Duration
	// Report, if set, receives progress and retry messages.
	Report func(msg string)
	// ReportEvery is how often progress is reported; 0: 2 s.
	ReportEvery time.Duration
}

// Result totals a backup.
type Result struct {
	Manifest *bkstore.Manifest
	Keys     uint64
	RawBytes uint64 // keys' and values' bytes
	Bytes    int64  // compressed bytes written
	Took     time.Duration
}

// piece is one range of one space, to stream from one of its holders.
type piece struct {
	space   string
	rng     space.Range
	holders []boot.Peer // the views holding it, draining ones last
	serving int         // how many of holders are not draining
}

// order is the order in which piece number n tries its holders: those
// not draining first, starting at a different one for each piece to
// spread the work, then the draining ones.
func (pc piece) order(n int) []boot.Peer {
	out := make([]boot.Peer, 0, len(pc.holders))
	for i := range pc.serving {
		out = append(out, pc.holders[(n+i)%pc.serving])
	}
	return append(out, pc.holders[pc.serving:]...)
}

// Take backs up the database into cfg.Dir (see the package doc).
func Take(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	if cfg.Parallel <= 0 {
		cfg.Parallel = 8
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = 500 * time.Millisecond
	}
	if cfg.Report == nil {
		cfg.Report = func(string) {}
	}
	ms, err := members.Fetch(ctx, cfg.API, cfg.APIDialOptions...)
	if err != nil {
		return nil, err
	}
	pieces, err := planPieces(ms)
	if err != nil {
		return nil, err
	}
	var last uint64
	if cfg.LastIndex != nil {
		last, err = cfg.LastIndex(ctx)
	} else {
		last, err = logLastIndex(ctx, ms, cfg.LogAddrs, cfg.PeerDialOptions)
	}
	if err != nil {
		return nil, err
	}
	index := cfg.Index
	switch {
	case index == 0:
		index = last
	case index > last:
		return nil, fmt.Errorf("--index %d is past the log's last index %d", index, last)
	}
	if index == 0 {
		return nil, errors.New("the log is empty: nothing to back up")
	}
	var base *bkstore.BaseRef
	if cfg.Since != "" {
		bm, err := bkstore.Open(cfg.Since)
		if err != nil {
			return nil, fmt.Errorf("reading the base backup: %w", err)
		}
		if bm.Index >= index {
			return nil, fmt.Errorf("the base backup %s is as of index %d, not below %d: nothing to add", cfg.Since, bm.Index, index)
		}
		base = &bkstore.BaseRef{Index: bm.Index, ManifestSHA256: bm.ManifestSHA256()}
	}
	w, err := bkstore.Create(cfg.Dir)
	if err != nil {
		return nil, err
	}
	t := &taker{cfg: cfg, w: w, index: index}
	what := fmt.Sprintf("as of log index %d", index)
	if base != nil {
		t.after = base.Index
		what = fmt.Sprintf("incrementally, entries %d to %d", base.Index+1, index)
	}
	cfg.Report(fmt.Sprintf("backing up %s: %d ranges into %s", what, len(pieces), cfg.Dir))
	stop := t.reportProgress(start, len(pieces))
	files, stats, err := t.run(ctx, pieces)
	stop()
	if err != nil {
		return nil, fmt.Errorf("%w (the backup in %s is incomplete: it has no manifest; delete it)", err, cfg.Dir)
	}
	m := &bkstore.Manifest{Index: index, LogVersion: stats.LogVersion, LogVersionIndex: stats.LogVersionIndex,
		Created: time.Now().UTC(), Files: files, Base: base}
	for _, sp := range space.Spaces() {
		m.Spaces = append(m.Spaces, string(sp))
	}
	if err := w.Commit(m); err != nil {
		return nil, err
	}
	res := &Result{Manifest: m, Took: time.Since(start)}
	for _, f := range files {
		res.Keys += f.Keys
		res.RawBytes += f.RawBytes
		res.Bytes += f.Bytes
	}
	return res, nil
}

// planPieces lists, per space, the pieces the serving views' ranges cut
// the hash space into, with the views holding each (draining views
// last). It fails if some part of a space has no serving view.
func planPieces(ms []members.Member) ([]piece, error) {
	var out []piece
	for _, sp := range space.Spaces() {
		var peers []boot.Peer
		draining := map[string]bool{}
		for _, m := range ms {
			if m.Meta.Role == "view" && m.Meta.Space == string(sp) && m.Meta.Serving {
				peers = append(peers, boot.Peer{Addr: m.Meta.GRPCAddr, Range: m.Meta.Range(), Applied: m.Meta.AppliedIndex})
				draining[m.Meta.GRPCAddr] = m.Meta.State == gossip.StateDraining
			}
		}
		// MakePlan checks the cover the way a booting view does.
		if _, err := boot.MakePlan(space.Full(), peers); err != nil {
			return nil, fmt.Errorf("backing up %s: %w", sp, err)
		}
		var ranges []space.Range
		for _, p := range peers {
			ranges = append(ranges, p.Range)
		}
		for _, r := range space.Split(ranges) {
			pc := piece{space: string(sp), rng: r}
			for _, p := range peers {
				if p.Range.Contains(r.Start) && !draining[p.Addr] {
					pc.holders = append(pc.holders, p)
				}
			}
			pc.serving = len(pc.holders)
			for _, p := range peers {
				if p.Range.Contains(r.Start) && draining[p.Addr] {
					pc.holders = append(pc.holders, p)
				}
			}
			out = append(out, pc)
		}
	}
	return out, nil
}

// logLastIndex reads the log's last index linearizably from the log
// replicas among ms (or logAddrs).
func logLastIndex(ctx context.Context, ms []members.Member, logAddrs []string, dial []grpc.DialOption) (uint64, error) {
	addrs := logAddrs
	if len(addrs) == 0 {
		for _, m := range ms {
			if m.Meta.Role == "log" && m.Meta.GRPCAddr != "" {
				addrs = append(addrs, m.Meta.GRPCAddr)
			}
		}
	}
	if len(addrs) == 0 {
		return 0, errors.New("the API server knows no log replicas (do they gossip?): give --log")
	}
	lc, err := logclient.New(addrs, logclient.WithDialOptions(dial...))
	if err != nil {
		return 0, fmt.Errorf("connecting to the log: %w", err)
	}
	defer lc.Close()
	last, err := lc.LastIndex(ctx)
	if err != nil {
		return 0, fmt.Errorf("reading the log's last index: %w", err)
	}
	return last, nil
}

// taker runs one backup's streams.
type taker struct {
	cfg   Config
	w     *bkstore.Writer
	index uint64
	after uint64 // incremental: the base's index
	keys  atomic.Uint64
	bytes atomic.Uint64
	done  atomic.Int64
}

// run streams every piece, cfg.Parallel at a time, and returns the files
// and the sources' combined log version; the first piece that cannot be
// streamed from any holder fails the whole run.
func (t *taker) run(ctx context.Context, pieces []piece) ([]bkstore.FileInfo, boot.FetchStats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		files []bkstore.FileInfo
		stats boot.FetchStats
		errs  []error
	)
	sem := make(chan struct{}, t.cfg.Parallel)
	for i, pc := range pieces {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			info, st, err := t.piece(ctx, pc, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				cancel()
				return
			}
			files = append(files, info)
			stats.LogVersion, stats.LogVersionIndex = newer(stats, st)
			t.done.Add(1)
		}()
	}
	wg.Wait()
	if len(errs) == 0 && ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return files, stats, errors.Join(errs...)
}

// newer returns the newer of two sources' log versions, as boot.Fetch
// combines them: the higher version, and of equal ones the later switch.
func newer(a, b boot.FetchStats) (uint32, uint64) {
	if b.LogVersion > a.LogVersion || b.LogVersion == a.LogVersion && b.LogVersionIndex > a.LogVersionIndex {
		return b.LogVersion, b.LogVersionIndex
	}
	return a.LogVersion, a.LogVersionIndex
}

// piece streams one piece into its file, trying its holders in turn (see
// piece.order), a few rounds.
func (t *taker) piece(ctx context.Context, pc piece, n int) (bkstore.FileInfo, boot.FetchStats, error) {
	attempts := t.cfg.Attempts
	if attempts <= 0 {
		attempts = max(8, 4*len(pc.holders))
	}
	var errs []error
	order := pc.order(n)
	for a := 0; a < attempts; a++ {
		h := order[a%len(order)]
		info, st, err := t.once(ctx, pc, h)
		if err == nil {
			return info, st, nil
		}
		if ctx.Err() != nil {
			return bkstore.FileInfo{}, st, ctx.Err()
		}
		errs = append(errs, err)
		t.cfg.Report(fmt.Sprintf("%s %s: attempt %d of %d failed, retrying: %v", pc.space, pc.rng, a+1, attempts, err))
		select {
		case <-ctx.Done():
			return bkstore.FileInfo{}, st, ctx.Err()
		case <-time.After(t.cfg.RetryWait):
		}
	}
	return bkstore.FileInfo{}, boot.FetchStats{}, fmt.Errorf("backing up %s %s: no replica could stream it as of %d (%d attempts; last: %w)",
		pc.space, pc.rng, t.index, attempts, errs[len(errs)-1])
}

// once streams a piece from one holder into a new file; a failed attempt
// leaves no file.
func (t *taker) once(ctx context.Context, pc piece, h boot.Peer) (bkstore.FileInfo, boot.FetchStats, error) {
	fw, err := t.w.File(pc.space, pc.rng.Start, pc.rng.End)
	if err != nil {
		return bkstore.FileInfo{}, boot.FetchStats{}, err
	}
	var sent, sentBytes atomic.Uint64
	st, err := boot.Fetch(ctx, boot.FetchConfig{
		Space: pc.space, Plan: boot.Plan{Index: t.index, Assignments: []boot.Assignment{{Addr: h.Addr, Range: pc.rng}}},
		Sink: fw, After: t.after, DialOptions: t.cfg.PeerDialOptions,
		Progress: func(keys, bytes int) {
			sent.Add(uint64(keys))
			sentBytes.Add(uint64(bytes))
			t.keys.Add(uint64(keys))
			t.bytes.Add(uint64(bytes))
		},
	})
	if err != nil {
		fw.Abort()
		t.keys.Add(-sent.Load()) // wraps: subtracts
		t.bytes.Add(-sentBytes.Load())
		return bkstore.FileInfo{}, st, err
	}
	info, err := fw.Close()
	if err != nil {
		return info, st, err
	}
	info.Source = h.Addr
	if pc.rng == h.Range && t.after == 0 {
		// The source's digest at the index is over what it had applied
		// then; the stream also holds the facts of transactions at or
		// below the index decided after it (as queries as of the index
		// see them), so the two differ while such a transaction straddles
		// the index. Only an equal digest is recorded.
		reply, err := boot.AskDigest(ctx, h.Addr, t.index, t.cfg.PeerDialOptions...)
		switch {
		case err != nil:
			t.cfg.Report(fmt.Sprintf("%s %s: not recording %s's own digest: %v", pc.space, pc.rng, h.Addr, err))
		case fmt.Sprintf("%016x", reply.Digest) != info.Digest:
			t.cfg.Report(fmt.Sprintf("%s %s: not recording %s's own digest at %d (%016x, the stream's is %s): "+
				"a transaction at or below the index was decided after it", pc.space, pc.rng, h.Addr, t.index, reply.Digest, info.Digest))
		default:
			info.ViewDigest = info.Digest
		}
	}
	return info, st, nil
}

// reportProgress reports the keys streamed so far every ReportEvery until
// the returned stop is called.
func (t *taker) reportProgress(start time.Time, total int) (stop func()) {
	every := t.cfg.ReportEvery
	if every <= 0 {
		every = 2 * time.Second
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				secs := time.Since(start).Seconds()
				k := t.keys.Load()
				t.cfg.Report(fmt.Sprintf("%d keys (%.1f MB), %d of %d ranges done, %.0f keys/s",
					k, float64(t.bytes.Load())/1e6, t.done.Load(), total, float64(k)/secs))
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}
