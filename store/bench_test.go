package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// benchObject is a typical stored key: a 300-byte attribute list, a 60-byte
// sealed AES-256 key and four index terms.
func benchObject(id string) *Object {
	return &Object{
		ID: id, Owner: "bench",
		Attributes: make([]byte, 300),
		Material:   make([]byte, 60),
		Terms: []Term{
			term("Name", "name-"+id),
			term("Object Type", "SymmetricKey"),
			term("State", "Active"),
			term("Cryptographic Algorithm", "AES"),
		},
	}
}

// BenchmarkCreateParallel creates objects from ~64 goroutines (32 per
// GOMAXPROCS on the 2-core machine) and reports commits/s and commits per
// sync. The SyncWrites variant is the alternative to group commit.
func BenchmarkCreateParallel(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts Options
	}{
		{"GroupCommit", Options{}},
		{"SyncWrites", Options{syncEachCommit: true}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			s, err := OpenBadger(b.TempDir(), mode.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var next atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := strconv.FormatInt(next.Add(1), 10)
					if err := s.Create(context.Background(), benchObject(id)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
			if s.syncer != nil && s.syncer.syncs.Load() > 0 {
				b.ReportMetric(float64(b.N)/float64(s.syncer.syncs.Load()), "commits/sync")
			}
		})
	}
}

// BenchmarkFindByName finds one object by its unique Name among n objects
// that all share three other terms, with and without those terms in the
// query (listed first): the unique term must drive the search either way.
func BenchmarkFindByName(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			s, err := OpenBadger(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			fillStore(b, s, n)
			ctx := context.Background()
			for _, q := range []struct {
				name  string
				extra []Term
			}{
				{"NameOnly", nil},
				{"CommonTermsThenName", []Term{term("Object Type", "SymmetricKey"), term("State", "Active")}},
			} {
				b.Run(q.name, func(b *testing.B) {
					for i := 0; b.Loop(); i++ {
						id := strconv.Itoa(i % n)
						terms := append(q.extra[:len(q.extra):len(q.extra)], term("Name", "name-"+id))
						ids, total, err := s.Find(ctx, Query{Owner: "bench", Terms: terms})
						if err != nil || total != 1 || ids[0] != id {
							b.Fatalf("Find %s: %v %d %v", id, ids, total, err)
						}
					}
				})
			}
		})
	}
}

// fillStore creates objects "0" .. "n-1" from 64 goroutines.
func fillStore(b *testing.B, s *Badger, n int) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				if err := s.Create(context.Background(), benchObject(strconv.FormatInt(i, 10))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkDiskFsync measures the raw rate of 4 KiB write + fsync on the
// disk holding the temporary directory: the ceiling of one-sync-per-commit.
func BenchmarkDiskFsync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for i := 0; b.Loop(); i++ {
		if _, err := f.WriteAt(block, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "fsyncs/s")
}

// BenchmarkCreateSerial creates objects one at a time, as one client
// connection does: each Create waits for its own sync, so it is bounded by
// the fsync latency (compare BenchmarkDiskFsync).
func BenchmarkCreateSerial(b *testing.B) {
	s, err := OpenBadger(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; b.Loop(); i++ {
		if err := s.Create(context.Background(), benchObject(strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric(float64(b.N)/float64(s.SyncCount()), "commits/sync")
}
