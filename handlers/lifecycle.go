package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// The lifecycle state machine (KMIP 1.4 section 3.22, 2.1 section 4.57):
//
//	Pre-Active  -> Active                 Activate, or Activation Date reached
//	Pre-Active  -> Compromised            Revoke (Key/CA Compromise)
//	Pre-Active  -> Destroyed              Destroy
//	Active      -> Deactivated            Revoke (other reason), or Deactivation Date reached
//	Active      -> Compromised            Revoke (Key/CA Compromise)
//	Deactivated -> Compromised            Revoke (Key/CA Compromise)
//	Deactivated -> Destroyed              Destroy
//	Compromised -> Destroyed Compromised  Destroy
//	Destroyed   -> Destroyed Compromised  Revoke (Key/CA Compromise)
//
// Every other transition is refused with Permission Denied (1.x) or Wrong Key
// Lifecycle State (2.x), as the conformance cases SKLC-M-2 and -3 expect.
// Every state change sets Last Change Date.

// wrongState is the error for an operation the object's state refuses.
func wrongState(s kmip.State) error {
	return &kmip.Error{
		Reason:  kmip.ReasonWrongKeyLifecycleState,
		Message: "not allowed in state " + s.String(),
	}
}

// isDestroyed reports whether s is Destroyed or Destroyed Compromised.
func isDestroyed(s kmip.State) bool {
	return s == kmip14.StateDestroyed || s == kmip14.StateDestroyedCompromised
}

// setState records a state change at now.
func setState(attrs *kmip.Attributes, s kmip.State, now time.Time) {
	setSingle(attrs, kmip.AttrState, s)
	touch(attrs, now)
}

// dueTransition returns the state an object must be in at now because of its
// Activation or Deactivation Date, or nil when none is due.
func dueTransition(attrs kmip.Attributes, now time.Time) *kmip.State {
	s := stateOf(attrs)
	next := s
	if next == kmip14.StatePreActive {
		if t := attrs.Time(kmip.AttrActivationDate); !t.IsZero() && !t.After(now) {
			next = kmip14.StateActive
		}
	}
	if next == kmip14.StateActive {
		if t := attrs.Time(kmip.AttrDeactivationDate); !t.IsZero() && !t.After(now) {
			next = kmip14.StateDeactivated
		}
	}
	if next == s {
		return nil
	}
	return &next
}

// applyDue applies the date-driven transition due at now, if any, and
// reports whether it changed attrs.
func applyDue(attrs *kmip.Attributes, now time.Time) bool {
	next := dueTransition(*attrs, now)
	if next == nil {
		return false
	}
	setState(attrs, *next, now)
	return true
}

// errUnchanged aborts a store update that has nothing to write.
var errUnchanged = errors.New("handlers: unchanged")

