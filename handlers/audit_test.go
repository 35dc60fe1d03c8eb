package handlers

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
	"github.com/kmipd/kmipd/store/storetest"
)

var auditPeer = &kmip.Peer{
	Identity: "CN=storage-array-1",
	Addr:     &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40001},
}

// auditedHarness is a real Service on Badger wrapped by Audited.
type auditedHarness struct {
	*harness
	handler kmip.Handler
	clock   time.Time
}

func newAuditedHarness(t *testing.T) *auditedHarness {
	h := &auditedHarness{harness: newHarness(t), clock: time.Date(2026, 11, 27, 8, 0, 0, 123, time.UTC)}
	h.handler = audited(h.svc, h.store, func() time.Time { return h.clock })
	return h
}

func (h *auditedHarness) serve(op kmip.Operation, payload any) (any, error) {
	return h.handler.ServeKMIP(context.Background(), &kmip.Request{
		Version: kmip.V1_4, Operation: op, Payload: payload, Peer: auditPeer, Batch: &kmip.BatchState{},
	})
}

// records returns every record of log (storetest.AllRecords).
func records(t *testing.T, log store.AuditLog) []store.AuditRecord {
	return storetest.AllRecords(t, log)
}

// serveRecorded serves one item and returns its response and the one record
// it must have added, read back from the store as the call returns.
func (h *auditedHarness) serveRecorded(op kmip.Operation, payload any) (any, error, store.AuditRecord) {
	h.t.Helper()
	before := len(records(h.t, h.store))
	resp, err := h.serve(op, payload)
	after := records(h.t, h.store)
	if len(after) != before+1 {
		h.t.Fatalf("%v added %d audit records, want 1: %+v", op, len(after)-before, after[before:])
	}
	return resp, err, after[before]
}

func wantRecord(t *testing.T, got store.AuditRecord, op kmip.Operation, id string, err error) {
	t.Helper()
	want := store.AuditRecord{
		Seq: got.Seq, Time: time.Date(2026, 11, 27, 8, 0, 0, 123, time.UTC),
		Identity: auditPeer.Identity, ClientAddr: "192.0.2.7:40001",
		Operation: op.String(), ObjectID: id, Result: "Success",
		Prev: got.Prev, Hash: got.Hash,
	}
	if err != nil {
		// The reason the client saw: the harness speaks 1.4.
		want.Result, want.Reason = "OperationFailed", kmip.AsError(err).ReasonFor(kmip.V1_4).String()
	}
	if !got.Time.Equal(want.Time) {
		t.Errorf("%v record time %v, want %v", op, got.Time, want.Time)
	}
	got.Time = want.Time
	if got != want {
		t.Errorf("%v record\n got %+v\nwant %+v", op, got, want)
	}
}

func TestAuditedRecordsEveryItem(t *testing.T) {
	h := newAuditedHarness(t)
	aes := []kmip.Attribute{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: int32(12)},
		{Name: kmip.AttrName, Value: kmip.Name{Value: "audited-key", Type: kmip14.NameTypeUninterpretedTextString}},
	}

	resp, err, rec := h.serveRecorded(kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: aes})
	if err != nil {
		t.Fatal(err)
	}
	id := resp.(*kmip.CreateResponse).UniqueIdentifier
	wantRecord(t, rec, kmip14.OperationCreate, id, nil)

	_, err, rec = h.serveRecorded(kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id})
	if err != nil {
		t.Fatal(err)
	}
	wantRecord(t, rec, kmip14.OperationActivate, id, nil)

	// The Get's record is in the store when the key is handed out.
	resp, err, rec = h.serveRecorded(kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	if err != nil {
		t.Fatal(err)
	}
	wantRecord(t, rec, kmip14.OperationGet, id, nil)
	material := resp.(*kmip.GetResponse).Object.KeyBlock.Material
	if len(material) != 32 {
		t.Fatalf("Get returned %d bytes of key", len(material))
	}

	// Destroying an Active key is refused, and the refusal is recorded.
	_, err, rec = h.serveRecorded(kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: id})
	if err == nil {
		t.Fatal("Destroy of an Active key succeeded")
	}
	wantRecord(t, rec, kmip14.OperationDestroy, id, err)

	resp, err, rec = h.serveRecorded(kmip14.OperationLocate, &kmip.LocateRequest{Attributes: aes[3:]})
	if err != nil {
		t.Fatal(err)
	}
	if ids := resp.(*kmip.LocateResponse).UniqueIdentifiers; len(ids) != 1 || ids[0] != id {
		t.Fatalf("Locate found %v", ids)
	}
	wantRecord(t, rec, kmip14.OperationLocate, id, nil)

	// A failed read names the object asked for.
	_, err, rec = h.serveRecorded(kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: "no-such-key"})
	if err == nil {
		t.Fatal("Get of a missing key succeeded")
	}
	wantRecord(t, rec, kmip14.OperationGet, "no-such-key", err)
	if rec.Reason != "ItemNotFound" {
		t.Errorf("record of a 1.4 Get of a missing key: reason %s, want the ItemNotFound sent", rec.Reason)
	}

	if n, err := h.store.VerifyAudit(context.Background()); err != nil || n != 6 {
		t.Fatalf("VerifyAudit = %d, %v", n, err)
	}
	for _, r := range records(t, h.store) {
		if fields := recordBytes(r); bytes.Contains(fields, material) ||
			bytes.Contains(fields, []byte(hex.EncodeToString(material))) {
			t.Fatalf("audit record %d holds the key material", r.Seq)
		}
	}
}

