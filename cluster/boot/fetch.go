package boot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// Sink receives checked batches of keys and their values (nil: all
// empty): a *viewstore.Loader. Add must be safe for concurrent use; it
// returns the sum of the entries' digests.
type Sink interface {
	Add(keys, values [][]byte, start, end uint64) (uint64, error)
}

// batch is keys and their values, one each.
type batch struct{ keys, values [][]byte }

// FetchConfig configures Fetch.
type FetchConfig struct {
	Space string // "hashsp" or "hashpo"
	Plan  Plan
	Sink  Sink
	// BatchKeys is how many keys go into one Sink.Add (one LevelDB
	// write); default 65536.
	BatchKeys int
	// DialOptions are added to the defaults (insecure, large messages).
	DialOptions []grpc.DialOption
	// Progress, if set, is called after each batch with its key count
	// and bytes (key bytes), from several goroutines.
	Progress func(keys, bytes int)
	// After, when set, asks only for the keys above that log index (an
	// incremental backup); every key received is checked to be within
	// After+1..Plan.Index, so a source that ignores it is caught.
	After uint64
}

// FetchStats totals a fetch.
type FetchStats struct {
	Keys  uint64
	Bytes uint64
	// LogVersion is the newest log format version the sources reported
	// (0: the first), and LogVersionIndex the entry that switched the log
	// to it (0: the first version, or not known).
	LogVersion      uint32
	LogVersionIndex uint64
}

// add folds one stream's totals into st. Of the sources' log versions the
// newest wins, and of equal ones the latest switch index: the one that
// claims the least about the load's index.
func (st *FetchStats) add(o FetchStats) {
	st.Keys += o.Keys
	st.Bytes += o.Bytes
	if o.LogVersion > st.LogVersion || (o.LogVersion == st.LogVersion && o.LogVersionIndex > st.LogVersionIndex) {
		st.LogVersion, st.LogVersionIndex = o.LogVersion, o.LogVersionIndex
	}
}

// Fetch streams every assignment of the plan into the sink concurrently,
// one stream per assignment, and checks each stream's totals against the
// source's. It fails as a whole if any stream fails: the sink then holds
// an arbitrary part of the range and must be discarded.
func Fetch(ctx context.Context, cfg FetchConfig) (FetchStats, error) {
	if cfg.BatchKeys <= 0 {
		cfg.BatchKeys = 65536
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
		mu    sync.Mutex
		total FetchStats
	)
	for _, a := range cfg.Plan.Assignments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := fetchOne(ctx, cfg, a)
			mu.Lock()
			total.add(st)
			mu.Unlock()
			if err != nil {
				once.Do(func() { first = fmt.Errorf("loading %s from %s: %w", a.Range, a.Addr, err); cancel() })
			}
		}()
	}
	wg.Wait()
	return total, first
}

// fetchOne loads one assignment: a receiving goroutine feeds batches to
// this one, which writes them, so the network and the disk overlap.
func fetchOne(ctx context.Context, cfg FetchConfig, a Assignment) (FetchStats, error) {
	conn, err := grpc.NewClient(a.Addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		wire.CallOptions(),
	}, cfg.DialOptions...)...)
	if err != nil {
		return FetchStats{}, fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := wire.NewViewBootClient(conn).Load(ctx, &wire.LoadRequest{
		Space: cfg.Space, RangeStart: a.Range.Start, RangeEnd: a.Range.End, Index: cfg.Plan.Index,
		AfterIndex: cfg.After,
	})
	if err != nil {
		return FetchStats{}, fmt.Errorf("starting the load: %w", err)
	}
	batches := make(chan batch, 2)
	trailer := make(chan *wire.LoadChunk, 1)
	recvErr := make(chan error, 1)
	var within func(key []byte) error
	if cfg.After > 0 {
		within = indexWithin(cfg.After, cfg.Plan.Index)
	}
	go func() { recvErr <- receive(stream, cfg.BatchKeys, within, batches, trailer) }()
	st, sum, werr := write(cfg, a.Range, batches)
	if werr != nil {
		cancel()
	}
	if err := <-recvErr; err != nil || werr != nil {
		return st, errors.Join(werr, err)
	}
	t := <-trailer
	st.LogVersion, st.LogVersionIndex = t.LogVersion, t.LogVersionIndex
	return st, checkTrailer(t, st, sum)
}