func (s *Service) activate(ctx context.Context, req *kmip.Request, p *kmip.ActivateRequest) (any, error) {
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		if st := stateOf(m.attrs); st != kmip14.StatePreActive {
			return wrongState(st)
		}
		now := s.now()
		setSingle(&m.attrs, kmip.AttrActivationDate, now)
		setState(&m.attrs, kmip14.StateActive, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.ActivateResponse{UniqueIdentifier: m.id}, nil
}

func (s *Service) revoke(ctx context.Context, req *kmip.Request, p *kmip.RevokeRequest) (any, error) {
	compromise := p.Reason.Code == kmip14.RevocationReasonCodeKeyCompromise ||
		p.Reason.Code == kmip14.RevocationReasonCodeCACompromise
	m, err := s.update(ctx, req, p.UniqueIdentifier, func(m *managed) error {
		st := stateOf(m.attrs)
		now := s.now()
		var next kmip.State
		switch {
		case compromise && (st == kmip14.StatePreActive || st == kmip14.StateActive || st == kmip14.StateDeactivated):
			next = kmip14.StateCompromised
		case compromise && st == kmip14.StateDestroyed:
			next = kmip14.StateDestroyedCompromised
		case !compromise && st == kmip14.StateActive:
			next = kmip14.StateDeactivated
			setSingle(&m.attrs, kmip.AttrDeactivationDate, now)
		default:
			return wrongState(st)
		}
		if compromise {
			occurred := p.CompromiseOccurrenceDate.UTC().Truncate(time.Second)
			if p.CompromiseOccurrenceDate.IsZero() {
				occurred = now
			}
			setSingle(&m.attrs, kmip.AttrCompromiseDate, now)
			setSingle(&m.attrs, kmip.AttrCompromiseOccurrenceDate, occurred)
		}
		setSingle(&m.attrs, kmip.AttrRevocationReason, p.Reason)
		setState(&m.attrs, next, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmip.RevokeResponse{UniqueIdentifier: m.id}, nil
}

func (s *Service) destroy(ctx context.Context, req *kmip.Request, p *kmip.DestroyRequest) (any, error) {
	if grace := s.grace; grace > 0 {
		return s.destroyWithGrace(ctx, req, p, grace) // destroy_grace.go
	}
	if f, ok := s.crypto.(hsm.Forgetter); ok {
		return s.destroyAtOnce(ctx, req, p, f) // destroy_material.go
	}
	m, err := s.update(ctx, req, p.UniqueIdentifier, s.destroyItem(req))
	if err != nil {
		return nil, err
	}
	return &kmip.DestroyResponse{UniqueIdentifier: m.id}, nil
}

// destroyItem returns the change Destroy makes to an object: the state
// transition, the Destroy Date, and the material dropped.
func (s *Service) destroyItem(req *kmip.Request) func(m *managed) error {
	return func(m *managed) error {
		st := stateOf(m.attrs)
		var next kmip.State
		switch st {
		case kmip14.StatePreActive, kmip14.StateDeactivated:
			next = kmip14.StateDestroyed
		case kmip14.StateCompromised:
			next = kmip14.StateDestroyedCompromised
		default:
			return wrongState(st)
		}
		now := s.now()
		setSingle(&m.attrs, kmip.AttrDestroyDate, now)
		setState(&m.attrs, next, now)
		m.sealed = nil
		return nil
	}
}

// Sweep applies the date-driven transitions that are due: a Pre-Active
// object whose Activation Date has passed becomes Active, an Active one whose
// Deactivation Date has passed Deactivated. The daemon calls it every few
// seconds so that Locate by State sees the change within that period.
//
// Objects waiting for a date carry the index term termPending (see index.go);
// Sweep reads only those. Because store queries are per owner, Sweep covers
// the owners that have sent a request since the Service started; the objects
// of other owners change state when they are next loaded or located (every
// load applies due transitions first, and Locate by State sweeps the
// requesting owner before searching). Sweep returns the first error met, after
// trying every object.
func (s *Service) Sweep(ctx context.Context) error {
	var first error
	s.owners.Range(func(k, _ any) bool {
		if err := s.sweepOwner(ctx, k.(string)); err != nil && first == nil {
			first = err
		}
		return ctx.Err() == nil
	})
	s.tickets.purge(s.clock()) // tickets.go
	if err := s.purgeExpiredDestructions(ctx); err != nil && first == nil {
		first = err // destroy_grace.go
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// sweepOwner applies the due transitions of owner's pending objects.
func (s *Service) sweepOwner(ctx context.Context, owner string) error {
	ids, _, err := s.store.Find(ctx, store.Query{Owner: owner, Terms: []store.Term{pendingTerm()}})
	if err != nil {
		return err
	}
	var first error
	for _, id := range ids {
		// The transitions are the dates' doing, not the request's: they
		// carry no audit record (the request's would be recorded against
		// the first object swept).
		err := s.store.Update(ctx, nil, id, func(obj *store.Object) error {
			if obj.Owner != owner {
				return errUnchanged
			}
			m, err := decode(owner, obj)
			if err != nil {
				return err
			}
			if !applyDue(&m.attrs, s.now()) {
				return errUnchanged
			}
			return encodeInto(m, obj)
		})
		if err != nil && !errors.Is(err, errUnchanged) && first == nil {
			first = err
		}
	}
	return first
}
