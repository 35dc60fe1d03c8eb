package handlers

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// slotRig is a Service on Badger and an hsm.Slotted over a module, with
// the paths to restart it on the same data.
type slotRig struct {
	*rotationRig
	module hsm.Crypto
	slots  string
	sl     *hsm.Slotted
}

// newSlotRig is newRotationRig with the crypto module sealing through key
// slots (over module, or over the rig's software provider when nil).
func newSlotRig(t *testing.T, module hsm.Crypto, configure func(*Config)) *slotRig {
	t.Helper()
	r := &slotRig{slots: filepath.Join(t.TempDir(), hsm.KeySlotsFile)}
	r.rotationRig = newRotationRig(t, func(c *Config) {
		if module == nil {
			module = c.Crypto
		}
		r.module = module
		r.sl = r.openSlotted(t)
		c.Crypto = r.sl
		if configure != nil {
			configure(c)
		}
	})
	return r
}

func (r *slotRig) openSlotted(t *testing.T) *hsm.Slotted {
	t.Helper()
	s, err := hsm.OpenSlotted(r.module, r.slots)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Slots().Close() })
	return s
}

// restart gives the rig a new Service on the same store and a reopened
// slot file, as after a crash.
func (r *slotRig) restart(t *testing.T, configure func(*Config)) {
	t.Helper()
	r.sl.Slots().Close()
	r.sl = r.openSlotted(t)
	cfg := Config{Store: r.store, Crypto: r.sl, Now: func() time.Time { return r.h.now }}
	if configure != nil {
		configure(&cfg)
	}
	var err error
	if r.h.svc, err = New(cfg); err != nil {
		t.Fatal(err)
	}
}

func (r *slotRig) pending(t *testing.T) int {
	t.Helper()
	n := 0
	if err := r.store.ForEachPending(context.Background(), func(*store.Pending) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantForgotten fails unless sealed, material of object id, no longer
// unseals: its slot was wiped.
func (r *slotRig) wantForgotten(t *testing.T, id string, sealed []byte) {
	t.Helper()
	if !hsm.IsSlotSealed(sealed) {
		t.Fatal("material not in a key slot")
	}
	if got, err := r.sl.Unseal(id, sealed); !errors.Is(err, hsm.ErrSlotGone) || got != nil {
		t.Fatalf("the destroyed material still unseals (%v)", err)
	}
}

func TestDestroyWipesKeySlot(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			r := newSlotRig(t, p.open(t), nil)
			key := bytes.Repeat([]byte{0x6B}, 32)
			id := r.register(key)
			created := r.h.createAES(kmip.V1_4, alice, 256)
			live := r.h.createAES(kmip.V1_4, alice, 256)
			sealedRegistered, sealedCreated := r.sealed(t, id), r.sealed(t, created)
			if got, err := r.sl.Unseal(id, sealedRegistered); err != nil || !bytes.Contains(got, key) {
				t.Fatalf("before Destroy: %v", err)
			}
			for _, x := range []string{id, created} {
				r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: x})
			}
			r.wantForgotten(t, id, sealedRegistered)
			r.wantForgotten(t, created, sealedCreated)
			if r.pending(t) != 0 {
				t.Error("pending destructions left after Destroy")
			}
			r.h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: live})
		})
	}
}

