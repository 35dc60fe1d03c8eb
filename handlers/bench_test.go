package handlers

import (
	"context"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Benchmarks of Create AES-256 and Encrypt AES-GCM 1 KiB through
// Service.ServeKMIP on a Badger store in a temporary directory, with each
// provider. Run: go test ./handlers -run '^$' -bench . -benchtime 2s
// Each reports ops/s.

func BenchmarkCreateAES256(b *testing.B) {
	forEachProviderB(b, func(b *testing.B, h *benchService) {
		req := &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
		}}
		b.ResetTimer()
		for b.Loop() {
			if _, err := h.serve(kmip14.OperationCreate, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

func BenchmarkEncryptAESGCM1KiB(b *testing.B) {
	forEachProviderB(b, func(b *testing.B, h *benchService) {
		created, err := h.serve(kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
			{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
		}})
		if err != nil {
			b.Fatal(err)
		}
		id := created.(*kmip.CreateResponse).UniqueIdentifier
		if _, err := h.serve(kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id}); err != nil {
			b.Fatal(err)
		}
		req := &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: make([]byte, 1024)}
		b.SetBytes(1024)
		b.ResetTimer()
		for b.Loop() {
			if _, err := h.serve(kmip14.OperationEncrypt, req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

// benchService is a Service on a Badger store in a temporary directory.
type benchService struct{ svc *Service }

// serve serves one 2.1 item as alice, as the server does.
func (h *benchService) serve(op kmip.Operation, payload any) (any, error) {
	return h.svc.ServeKMIP(context.Background(), &kmip.Request{
		Version: kmip.V2_1, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{},
	})
}

// forEachProviderB runs bench with a harness over each provider.
func forEachProviderB(b *testing.B, bench func(b *testing.B, h *benchService)) {
	for _, p := range providers {
		b.Run(p.name, func(b *testing.B) {
			st, err := store.OpenBadger(filepath.Join(b.TempDir(), "db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			svc, err := New(Config{Store: st, Crypto: p.open(b)})
			if err != nil {
				b.Fatal(err)
			}
			bench(b, &benchService{svc: svc})
		})
	}
}

// BenchmarkAuditedCreateParallel serves Create AES-256 through
// audited(Service) over Badger from 64 goroutines, as kmipd does under
// kmipctl bench --op create --conns 64 (without TLS), and reports ops/s and
// creates per fsync. Profile it with -cpuprofile.
func BenchmarkAuditedCreateParallel(b *testing.B) {
	benchAuditedParallel(b, 64, providers[0].open, func(h kmip.Handler, _ string) error {
		_, err := h.ServeKMIP(context.Background(), benchRequest(kmip14.OperationCreate, benchCreateRequest()))
		return err
	})
}

// BenchmarkAuditedGetParallel serves Get of one of 1,000 keys through
// audited(Service) from 32 goroutines: each Get appends its audit record
// and waits for it to be durable.
func BenchmarkAuditedGetParallel(b *testing.B) {
	benchAuditedParallel(b, 32, providers[0].open, func(h kmip.Handler, id string) error {
		_, err := h.ServeKMIP(context.Background(), benchRequest(kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id}))
		return err
	})
}

func benchCreateRequest() *kmip.CreateRequest {
	return &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
	}}
}

func benchRequest(op kmip.Operation, payload any) *kmip.Request {
	return &kmip.Request{Version: kmip.V2_1, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{}}
}

// benchAuditedParallel runs op from conns goroutines against
// audited(Service) with the module open gives, on 1,000 preloaded keys.
func benchAuditedParallel(b *testing.B, conns int, open func(testing.TB) hsm.Crypto, op func(h kmip.Handler, id string) error) {
	st, err := store.OpenBadger(filepath.Join(b.TempDir(), "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	svc, err := New(Config{Store: st, Crypto: open(b)})
	if err != nil {
		b.Fatal(err)
	}
	h := audited(svc, st, nil)
	ids := make([]string, 1000)
	for i := range ids {
		resp, err := h.ServeKMIP(context.Background(), benchRequest(kmip14.OperationCreate, benchCreateRequest()))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = resp.(*kmip.CreateResponse).UniqueIdentifier
	}
	syncs0 := st.SyncCount()
	var next atomic.Int64
	b.SetParallelism(max(1, conns/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(h, ids[next.Add(1)%int64(len(ids))]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(b.N)/float64(max(1, st.SyncCount()-syncs0)), "ops/sync")
}
