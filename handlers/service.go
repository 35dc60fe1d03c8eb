// Package handlers implements the KMIP operations on top of a store.Store
// and an hsm.Crypto: the lifecycle state machine, the attribute rules (who
// may set what, in which protocol version), ownership and Locate.
//
// Every object belongs to the identity that created it. An object of another
// owner is reported exactly like a missing one, so a client cannot probe the
// identifiers of others.
package handlers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Config configures a Service.
type Config struct {
	Store  store.Store // required
	Crypto hsm.Crypto  // required
	Logger *zap.Logger // nil: no logging
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	ServerInfo           kmip.ServerInformation // answered to Query Server Information
	VendorIdentification string                 // answered to Query Vendor Identification

	// RNG describes the random bit generator Crypto generates keys with; it
	// becomes the Random Number Generator attribute of every key Create
	// generates. Zero (RNGAlgorithm 0) means the attribute is not set.
	RNG kmip.RNGParameters

	// LeaseTime is the server's lease policy: when positive, every new
	// object gets it as its Lease Time (clients should not use the object
	// longer without asking again), and Check grants no longer lease. Zero
	// means no lease policy and no Lease Time attribute.
	LeaseTime time.Duration

	// ProtectionStorageMask says where Crypto keeps key material (Protection
	// Storage Mask bits: Software, Hardware, ...); it becomes the Protection
	// Storage Mask attribute (2.x) of every new object. A client that asks
	// for a mask without any of these bits is refused with Protection
	// Storage Unavailable. Zero means the attribute is not set.
	ProtectionStorageMask int32

	// DestroyGrace is how long the material of a destroyed object stays
	// recoverable with Undestroy before it is removed for good; zero
	// destroys it at once. The store keeps the material meanwhile
	// (store.Pending).
	DestroyGrace time.Duration

	// Certifier is the certification authority of Certify and ReCertify
	// (certify.go); nil: the server offers neither.
	Certifier Certifier

	// Notifier receives the changes to push to clients' KMIP endpoints as
	// Notify and Put requests (notify.go); nil: no notifications.
	Notifier Notifier

	// BackupDir, when set, serves the online backup
	// (kmip.OperationVendorBackup, backup.go): Store's snapshots, sealed
	// by Crypto, are written into files of BackupDir.
	BackupDir string
	// BackupOperators are the identities that may make an online backup
	// when no Policy is in force (under a Policy, the holders of a role
	// with every operation may).
	BackupOperators []string
}

// Service serves KMIP batch items. It implements kmip.Handler and is safe for
// concurrent use; all state lives in the store, except the open streaming
// operations, which live in memory.
type Service struct {
	store  store.Store
	crypto hsm.Crypto
	log    *zap.Logger
	clock  func() time.Time
	info   kmip.ServerInformation
	vendor string
	rng    kmip.RNGParameters
	lease  time.Duration
	psm    int32
	grace  time.Duration // Config.DestroyGrace

	certifier Certifier // Config.Certifier; nil: no Certify or ReCertify

	notifier Notifier // Config.Notifier; nil: none

	// owners holds the identities seen since start, for Sweep.
	owners sync.Map // string -> struct{}

	// streams holds the open streaming operations (stream.go).
	streams streams

	// pkcs11Contexts holds the open contexts of the PKCS#11 operation
	// (pkcs11_contexts.go).
	pkcs11Contexts pkcs11Contexts

	// policy is the authorization policy in force; nil means none
	// (policy.go). policyMu serializes SetPolicy.
	policy   atomic.Pointer[authz.Authorizer]
	policyMu sync.Mutex

	// The online backup (backup.go).
	backupDir       string
	backupOperators []string
	backups         backups
}

var _ kmip.Handler = (*Service)(nil)

// New returns a Service. It fails when cfg lacks the Store or the Crypto, or
// has a negative LeaseTime or DestroyGrace.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Crypto == nil {
		return nil, errors.New("handlers: Config needs a Store and a Crypto")
	}
	if cfg.LeaseTime < 0 || cfg.DestroyGrace < 0 {
		return nil, errors.New("handlers: negative LeaseTime or DestroyGrace")
	}
	s := &Service{
		store:  cfg.Store,
		crypto: cfg.Crypto,
		log:    cfg.Logger,
		clock:  cfg.Now,
		info:   cfg.ServerInfo,
		vendor: cfg.VendorIdentification,
		rng:    cfg.RNG,
		lease:  cfg.LeaseTime,
		psm:    cfg.ProtectionStorageMask,
		grace:  cfg.DestroyGrace,

		certifier: cfg.Certifier,

		notifier: cfg.Notifier,

		backupDir:       cfg.BackupDir,
		backupOperators: cfg.BackupOperators,
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s, nil
}

// now returns the current time as KMIP Date-Time values carry it: UTC, to the
// second.
func (s *Service) now() time.Time { return s.clock().UTC().Truncate(time.Second) }

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
// terms. update returns the object as stored.
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
		if err := fn(m); err != nil {
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
	p := authz.PrincipalFrom(ctx)
	if p == nil {
		if s.policy.Load() == nil {
			return nil
		}
		return authz.PermissionDenied("no client identity")
	}
	return p.MayUse(req, m.owner, m.attrs)
}

// newID returns a fresh Unique Identifier.
func newID() string { return uuid.NewString() }
