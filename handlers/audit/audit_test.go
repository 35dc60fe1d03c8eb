package audit

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
	"github.com/kmipd/kmipd/store/storetest"
)

var auditPeer = &kmip.Peer{
	Identity: "CN=storage-array-1",
	Addr:     &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40001},
}

// usesKey is the key use of the operations these tests serve: Get.
func usesKey(op kmip.Operation) bool { return op == kmip14.OperationGet }

// openStore opens a Badger store in a temporary directory.
func openStore(t *testing.T) *store.Badger {
	t.Helper()
	st, err := store.OpenBadger(filepath.Join(t.TempDir(), "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// records returns every record of log (storetest.AllRecords).
func records(t *testing.T, log store.AuditLog) []store.AuditRecord {
	return storetest.AllRecords(t, log)
}

// TestHandlerRecordsTenant: each record carries the tenant Config.TenantOf
// gives the client's identity, whatever the handler it wraps.
func TestHandlerRecordsTenant(t *testing.T) {
	st := openStore(t)
	discover := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) {
		return &kmip.DiscoverVersionsResponse{Versions: kmip.SupportedVersions}, nil
	})
	tenants := map[string]string{auditPeer.Identity: "storage"}
	h := Handler(discover, Config{Log: st, UsesKey: usesKey, TenantOf: func(id string) string { return tenants[id] }})
	if _, err := h.ServeKMIP(context.Background(), &kmip.Request{
		Operation: kmip14.OperationDiscoverVersions, Payload: &kmip.DiscoverVersionsRequest{}, Peer: auditPeer,
	}); err != nil {
		t.Fatal(err)
	}
	recs := records(t, st)
	if len(recs) != 1 || recs[0].Tenant != "storage" || recs[0].Identity != auditPeer.Identity || recs[0].ClientAddr != "192.0.2.7:40001" {
		t.Fatalf("records: %+v", recs)
	}
}

func TestAuditedFailureAfterChangeIsRecordedTwice(t *testing.T) {
	st := openStore(t)
	failing := kmip.HandlerFunc(func(ctx context.Context, req *kmip.Request) (any, error) {
		if err := st.Create(ctx, Record(ctx), &store.Object{ID: "k1", Owner: "o"}); err != nil {
			return nil, err
		}
		return nil, kmip.Errorf(kmip.ReasonCryptographicFailure, "after the change")
	})
	_, err := Handler(failing, Config{Log: st, UsesKey: usesKey}).ServeKMIP(context.Background(), &kmip.Request{
		Operation: kmip14.OperationCreate, Payload: &kmip.CreateRequest{}, Peer: auditPeer, Batch: &kmip.BatchState{},
	})
	if err == nil {
		t.Fatal("the failure was lost")
	}
	recs := records(t, st)
	if len(recs) != 2 || recs[0].Result != "Success" || recs[0].ObjectID != "k1" ||
		recs[1].Result != "OperationFailed" || recs[1].Reason != "CryptographicFailure" || recs[1].ObjectID != "k1" {
		t.Fatalf("records: %+v", recs)
	}
}

func TestAuditedPanicIsRecorded(t *testing.T) {
	st := openStore(t)
	panicking := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) { panic("boom") })
	func() {
		defer func() {
			if recover() != "boom" {
				t.Error("the panic did not reach the caller")
			}
		}()
		Handler(panicking, Config{Log: st, UsesKey: usesKey}).ServeKMIP(context.Background(), &kmip.Request{
			Operation: kmip14.OperationGet, Payload: &kmip.GetRequest{UniqueIdentifier: "k"}, Peer: auditPeer,
		})
	}()
	recs := records(t, st)
	if len(recs) != 1 || recs[0].Result != "OperationFailed" || recs[0].Reason != "GeneralFailure" || recs[0].ObjectID != "k" {
		t.Fatalf("records: %+v", recs)
	}
}

// brokenLog is an audit log whose disk has failed.
type brokenLog struct{ store.AuditLog }

func (brokenLog) AppendAudit(context.Context, *store.AuditRecord) error {
	return errors.New("disk failed")
}

func (brokenLog) AppendAuditUnsynced(context.Context, *store.AuditRecord) error {
	return errors.New("disk failed")
}

func TestAuditedWithholdsAnswerWhenRecordFails(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	get := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) {
		return &kmip.GetResponse{UniqueIdentifier: "k", Object: kmip.Object{KeyBlock: &kmip.KeyBlock{Material: secret}}}, nil
	})
	resp, err := Handler(get, Config{Log: brokenLog{}, UsesKey: usesKey}).ServeKMIP(context.Background(), &kmip.Request{
		Operation: kmip14.OperationGet, Payload: &kmip.GetRequest{UniqueIdentifier: "k"}, Peer: auditPeer,
	})
	if resp != nil || err == nil {
		t.Fatalf("Get answered without its record: %v, %v", resp, err)
	}
	if ke := kmip.AsError(err); ke.Reason != kmip.ReasonGeneralFailure {
		t.Fatalf("reason %v, want General Failure", ke.Reason)
	}
}
