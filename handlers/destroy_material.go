package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Destroying material for good.
//
// With a crypto module that can forget material (hsm.Forgetter: hsm.Slotted,
// whose key slots hold one data-encryption key per object), a Destroy
// without grace period goes through the pending-destruction space like a
// Destroy with one (destroy_grace.go), with a deadline of now:
//
//  1. the object's sealed material is recorded as pending (durable);
//  2. the object becomes Destroyed and loses its material (durable, with
//     the request's audit record);
//  3. the material's key slot is wiped (durable): from then on no copy of
//     the sealed material, in any superseded version the store keeps until
//     compaction or in any later backup, unseals under any key the server
//     holds;
//  4. the pending record is deleted.
//
// Destroy answers after step 3. Each step costs the same whatever the
// number of objects stored. A crash after step 1 leaves a pending record
// past its deadline, which FinishDestructions completes at the next start:
// purgePending wipes the slot unless the object still holds that material
// (the crash came before step 2), so the repair at start costs one step per
// pending record, never a walk of the store.
//
// In a batch with Batch Error Continuation Option Undo, a later item's
// failure may put the material back (Service.restore), so step 3 is left to
// the Sweep after undoMargin, which wipes only when the object no longer
// holds the material.
const undoMargin = time.Minute

// FinishDestructions ends the pending destructions that are due: those
// whose grace period is over, and those a crash interrupted between a
// Destroy's commit and the wipe of its material. kmipd calls it at start,
// before it serves; Sweep calls it afterwards. It costs one step per
// pending destruction, never a walk of the store, and returns the first
// error after trying them all.
func (s *Service) FinishDestructions(ctx context.Context) error {
	return s.purgeExpiredDestructions(ctx) // destroy_grace.go
}

// destroyAtOnce destroys object id and, outside an Undo batch, wipes its
// material before answering.
func (s *Service) destroyAtOnce(ctx context.Context, req *kmip.Request, p *kmip.DestroyRequest, f hsm.Forgetter) (any, error) {
	var grace time.Duration
	if req.Batch != nil && req.Batch.Undoable {
		grace = undoMargin
	}
	resp, pending, err := s.destroyPending(ctx, req, p, grace) // destroy_grace.go
	if err != nil {
		return nil, err
	}
	if pending != nil && grace == 0 {
		if err := s.purgePending(ctx, f, pending, nil); err != nil {
			// The object is Destroyed; the Sweep retries the wipe.
			return nil, fmt.Errorf("object destroyed, but wiping its material failed (retried later): %w", err)
		}
	}
	return resp, nil
}

// purgePending ends pending destruction p: when the store still holds p as
// it is, it wipes the key slot of p's material through f, unless object
// p.ID holds that very material (its Destroy never committed, or was
// undone), and then deletes the record, with audit record rec (nil for
// none). f may be nil (the module cannot forget): the record is then only
// deleted. A record changed since p was read (an Undestroy and a new
// Destroy) is left alone.
func (s *Service) purgePending(ctx context.Context, f hsm.Forgetter, p *store.Pending, rec *store.AuditRecord) error {
	same := func(cur *store.Pending) bool {
		return cur.Deadline.Equal(p.Deadline) && bytes.Equal(cur.Material, p.Material)
	}
	if f != nil && p.Material != nil {
		err := s.store.UpdatePending(ctx, nil, p.ID, func(cur **store.Pending) error {
			if !same(*cur) {
				return errChangedPending
			}
			return errUnchanged // a read
		})
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, errChangedPending) {
			return nil
		}
		if !errors.Is(err, errUnchanged) {
			return err
		}
		obj, err := s.store.Get(ctx, p.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if obj == nil || !bytes.Equal(obj.Material, p.Material) {
			if err := f.Forget(p.ID, p.Material); err != nil {
				return err
			}
		}
	}
	err := s.store.UpdatePending(ctx, rec, p.ID, func(cur **store.Pending) error {
		if !same(*cur) {
			return errChangedPending
		}
		*cur = nil
		return nil
	})
	if errors.Is(err, errChangedPending) || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// errChangedPending stops the purge of a pending record replaced since.
var errChangedPending = errors.New("handlers: pending destruction changed")

// deleteForgetting deletes object id and then forgets its material (an
// undone Create, the parts of a failed Create Split Key), so that the
// copies of its sealed material the store keeps until compaction do not
// outlive it. A crash in between leaves the slot used: the material is then
// only as recoverable as before key slots.
func (s *Service) deleteForgetting(ctx context.Context, id string) error {
	obj, err := s.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.Delete(ctx, nil, id); err != nil {
		return err
	}
	if f := s.forgetter(); f != nil && obj.Material != nil {
		return f.Forget(id, obj.Material)
	}
	return nil
}

// forgetReplaced forgets the material replaced, which object id held
// before an Import put other material in its place, so that it does not
// survive in the store's superseded versions. In an Undo batch it is kept:
// the undo puts it back.
func (s *Service) forgetReplaced(req *kmip.Request, id string, replaced []byte) error {
	f := s.forgetter()
	if f == nil || replaced == nil || (req.Batch != nil && req.Batch.Undoable) {
		return nil
	}
	if err := f.Forget(id, replaced); err != nil {
		return fmt.Errorf("object replaced, but wiping its former material failed: %w", err)
	}
	return nil
}

// forgetter returns the module's Forgetter, or nil.
func (s *Service) forgetter() hsm.Forgetter {
	f, _ := s.crypto.(hsm.Forgetter)
	return f
}
