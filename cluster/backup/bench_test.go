package backup

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/akutan-dev/akutan/cluster/space"
	"github.com/akutan-dev/akutan/storage"
	bkstore "github.com/akutan-dev/akutan/storage/backup"
	"github.com/akutan-dev/akutan/storage/viewstore"
)

// BenchmarkRestore measures one view restoring from a backup: 1M keys in
// 4 files (as a 4-way backup holds them), read, checked and loaded into an
// empty store, until the load is finished and durable.
//
//	go test -run '^$' -bench BenchmarkRestore ./cluster/backup
func BenchmarkRestore(b *testing.B) {
	const n, files = 1 << 20, 4
	dir := filepath.Join(b.TempDir(), "bk")
	w, err := bkstore.Create(dir)
	if err != nil {
		b.Fatal(err)
	}
	var infos []bkstore.FileInfo
	var keyBytes int
	for f := 0; f < files; f++ {
		// Each file holds the subjects of one quarter, in key order; a
		// whole-range store takes them all.
		fw, err := w.File("hashsp", uint64(f)<<62, uint64(f)<<62|(1<<62-1))
		if err != nil {
			b.Fatal(err)
		}
		var keys [][]byte
		for i := f * n / files; i < (f+1)*n/files; i++ {
			fact := storage.Fact{Index: 1, ID: uint64(i + 1), Subject: uint64(i/8 + 1), Predicate: uint64(i%8 + 1),
				Object: storage.AString(fmt.Sprintf("value %d", i), "")}
			k := storage.AppendSPKey(nil, fact, false)
			keyBytes += len(k)
			if keys = append(keys, k); len(keys) == 4096 {
				if _, err := fw.Add(keys, nil, 0, 0); err != nil {
					b.Fatal(err)
				}
				keys = keys[:0]
			}
		}
		if _, err := fw.Add(keys, nil, 0, 0); err != nil {
			b.Fatal(err)
		}
		info, err := fw.Close()
		if err != nil {
			b.Fatal(err)
		}
		infos = append(infos, info)
	}
	if err := w.Commit(&bkstore.Manifest{Index: 1, LogVersion: 3, LogVersionIndex: 1, Spaces: []string{"hashsp"},
		Files: infos}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, err := viewstore.Open(b.TempDir(), viewstore.Config{Space: storage.KeyPrefixSP, RangeEnd: math.MaxUint64})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		stats, _, err := Restore(context.Background(), []string{dir}, st, space.HashSP, space.Range{End: math.MaxUint64})
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		if stats.Keys != n {
			b.Fatalf("restored %d keys, want %d", stats.Keys, n)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "keys/s")
	b.ReportMetric(float64(keyBytes*b.N)/took.Seconds()/1e6, "MB/s")
}