// TestDestroyCrashRepair: a crash between the Destroy's commit and the
// wipe leaves a pending record past its deadline, which the Sweep after
// restart completes; a crash before the commit leaves the object whole.
func TestDestroyCrashRepair(t *testing.T) {
	r := newSlotRig(t, nil, nil)
	ctx := context.Background()
	destroyed, kept := r.register(bytes.Repeat([]byte{1}, 32)), r.register(bytes.Repeat([]byte{2}, 32))
	sealedDestroyed, sealedKept := r.sealed(t, destroyed), r.sealed(t, kept)
	for _, id := range []string{destroyed, kept} {
		p := &store.Pending{ID: id, Deadline: r.h.now, Material: r.sealed(t, id)}
		if err := r.store.PutPending(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Only the first Destroy reached its commit before the "crash".
	err := r.store.Update(ctx, nil, destroyed, func(obj *store.Object) error { obj.Material = nil; return nil })
	if err != nil {
		t.Fatal(err)
	}

	r.restart(t, nil)
	if err := r.h.svc.FinishDestructions(ctx); err != nil {
		t.Fatal(err)
	}
	r.wantForgotten(t, destroyed, sealedDestroyed)
	if got, err := r.sl.Unseal(kept, sealedKept); err != nil || !bytes.Contains(got, bytes.Repeat([]byte{2}, 32)) {
		t.Fatalf("the object whose Destroy never committed lost its material: %v", err)
	}
	if r.pending(t) != 0 {
		t.Error("pending destructions left after the repair")
	}
}

func TestDestroyGraceWipesAtTheEnd(t *testing.T) {
	r := newSlotRig(t, nil, func(c *Config) { c.DestroyGrace = time.Hour })
	ctx := context.Background()
	key := bytes.Repeat([]byte{0x33}, 32)
	id := r.register(key)
	sealed := r.sealed(t, id)
	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
	if _, err := r.sl.Unseal(id, sealed); err != nil {
		t.Fatalf("the slot was wiped within the grace period: %v", err)
	}
	if err := r.h.svc.Undestroy(ctx, id); err != nil {
		t.Fatal(err)
	}
	got := r.h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
	if !bytes.Equal(got.Object.KeyBlock.Material, key) {
		t.Fatal("Undestroy did not bring the material back")
	}
	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
	r.h.now = r.h.now.Add(61 * time.Minute)
	if err := r.h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	r.wantForgotten(t, id, sealed)
}

// TestDestroyInUndoBatch: an undone Destroy keeps the material; the Sweep
// after the margin drops the pending record without wiping.
func TestDestroyInUndoBatch(t *testing.T) {
	r := newSlotRig(t, nil, nil)
	ctx := context.Background()
	id := r.register(bytes.Repeat([]byte{7}, 32))
	sealed := r.sealed(t, id)
	batch := &kmip.BatchState{Undoable: true}
	req := &kmip.Request{Version: kmip.V1_4, Operation: kmip14.OperationDestroy, Payload: &kmip.DestroyRequest{UniqueIdentifier: id},
		Peer: &kmip.Peer{Identity: alice}, Batch: batch}
	if _, err := r.h.svc.ServeKMIP(ctx, req); err != nil {
		t.Fatal(err)
	}
	if r.pending(t) != 1 {
		t.Fatal("no pending destruction in an Undo batch")
	}
	// A later item failed: the batch's undo puts the material back.
	if err := r.store.Update(ctx, nil, id, func(o *store.Object) error { o.Material = sealed; return nil }); err != nil {
		t.Fatal(err)
	}
	r.h.now = r.h.now.Add(2 * undoMargin)
	if err := r.h.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.sl.Unseal(id, sealed); err != nil {
		t.Fatalf("the material of an undone Destroy was wiped: %v", err)
	}
	if r.pending(t) != 0 {
		t.Error("pending destruction left")
	}
}

// TestRotateKEKMovesMaterialIntoSlots: material sealed by the module alone
// (a data directory from before key slots) moves into slots on a KEK
// rotation, after which its old copies no longer unseal and a Destroy wipes
// it.
func TestRotateKEKMovesMaterialIntoSlots(t *testing.T) {
	r := newSlotRig(t, nil, nil)
	ctx := context.Background()
	key := bytes.Repeat([]byte{0x5C}, 32)
	legacy, err := r.module.Seal("old-object", key)
	if err != nil {
		t.Fatal(err)
	}
	id := r.register(key)
	if err := r.store.Update(ctx, nil, id, func(o *store.Object) error {
		o.Material, err = r.module.Seal(id, key)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	before := r.sealed(t, id)
	rot, err := r.h.svc.RotateKEK(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Resealed != 1 {
		t.Errorf("Resealed = %d, want 1", rot.Resealed)
	}
	after := r.sealed(t, id)
	if !hsm.IsSlotSealed(after) {
		t.Fatal("the rotation left the material outside a key slot")
	}
	if _, err := r.sl.Unseal(id, before); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("the copy sealed under the retired epoch still unseals: %v", err)
	}
	if _, err := r.sl.Unseal("old-object", legacy); !errors.Is(err, hsm.ErrUnseal) {
		t.Errorf("legacy material under the retired epoch still unseals: %v", err)
	}
	// A second rotation re-seals the slot in place, not the object.
	if rot, err = r.h.svc.RotateKEK(ctx); err != nil || rot.Resealed != 0 {
		t.Fatalf("second rotation: %d re-sealed, %v", rot.Resealed, err)
	}
	if !bytes.Equal(r.sealed(t, id), after) {
		t.Error("the second rotation changed the stored material")
	}
	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
	r.wantForgotten(t, id, after)
}

// TestDeleteForgets: an object removed without a Destroy (an undone Create,
// the parts of a failed Create Split Key) takes its material with it.
func TestDeleteForgets(t *testing.T) {
	r := newSlotRig(t, nil, nil)
	id := r.h.createAES(kmip.V1_4, alice, 256)
	sealed := r.sealed(t, id)
	if err := r.h.svc.deleteForgetting(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	r.wantForgotten(t, id, sealed)
}

// TestImportReplacementForgets: the material an Import with Replace
// Existing replaces does not survive in the store's old versions.
func TestImportReplacementForgets(t *testing.T) {
	r := newSlotRig(t, nil, nil)
	id := r.h.createAES(kmip.V2_1, alice, 256)
	old := r.sealed(t, id)
	r.h.must(kmip.V2_1, alice, &kmip.ImportRequest{UniqueIdentifier: id, ObjectType: kmip14.ObjectTypeSymmetricKey,
		Object: rawKey(bytes.Repeat([]byte{0x5A}, 32)), ReplaceExisting: true,
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}}})
	r.wantForgotten(t, id, old)
	r.h.must(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id})
}