// maxBatchBytes ends a batch of keys early: a batch is one LevelDB write
// and is held in memory, so large keys must not fill batchKeys of them.
const maxBatchBytes = 32 << 20

// indexWithin returns a check that a key's log index lies in
// after+1..index.
func indexWithin(after, index uint64) func(key []byte) error {
	return func(k []byte) error {
		i, err := viewstore.KeyIndex(k)
		if err != nil {
			return err
		}
		if i <= after || i > index {
			return fmt.Errorf("the source sent key %x of index %d, outside %d..%d (does it predate incremental loads?)", k, i, after+1, index)
		}
		return nil
	}
}

// receive reads chunks into batches of about batchKeys keys (or
// maxBatchBytes), checking each key with within if set, and hands the
// final chunk to trailer. It closes batches when done.
func receive(stream wire.ViewBoot_LoadClient, batchKeys int, within func([]byte) error, batches chan<- batch, trailer chan<- *wire.LoadChunk) error {
	defer close(batches)
	var b batch
	var batchBytes int
	var order keyOrder
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return errors.New("the source ended the stream without totals")
		}
		if err != nil {
			return fmt.Errorf("receiving keys: %w", err)
		}
		if chunk.Done {
			if len(b.keys) > 0 {
				batches <- b
			}
			trailer <- chunk
			return nil
		}
		if len(chunk.Values) != 0 && len(chunk.Values) != len(chunk.Keys) {
			return fmt.Errorf("a chunk has %d keys but %d values", len(chunk.Keys), len(chunk.Values))
		}
		for i, k := range chunk.Keys {
			if err := order.check(k); err != nil {
				return err
			}
			if within != nil {
				if err := within(k); err != nil {
					return err
				}
			}
			var v []byte
			if len(chunk.Values) != 0 {
				v = chunk.Values[i]
			}
			batchBytes += len(k) + len(v)
			b.keys, b.values = append(b.keys, k), append(b.values, v)
		}
		if len(b.keys) >= batchKeys || batchBytes >= maxBatchBytes {
			batches <- b
			b, batchBytes = batch{}, 0
		}
	}
}

// write adds the batches to the sink until batches closes; after a
// failure it only drains them.
func write(cfg FetchConfig, r space.Range, batches <-chan batch) (FetchStats, uint64, error) {
	var st FetchStats
	var sum uint64
	var err error
	for b := range batches {
		if err != nil {
			continue
		}
		var s uint64
		if s, err = cfg.Sink.Add(b.keys, b.values, r.Start, r.End); err != nil {
			continue
		}
		n := 0
		for i, k := range b.keys {
			n += len(k) + len(b.values[i])
		}
		sum += s
		st.Keys += uint64(len(b.keys))
		st.Bytes += uint64(n)
		if cfg.Progress != nil {
			cfg.Progress(len(b.keys), n)
		}
	}
	return st, sum, err
}

func checkTrailer(t *wire.LoadChunk, st FetchStats, sum uint64) error {
	if t.Count != st.Keys || t.Digest != sum {
		return fmt.Errorf("received %d keys with digest %016x, but the source sent %d with digest %016x",
			st.Keys, sum, t.Count, t.Digest)
	}
	return nil
}

// keyOrder checks that a load's keys come as the carousel sends them: in
// increasing order from where the load joined the scan, then, after one
// wrap-around, in increasing order again but below the first key. That
// is what guarantees each key arrives once, so that the loaded digest is
// the sum over the stored keys.
type keyOrder struct {
	first, prev []byte
	wrapped     bool
}

func (o *keyOrder) check(k []byte) error {
	switch {
	case o.first == nil:
		o.first = k
	case bytes.Compare(k, o.prev) > 0:
		if o.wrapped && bytes.Compare(k, o.first) >= 0 {
			return fmt.Errorf("the source sent key %x again after wrapping around", k)
		}
	case o.wrapped:
		return fmt.Errorf("the source sent keys out of order (%x after %x)", k, o.prev)
	case bytes.Compare(k, o.first) >= 0:
		return fmt.Errorf("the source wrapped around to key %x, not below its first key %x", k, o.first)
	default:
		o.wrapped = true
	}
	o.prev = k
	return nil
}
