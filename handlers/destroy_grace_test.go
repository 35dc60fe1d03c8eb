package handlers

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

func TestDestroyGraceUndestroyAndPurge(t *testing.T) {
	r := newRotationRig(t, func(c *Config) { c.DestroyGrace = time.Hour })
	ctx := context.Background()
	key := bytes.Repeat([]byte{0x42}, 32)
	id := r.register(key)
	r.h.must(kmip.V1_4, alice, &kmip.ActivateRequest{UniqueIdentifier: id})
	r.h.must(kmip.V1_4, alice, &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: id})

	// Destroyed and unusable at once; the object holds no material.
	if st := r.h.state(alice, id); st != kmip14.StateDestroyed {
		t.Fatalf("state after Destroy = %v", st)
	}
	if _, err := r.h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id}); err == nil {
		t.Fatal("Get succeeds within the grace period")
	}
	if r.sealed(t, id) != nil {
		t.Fatal("the destroyed object still holds material")
	}
	// A KEK rotation within the grace keeps the pending material usable.
	if _, err := r.h.svc.RotateKEK(ctx); err != nil {
		t.Fatal(err)
	}
	r.h.now = r.h.now.Add(30 * time.Minute)
	if err := r.h.svc.Undestroy(ctx, id); err != nil {
		t.Fatalf("Undestroy: %v", err)
	}
	if st := r.h.state(alice, id); st != kmip14.StateDeactivated {
		t.Fatalf("state after Undestroy = %v, want Deactivated", st)
	}
	got := r.h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
	if !bytes.Equal(got.Object.KeyBlock.Material, key) {
		t.Fatal("material not restored")
	}
	if err := r.h.svc.Undestroy(ctx, id); err == nil {
		t.Fatal("second Undestroy succeeds")
	}

	// Destroyed again; after the grace the sweep purges it for good.
	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
	r.h.now = r.h.now.Add(59 * time.Minute)
	if err := r.h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	r.h.now = r.h.now.Add(2 * time.Minute)
	if err := r.h.svc.Undestroy(ctx, id); err == nil {
		t.Fatal("Undestroy after the grace succeeds")
	}
	if err := r.h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	r.store.ForEachPending(ctx, func(*store.Pending) error { left++; return nil })
	if left != 0 {
		t.Fatalf("%d pending destructions left after the grace", left)
	}
	ops := map[string]int{}
	r.store.AuditRecords(ctx, 0, func(rec store.AuditRecord) error { ops[rec.Operation+"/"+rec.Result]++; return nil })
	if ops["Undestroy/Success"] != 1 || ops["DestroyGraceEnd/Success"] != 1 || ops["Undestroy/OperationFailed"] != 2 {
		t.Fatalf("audit records: %v", ops)
	}
	if _, err := r.store.VerifyAudit(ctx); err != nil {
		t.Fatal(err)
	}
}
