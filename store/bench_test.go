package store

import (
	"context"
	cryptorand "crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
					if err := s.Create(context.Background(), nil, benchObject(id)); err != nil {
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
				if err := s.Create(context.Background(), nil, benchObject(strconv.FormatInt(i, 10))); err != nil {
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
		if err := s.Create(context.Background(), nil, benchObject(strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric(float64(b.N)/float64(s.SyncCount()), "commits/sync")
}

// BenchmarkCreateSustained creates 1,000,000 objects from 64 goroutines into
// one store with the default Options, as a bulk load into a growing store
// does, and logs the rate of each 100,000-object window, the process's peak
// RSS (VmHWM, reset at the start where the kernel allows) and its RSS at the
// end (VmRSS). It runs once whatever b.N is: run it with -benchtime=1x.
func BenchmarkCreateSustained(b *testing.B) {
	const total, window, workers = 1_000_000, 100_000, 64
	resetPeakRSS()
	s, err := OpenBadger(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next, done atomic.Int64
	windowEnds := make([]time.Time, total/window)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				if err := s.Create(context.Background(), nil, realisticObject(strconv.FormatInt(i, 10))); err != nil {
					b.Error(err)
					return
				}
				if n := done.Add(1); n%window == 0 {
					windowEnds[n/window-1] = time.Now()
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var rates strings.Builder // one log line: benchmarks keep only 10
	prev := start
	for _, end := range windowEnds {
		fmt.Fprintf(&rates, " %.0f", window/end.Sub(prev).Seconds())
		prev = end
	}
	b.Logf("ops/s per %d objects:%s", window, rates.String())
	hwm, rss := procStatusKB("VmHWM"), procStatusKB("VmRSS")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.Logf("total %.0f ops/s; VmHWM %d MB, VmRSS %d MB (anonymous %d MB, files %d MB; Go heap in use %d MB, from the OS %d MB)",
		total/elapsed.Seconds(), hwm>>10, rss>>10, procStatusKB("RssAnon")>>10, procStatusKB("RssFile")>>10,
		ms.HeapInuse>>20, (ms.HeapSys-ms.HeapReleased)>>20)
	if path := os.Getenv("STORE_BENCH_HEAPPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	b.ReportMetric(total/elapsed.Seconds(), "ops/s")
	b.ReportMetric(window/windowEnds[len(windowEnds)-1].Sub(windowEnds[len(windowEnds)-2]).Seconds(), "last-window-ops/s")
	b.ReportMetric(float64(hwm>>10), "peak-RSS-MB")
	b.ReportMetric(float64(rss>>10), "RSS-MB")
}

// realisticObject is benchObject with contents that compress as stored keys
// do: random sealed material, and attributes of TTLV-like 16-byte items (an
// 8-byte tag/type/length header, 8 random bytes). All-zero contents would
// let compressed SSTs hold far more entries, and their builders far more
// memory, than real ones.
func realisticObject(id string) *Object {
	obj := benchObject(id)
	cryptorand.Read(obj.Material)
	for i := 0; i+16 <= len(obj.Attributes); i += 16 {
		copy(obj.Attributes[i:], "\x42\x00\x0a\x07\x00\x00\x00\x08")
		cryptorand.Read(obj.Attributes[i+8 : i+16])
	}
	return obj
}

// resetPeakRSS resets the process's VmHWM (Linux: "5" to clear_refs); on
// failure VmHWM stays the peak since the process started.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procStatusKB returns the field of /proc/self/status in KiB, 0 if absent.
func procStatusKB(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
