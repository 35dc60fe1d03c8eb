package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Object access: every handler reads and changes stored objects through
// view, update and insert, which decode them, check ownership and the
// policy, apply the date-driven transitions due, hand the item's audit
// record to the store's mutation and register how to undo the change. A
// handler then reads load, check, change, save.

// identityOf returns the identity of req's client, "" when unknown.
func identityOf(req *kmip.Request) string {
	if req.Peer == nil {
		return ""
	}
	return req.Peer.Identity
}

// owner returns the store owner of the objects req creates and may use: the
// client's tenant (ServeKMIP scopes req's Peer to it), which is the client's
// identity when no Policy is in force.
func owner(req *kmip.Request) string {
	if req.Peer == nil {
		return ""
	}
	return req.Peer.Identity
}

// managed is a stored object decoded for a handler.
type managed struct {
	id     string
	owner  string
	attrs  kmip.Attributes
	sealed []byte // the sealed object content; nil once destroyed
}

// resolveID returns the Unique Identifier of an item, or Missing Data when it
// has none: the Server has already given an item that left it empty the
// batch's ID Placeholder (kmip.BatchState.FillID), so an empty one means
// that no item before produced an identifier.
func resolveID(id string) (string, error) {
	if id == "" {
		return "", kmip.Errorf(kmip.ReasonMissingData, "Unique Identifier missing and no ID Placeholder")
	}
	return id, nil
}

// notFound is the error for an object that does not exist or belongs to
// another owner: KMIP 2.x says Object Not Found, 1.x Item Not Found.
func notFound() error {
	return &kmip.Error{Reason: kmip.ReasonObjectNotFound, Message: "object not found"}
}

// decode turns a stored object into a managed one, checking ownership.
func decode(who string, obj *store.Object) (*managed, error) {
	if obj.Owner != who {
		return nil, notFound()
	}
	attrs, err := kmip.UnmarshalAttributes(obj.Attributes)
	if err != nil {
		return nil, err
	}
	return &managed{id: obj.ID, owner: obj.Owner, attrs: attrs, sealed: obj.Material}, nil
}

// encodeInto writes m into the stored object, with its index terms.
func encodeInto(m *managed, obj *store.Object) error {
	b, err := kmip.MarshalAttributes(m.attrs)
	if err != nil {
		return err
	}
	obj.Attributes = b
	obj.Material = m.sealed
	obj.Terms = terms(m.attrs)
	return nil
}

// view loads object id for reading, on behalf of req's peer. Due date-driven
// transitions are applied and, when there were any, persisted first.
func (s *Service) view(ctx context.Context, req *kmip.Request, id string) (*managed, error) {
	id, err := resolveID(id)
	if err != nil {
		return nil, err
	}
	obj, err := s.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, err
	}
	m, err := decode(owner(req), obj)
	if err != nil {
		return nil, err
	}
	if err := s.permit(ctx, req, m); err != nil {
		return nil, err
	}
	if err := refuseArchived(req, m); err != nil {
		return nil, err // archive.go
	}
	if dueTransition(m.attrs, s.now()) == nil {
		return m, nil
	}
	return s.update(ctx, req, id, func(*managed) error { return nil })
}

// update changes object id on behalf of req's peer in one store transaction:
// fn sees the latest version with due date-driven transitions applied, and
// may change it; when fn returns nil the result is stored with fresh index
// terms, unless it leaves the object beyond the bounds on custom attributes
// (checkCustomBounds). update returns the object as stored.
func (s *Service) update(ctx context.Context, req *kmip.Request, id string, fn func(m *managed) error) (*managed, error) {
	id, err := resolveID(id)
	if err != nil {
		return nil, err
	}
	var out *managed
	var before store.Object // the stored version fn changed, for Undo
	err = s.store.Update(ctx, audit.Record(ctx), id, func(obj *store.Object) error {
		before = *obj
		m, err := decode(owner(req), obj)
		if err != nil {
			return err
		}
		if err := s.permit(ctx, req, m); err != nil {
			return err
		}
		if err := refuseArchived(req, m); err != nil {
			return err // archive.go
		}
		now := s.now()
		applyDue(&m.attrs, now)
		stored := slices.Clone(m.attrs)
		if err := fn(m); err != nil {
			return err
		}
		if err := checkCustomBounds(stored, m.attrs); err != nil {
			return err
		}
		applyDue(&m.attrs, now) // fn may have set a date that is due
		out = m
		return encodeInto(m, obj)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound()
	}
	if err == nil {
		req.Batch.OnUndo(func(ctx context.Context) error { return s.restore(ctx, &before) })
		s.notifyUpdate(req, &before, out) // notify.go
	}
	return out, err
}

// restore puts back a stored version of an object, to undo a change made by
// an item of a batch whose Batch Error Continuation Option is Undo.
func (s *Service) restore(ctx context.Context, before *store.Object) error {
	return s.store.Update(ctx, nil /* the undo is recorded as its batch's items */, before.ID, func(obj *store.Object) error {
		obj.Attributes, obj.Material, obj.Terms = before.Attributes, before.Material, before.Terms
		return nil
	})
}

// insert stores a new object for req's peer: attrs (which the caller has
// validated) completed with the server-set attributes, and the sealed content.
// Its grants (authz.GrantAttr) must be well-formed; under a Policy the object
// records its creator (authz.CreatorAttr).
func (s *Service) insert(ctx context.Context, req *kmip.Request, m *managed) error {
	attrs, err := authz.PrincipalFrom(ctx).StampCreator(m.attrs)
	if err != nil {
		return err
	}
	m.attrs = attrs
	if err := checkCustomBounds(nil, m.attrs); err != nil {
		return err
	}
	obj := &store.Object{ID: m.id, Owner: m.owner}
	if err := encodeInto(m, obj); err != nil {
		return err
	}
	if err := s.store.Create(ctx, audit.Record(ctx), obj); err != nil {
		return err
	}
	req.Batch.OnUndo(func(ctx context.Context) error { return s.deleteForgetting(ctx, obj.ID) })
	s.notifyInsert(req, m) // notify.go
	return nil
}

// permit checks that the client of ctx may perform req on m, an object of
// its tenant (see authz.Principal.MayUse). Without a principal in ctx (a call that
// did not come through ServeKMIP) it allows only when no Policy is in force.
func (s *Service) permit(ctx context.Context, req *kmip.Request, m *managed) error {
	if err := sessionFrom(ctx).mayUse(req.Operation, m.id); err != nil {
		return err // the Rights of the ticket presented (login.go)
	}
	p := authz.PrincipalFrom(ctx)
	if p == nil {
		if s.policy.Load() == nil {
			return nil
		}
		return authz.PermissionDenied("no client identity")
	}
	return p.MayUse(req, m.owner, m.attrs)
}

// newID returns a fresh Unique Identifier: a version 7 UUID (RFC 9562),
// time-ordered and, within the process, increasing, so that the store's
// descending ID order is Locate's "most recently created object first"
// (KMIP 1.4 section 4.9, 2.1 section 6.1.27). Its 62 random bits keep it
// unguessable; an identifier a client chose (Import) sorts by its text.
// It fails only when the random source does.
func newID() (string, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return "", fmt.Errorf("handlers: no random source for an identifier: %w", err)
	}
	return id.String(), nil
}