// recordBytes is every field of r, as stored.
func recordBytes(r store.AuditRecord) []byte {
	var b []byte
	for _, f := range []string{r.Identity, r.Tenant, r.ClientAddr, r.Operation, r.ObjectID, r.Result, r.Reason} {
		b = append(b, f...)
	}
	return append(append(b, r.Prev[:]...), r.Hash[:]...)
}

// unsyncedOnlyLog commits records but never makes them durable: an
// AppendAudit (which waits for the disk) fails.
type unsyncedOnlyLog struct {
	store.AuditLog
	unsynced int
}

func (*unsyncedOnlyLog) AppendAudit(context.Context, *store.AuditRecord) error {
	return errors.New("sync failed")
}

func (l *unsyncedOnlyLog) AppendAuditUnsynced(context.Context, *store.AuditRecord) error {
	l.unsynced++
	return nil
}

// TestAuditedWaitsForDiskOnlyForKeyUse checks which answers wait for their
// record to be on disk: a Get does, a DiscoverVersions or a refused Get
// (which released nothing) does not.
func TestAuditedWaitsForDiskOnlyForKeyUse(t *testing.T) {
	log := &unsyncedOnlyLog{}
	h := kmip.HandlerFunc(func(_ context.Context, req *kmip.Request) (any, error) {
		switch p := req.Payload.(type) {
		case *kmip.GetRequest:
			if p.UniqueIdentifier == "missing" {
				return nil, kmip.Errorf(kmip.ReasonItemNotFound, "no such object")
			}
			return &kmip.GetResponse{UniqueIdentifier: p.UniqueIdentifier}, nil
		}
		return &kmip.DiscoverVersionsResponse{Versions: kmip.SupportedVersions}, nil
	})
	audited := audited(h, log, nil)
	serve := func(op kmip.Operation, payload any) error {
		_, err := audited.ServeKMIP(context.Background(), &kmip.Request{Operation: op, Payload: payload, Peer: auditPeer})
		return err
	}
	if err := serve(kmip14.OperationDiscoverVersions, &kmip.DiscoverVersionsRequest{}); err != nil {
		t.Errorf("DiscoverVersions waited for the disk: %v", err)
	}
	err := serve(kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: "missing"})
	if ke := kmip.AsError(err); ke.Reason != kmip.ReasonItemNotFound {
		t.Errorf("a refused Get: %v, want its own Item Not Found", err)
	}
	if err := serve(kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: "k"}); err == nil {
		t.Error("a Get was answered although its record could not reach the disk")
	}
	if log.unsynced != 2 {
		t.Errorf("%d records committed without waiting, want 2", log.unsynced)
	}
}

// TestAuditedLocateAfterDueTransition checks that a Locate by State, which
// first applies the date-driven transitions due, is recorded as a Locate
// naming no object, not against the object whose state the dates changed.
func TestAuditedLocateAfterDueTransition(t *testing.T) {
	h := newAuditedHarness(t)
	soon := h.now.Add(time.Hour)
	for range 2 {
		if _, err := h.serve(kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(128)},
			{Name: kmip.AttrActivationDate, Value: soon},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	h.now = soon.Add(time.Second) // the Activation Dates have passed
	located, err, rec := h.serveRecorded(kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrState, Value: kmip14.StateActive}}})
	if err != nil {
		t.Fatal(err)
	}
	if ids := located.(*kmip.LocateResponse).UniqueIdentifiers; len(ids) != 2 {
		t.Fatalf("Locate(State=Active) found %v, want the two keys activated by their dates", ids)
	}
	// Two matches: the record names no single object.
	wantRecord(t, rec, kmip14.OperationLocate, "", nil)
}
