package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// A destroy grace period keeps a destroyed object's sealed material, with
// its attributes as they were, in the store's pending-destruction space
// (store.Pending) until the period ends: the object itself is Destroyed
// and holds no material, so it is unusable at once, but Undestroy can bring
// it back until Sweep purges the material for good. Both steps are audited.

// errChangedDuringDestroy aborts a graceful destruction whose material
// changed between its two steps; the client may retry.
var errChangedDuringDestroy = kmip.Errorf(kmip.ReasonGeneralFailure, "object changed during Destroy; retry")

// destroyWithGrace destroys object id as Destroy does, after keeping its
// material and attributes in the pending space until now + grace. The
// pending record is written first: a crash in between leaves a live object
// with a spare copy of its own material, which Sweep removes at the deadline.
func (s *Service) destroyWithGrace(ctx context.Context, req *kmip.Request, p *kmip.DestroyRequest, grace time.Duration) (any, error) {
	resp, _, err := s.destroyPending(ctx, req, p, grace)
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// destroyPending is destroyWithGrace; it also returns the pending record
// written, nil when the object had no material.
func (s *Service) destroyPending(ctx context.Context, req *kmip.Request, p *kmip.DestroyRequest, grace time.Duration) (*kmip.DestroyResponse, *store.Pending, error) {
	before, err := s.view(ctx, req, p.UniqueIdentifier)
	if err != nil {
		return nil, nil, err
	}
	attrs, err := kmip.MarshalAttributes(before.attrs)
	if err != nil {
		return nil, nil, err
	}
	var rec *store.Pending
	if before.sealed != nil {
		rec = &store.Pending{ID: before.id, Deadline: s.now().Add(grace), Attributes: attrs, Material: before.sealed}
		if err = s.store.PutPending(ctx, rec); err != nil {
			return nil, nil, err
		}
	}
	transition := s.destroyItem(req)
	m, err := s.update(ctx, req, before.id, func(m *managed) error {
		if !bytes.Equal(m.sealed, before.sealed) {
			return errChangedDuringDestroy
		}
		return transition(m)
	})
	if err != nil {
		if before.sealed != nil {
			s.store.UpdatePending(ctx, nil, before.id, func(pp **store.Pending) error { *pp = nil; return nil })
		}
		return nil, nil, err
	}
	return &kmip.DestroyResponse{UniqueIdentifier: m.id}, rec, nil
}

// Undestroy brings back object id destroyed within its grace period: its
// attributes (and so its state) as they were before Destroy, and its
// material. It is an administrative action (kmipctl undestroy), recorded in
// the audit trail as "Undestroy". It fails when the object has no pending
// destruction (never destroyed with a grace, already purged or restored)
// or the grace period has ended.
func (s *Service) Undestroy(ctx context.Context, id string) error {
	rec := s.adminRecord("Undestroy", id, "")
	err := s.store.RestorePending(ctx, rec, id, func(obj *store.Object, p *store.Pending) error {
		if s.now().After(p.Deadline) {
			return fmt.Errorf("the grace period of %s ended at %s", id, p.Deadline.Format(time.RFC3339))
		}
		attrs, err := kmip.UnmarshalAttributes(p.Attributes)
		if err != nil {
			return err
		}
		obj.Attributes, obj.Material, obj.Terms = p.Attributes, p.Material, terms(attrs)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("object %s has no destruction pending", id)
	}
	if err != nil {
		s.adminAudit(ctx, "Undestroy", id, err.Error(), false)
	}
	return err
}

// purgeExpiredDestructions removes the pending material whose grace period
// has ended, each removal audited as "DestroyGraceEnd".
func (s *Service) purgeExpiredDestructions(ctx context.Context) error {
	now := s.now()
	var first error
	err := s.store.ForEachPending(ctx, func(p *store.Pending) error {
		if p.Deadline.After(now) {
			return nil
		}
		rec := s.adminRecord("DestroyGraceEnd", p.ID, "material destroyed for good")
		if err := s.purgePending(ctx, s.forgetter(), p, rec); err != nil && first == nil {
			first = err // destroy_material.go
		}
		return ctx.Err()
	})
	if first == nil {
		first = err
	}
	return first
}

// resealPending re-seals into epoch newID the pending material sealed under
// another epoch, so that a KEK rotation does not cut a grace period short.
func (s *Service) resealPending(ctx context.Context, newID uint32) (int, error) {
	n := 0
	err := s.store.ForEachPending(ctx, func(p *store.Pending) error {
		if !needsReseal(p.Material, newID) {
			return nil
		}
		err := s.store.UpdatePending(ctx, nil /* the rotation's own records describe it */, p.ID, func(pp **store.Pending) error {
			if !needsReseal((*pp).Material, newID) {
				return errUnchanged
			}
			sealed, err := s.reseal(p.ID, (*pp).Material)
			if err != nil {
				return err
			}
			(*pp).Material = sealed
			return nil
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errUnchanged), errors.Is(err, store.ErrNotFound):
		default:
			return fmt.Errorf("pending destruction %s: %w", p.ID, err)
		}
		return nil
	})
	return n, err
}

// adminRecord returns an audit record of an administrative action of this
// process, for the store mutation that makes the action.
func (s *Service) adminRecord(op, objectID, reason string) *store.AuditRecord {
	return &store.AuditRecord{
		Time:      s.clock(),
		Identity:  fmt.Sprintf("%s (pid %d)", filepath.Base(os.Args[0]), os.Getpid()),
		Operation: op,
		ObjectID:  objectID,
		Result:    kmip14.ResultStatusSuccess.String(),
		Reason:    reason,
	}
}
