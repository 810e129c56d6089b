package viewserver

import (
	"fmt"
	"testing"

	"github.com/akutan-dev/akutan/storage"
	"github.com/akutan-dev/akutan/storage/logentry"
	"github.com/akutan-dev/akutan/storage/viewstore"
	"github.com/akutan-dev/akutan/wire"
)

// Views that share their decoding (akutan local) store exactly what views
// decoding alone store: a shared Effect holds every fact, and each store
// keeps those of its range. Two half ranges of each space are filled both
// ways and their digests compared.
func TestSharedReplayStoresWhatDecodingAloneStores(t *testing.T) {
	var batch []rawEntry
	for i := uint64(1); i <= 20; i++ {
		tx := &wire.InsertTx{}
		for j := uint64(0); j < 50; j++ {
			tx.Facts = append(tx.Facts, &wire.InsertFact{
				FactOffset: uint32(j + 1), Subject: logentry.KIDRef(1000 + i*j), Predicate: logentry.KIDRef(70 + j%3),
				Object: &wire.LogObject{Value: &wire.LogObject_Str{Str: fmt.Sprint("value ", i, j)}},
			})
		}
		data, err := logentry.Encode(&wire.LogEntry{Command: &wire.LogEntry_Insert{Insert: tx}})
		if err != nil {
			t.Fatal(err)
		}
		batch = append(batch, rawEntry{index: i, data: data})
	}
	half := uint64(1) << 63
	var cfgs []viewstore.Config
	for _, sp := range []byte{storage.KeyPrefixSP, storage.KeyPrefixPO} {
		cfgs = append(cfgs, viewstore.Config{Space: sp, RangeStart: 0, RangeEnd: half - 1}, viewstore.Config{Space: sp, RangeStart: half, RangeEnd: ^uint64(0)})
	}
	shared := logentry.NewSharedReplay(len(cfgs), logentry.MaxSupportedVersion, 0)
	for _, cfg := range cfgs {
		digests := map[string]uint64{}
		for _, way := range []string{"alone", "shared"} {
			st, err := viewstore.Open(t.TempDir(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			s := &Server{}
			if way == "shared" {
				s.cfg.SharedReplay = shared
			}
			changes, err := decodeBatch(batch, s.replayer(st))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(changes); err != nil {
				t.Fatal(err)
			}
			_, digests[way] = st.AppliedDigest()
			st.Close()
		}
		if digests["alone"] != digests["shared"] || digests["alone"] == 0 {
			t.Fatalf("%s: digest decoding alone %x, sharing %x", cfg, digests["alone"], digests["shared"])
		}
	}
}
