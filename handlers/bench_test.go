package handlers

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

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
