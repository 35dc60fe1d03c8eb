package conformance

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// BenchmarkOneConnection measures the assembled server (TLS, codec,
// handlers, sealing, the Badger store with its fsync) from one client
// connection issuing one request at a time: the latency-bound rate a single
// storage array or database connection sees. Run with
//
//	go test -run X -bench OneConnection ./conformance/
func BenchmarkOneConnection(b *testing.B) {
	d := startDaemon(b, b.TempDir())
	c := d.client(b)

	b.Run("Create", func(b *testing.B) {
		req := createRequest("", "")
		for b.Loop() {
			do[*kmip.CreateResponse](b, c, kmip14.OperationCreate, req)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("Get", func(b *testing.B) {
		id := do[*kmip.CreateResponse](b, c, kmip14.OperationCreate, createRequest("", "")).UniqueIdentifier
		req := &kmip.GetRequest{UniqueIdentifier: id}
		for b.Loop() {
			do[*kmip.GetResponse](b, c, kmip14.OperationGet, req)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("DiscoverVersions", func(b *testing.B) {
		req := &kmip.DiscoverVersionsRequest{}
		for b.Loop() {
			do[*kmip.DiscoverVersionsResponse](b, c, kmip14.OperationDiscoverVersions, req)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
