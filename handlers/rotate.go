package handlers

import (
	"context"
	"errors"
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

// KEKRotation reports what RotateKEK did.
type KEKRotation struct {
	NewKeyID uint32   // the epoch that seals from now on
	Resealed int      // objects whose material was re-sealed into it
	Retired  []uint32 // the epochs destroyed
}

// ErrRotationUnsupported is returned by RotateKEK when the crypto module has
// no KEK epochs (hsm.Rotator).
var ErrRotationUnsupported = errors.New("handlers: KEK rotation needs an hsm.Rotator")

// RotateKEK rotates the key-encryption key: it creates a new epoch, re-seals
// the material of every object still holding some into it, and then
// retires (destroys) every older epoch, so that material sealed under them,
// including copies of destroyed objects' material that the store may keep
// on disk until compaction, can never be unsealed again. Every step is
// recorded in the audit trail (operation "KEKRotate").
//
// It may run while the service serves requests. Objects created while it
// runs are sealed under the new epoch, except one whose material was sealed
// just before the rotation and stored after the walk passed it: a second
// walk catches those before anything is retired. When re-sealing fails,
// nothing is retired and the error is returned; calling RotateKEK again
// resumes (objects already in the newest epoch are skipped).
func (s *Service) RotateKEK(ctx context.Context) (KEKRotation, error) {
	rot, ok := s.crypto.(hsm.Rotator)
	if !ok {
		return KEKRotation{}, ErrRotationUnsupported
	}
	var r KEKRotation
	old := rot.KeyIDs()
	newID, err := rot.Rotate()
	if err != nil {
		s.adminAudit(ctx, "KEKRotate", "", "create epoch: "+err.Error(), false)
		return r, fmt.Errorf("kek rotate: %w", err)
	}
	r.NewKeyID = newID
	if err := s.adminAudit(ctx, "KEKRotate", epochName(newID), "epoch created", true); err != nil {
		return r, err
	}
	for pass := 0; pass < 2; pass++ {
		n, err := s.resealAll(ctx, newID)
		r.Resealed += n
		if err == nil {
			n, err = s.resealPending(ctx, newID) // destroy_grace.go
			r.Resealed += n
		}
		if err != nil {
			s.adminAudit(ctx, "KEKRotate", epochName(newID), fmt.Sprintf("re-seal failed after %d objects; nothing retired: %v", r.Resealed, err), false)
			return r, fmt.Errorf("kek rotate: re-seal: %w", err)
		}
	}
	if err := s.adminAudit(ctx, "KEKRotate", epochName(newID), fmt.Sprintf("%d objects re-sealed", r.Resealed), true); err != nil {
		return r, err
	}
	for _, id := range old {
		if err := rot.Retire(id); err != nil {
			s.adminAudit(ctx, "KEKRotate", epochName(id), "retire: "+err.Error(), false)
			return r, fmt.Errorf("kek rotate: retire epoch %d: %w", id, err)
		}
		r.Retired = append(r.Retired, id)
		if err := s.adminAudit(ctx, "KEKRotate", epochName(id), "epoch retired: its key is destroyed", true); err != nil {
			return r, err
		}
	}
	s.log.Info("KEK rotated")
	return r, nil
}

// resealAll re-seals into epoch newID the material of every object sealed
// under another epoch, and returns how many it changed.
func (s *Service) resealAll(ctx context.Context, newID uint32) (int, error) {
	n := 0
	err := s.store.ForEachObject(ctx, func(obj *store.Object) error {
		if !needsReseal(obj.Material, newID) {
			return nil
		}
		err := s.store.Update(ctx, nil /* the rotation's own records describe it */, obj.ID, func(o *store.Object) error {
			if !needsReseal(o.Material, newID) {
				return errUnchanged
			}
			sealed, err := s.reseal(o.ID, o.Material)
			if err != nil {
				return err
			}
			o.Material = sealed
			return nil
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, errUnchanged), errors.Is(err, store.ErrNotFound):
		default:
			return fmt.Errorf("object %s: %w", obj.ID, err)
		}
		return nil
	})
	return n, err
}

// needsReseal reports whether sealed is material under an epoch other than
// current. Material in the module's own format moves into a key slot when
// re-sealed by an hsm.Slotted: a rotation is how an existing data directory
// migrates to key slots.
func needsReseal(sealed []byte, current uint32) bool {
	if sealed == nil || hsm.IsSlotSealed(sealed) {
		return false // a slot's DEK is re-sealed in its slot (hsm.Slotted.Retire)
	}
	id, ok := hsm.SealedKeyID(sealed)
	return !ok || id != current
}

// reseal unseals material of object id and seals it again under the current
// epoch. The plaintext is zeroed before return.
func (s *Service) reseal(id string, sealed []byte) ([]byte, error) {
	plain, err := s.crypto.Unseal(id, sealed)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	return s.crypto.Seal(id, plain)
}

// adminAudit appends a record of an administrative action of this process
// (not of a client) to the audit trail.
func (s *Service) adminAudit(ctx context.Context, op, objectID, reason string, success bool) error {
	rec := s.adminRecord(op, objectID, reason)
	if !success {
		rec.Result = kmip14.ResultStatusOperationFailed.String()
	}
	if err := s.store.AppendAudit(ctx, rec); err != nil {
		return fmt.Errorf("%s not recorded: %w", op, err)
	}
	return nil
}

// epochName names a KEK epoch in audit records.
func epochName(id uint32) string { return fmt.Sprintf("kek epoch %d", id) }
