package handlers

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// BenchmarkDestroyAtScale measures Destroy (destroy_grace 0: pending
// record, commit, key slot wipe, record deleted; each durable) through
// Service.ServeKMIP on Badger and key slots holding 10,000 and then
// 1,000,000 AES-256 keys, created beforehand by 64 goroutines. The cost
// must not grow with the number stored. It also logs the load's Create
// rate and how long reopening the slot file (its scan) takes at that size.
// The 1,000,000 load takes minutes:
//
//	go test ./handlers -run '^$' -bench DestroyAtScale -benchtime 2000x
func BenchmarkDestroyAtScale(b *testing.B) {
	for _, stored := range []int{10_000, 1_000_000} {
		// The testing package runs a benchmark function once with b.N = 1
		// before the real run: the keys are loaded once, for both.
		var rig *destroyRig
		parent := b
		b.Run(fmt.Sprintf("stored=%d", stored), func(b *testing.B) {
			if rig == nil {
				rig = newDestroyRig(parent, stored)
			}
			if rig.next+b.N > len(rig.ids) {
				b.Fatalf("b.N = %d: only %d keys left to destroy", b.N, len(rig.ids)-rig.next)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				req := &kmip.DestroyRequest{UniqueIdentifier: rig.ids[rig.next]}
				rig.next++
				if _, err := rig.h.serve(kmip14.OperationDestroy, req); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "destroys/s")
		})
	}
}

// destroyRig is a Service on Badger and key slots holding ids, of which
// the first next are destroyed.
type destroyRig struct {
	h    *benchService
	ids  []string
	next int
}

// newDestroyRig loads stored keys into a new rig that lives as long as b,
// and logs the Create rate of the load and the time it takes to reopen
// the slot file.
func newDestroyRig(b *testing.B, stored int) *destroyRig {
	dir := b.TempDir()
	st, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	slotsPath := filepath.Join(dir, hsm.KeySlotsFile)
	sl, err := hsm.OpenSlotted(providers[0].open(b), slotsPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sl.Slots().Close() })
	svc, err := New(Config{Store: st, Crypto: sl})
	if err != nil {
		b.Fatal(err)
	}
	r := &destroyRig{h: &benchService{svc: svc}}
	start := time.Now()
	r.ids = loadKeys(b, r.h, stored)
	b.Logf("%d keys created at %.0f/s (64 goroutines)", stored, float64(stored)/time.Since(start).Seconds())
	scan, err := timeOpenKeySlots(slotsPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("reopening the slot file of %d keys took %v", stored, scan)
	return r
}

// loadKeys creates n AES-256 keys through h from 64 goroutines and returns
// their identifiers.
func loadKeys(b *testing.B, h *benchService, n int) []string {
	ids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				resp, err := h.serve(kmip14.OperationCreate, benchCreateRequest())
				if err != nil {
					b.Error(err)
					return
				}
				ids[i] = resp.(*kmip.CreateResponse).UniqueIdentifier
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	return ids
}

// timeOpenKeySlots opens a second KeySlots on the file at path, which it
// never writes, and returns how long opening (the scan) took.
func timeOpenKeySlots(path string) (time.Duration, error) {
	start := time.Now()
	k, err := hsm.OpenKeySlots(path)
	if err != nil {
		return 0, err
	}
	took := time.Since(start)
	return took, k.Close()
}

// BenchmarkAuditedCreateParallelSlots is BenchmarkAuditedCreateParallel
// with the module sealing through key slots, for the cost of the slot
// write and its (shared) fsync.
func BenchmarkAuditedCreateParallelSlots(b *testing.B) {
	open := func(tb testing.TB) hsm.Crypto {
		sl, err := hsm.OpenSlotted(providers[0].open(tb), filepath.Join(tb.TempDir(), hsm.KeySlotsFile))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { sl.Slots().Close() })
		return sl
	}
	benchAuditedParallel(b, 64, open, func(h kmip.Handler, _ string) error {
		_, err := h.ServeKMIP(context.Background(), benchRequest(kmip14.OperationCreate, benchCreateRequest()))
		return err
	})
}
