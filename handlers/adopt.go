package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Tenant adoption.
//
// Without a Policy every identity owns the objects it creates; under one,
// the store owner of an identity's objects is its tenant (authz.TenantOwnerPrefix).
// When a Policy placing an identity in a tenant is put in force, the objects
// the identity owns would therefore vanish from its sight. SetPolicy calls
// adoptIntoTenants, which moves them to the tenant: the identity finds them
// again, and so do the other identities of the tenant, as the Policy allows.
//
// The move is one way. An identity that leaves a tenant (or a Policy that is
// withdrawn) moves nothing: the tenant keeps the objects the identity made,
// which stay with the tenant's other members and administrators, and the
// identity starts afresh as a tenant of its own (or of its new tenant).

// adoptAuditIdentity is the Identity of the audit record of each adoption.
const adoptAuditIdentity = "kmipd"

// adoptPageSize is how many objects of one identity move before the next
// ones are started (a failure stops the pass after the page), and
// adoptWorkers how many of them move at a time.
const (
	adoptPageSize = 256
	adoptWorkers  = 16
)

// adoptIntoTenants moves every object whose store owner is an identity that
// a places in a tenant to that tenant's owner (see adoptObject), reading
// only the owner index of those identities, and logs the count. Called by
// SetPolicy with policyMu held, after a is in force, so that objects the
// identities create meanwhile already belong to the tenant; a failure is
// logged and ends the pass, which the next SetPolicy (the next start)
// resumes.
func (s *Service) adoptIntoTenants(ctx context.Context, a *authz.Authorizer) {
	identities := a.Members()
	adopted := 0
	for _, identity := range identities {
		tenant := a.Principal(identity).Tenant()
		n, err := s.adoptOwnedBy(ctx, identity, tenant)
		adopted += n
		if err != nil {
			s.log.Error("authorization policy: adopting objects into their tenants stopped",
				zap.String("identity", identity), zap.String("tenant", tenant),
				zap.Int("adopted", adopted), zap.Error(err))
			return
		}
	}
	s.log.Info("authorization policy: objects adopted into their tenants",
		zap.Int("adopted", adopted), zap.Int("identities", len(identities)))
}

// adoptOwnedBy moves the objects owned by identity to tenant's owner and
// returns how many it moved. It reads identity's owner index once (Find
// counts every match whatever its Limit, so reading it page by page would
// cost quadratic time), holding the IDs in memory, about 50 bytes each, and
// moves them adoptPageSize at a time.
func (s *Service) adoptOwnedBy(ctx context.Context, identity, tenant string) (int, error) {
	ids, _, err := s.store.Find(ctx, store.Query{Owner: identity})
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	moved := 0
	for page := range slices.Chunk(ids, adoptPageSize) {
		n, err := s.adoptPage(ctx, page, identity, tenant)
		moved += n
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// adoptPage moves the objects ids of identity, adoptWorkers at a time so
// that their transactions share the store's group commits, and returns how
// many moved and the first error.
func (s *Service) adoptPage(ctx context.Context, ids []string, identity, tenant string) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex // guards moved and first
		moved int
		first error
	)
	workers := make(chan struct{}, adoptWorkers)
	for _, id := range ids {
		workers <- struct{}{}
		wg.Go(func() {
			defer func() { <-workers }()
			ok, err := s.adoptObject(ctx, id, identity, tenant)
			mu.Lock()
			defer mu.Unlock()
			if ok {
				moved++
			}
			if err != nil && first == nil {
				first = fmt.Errorf("object %s: %w", id, err)
			}
		})
	}
	wg.Wait()
	return moved, first
}

// adoptObject moves object id from identity to tenant's owner in one store
// transaction with its "TenantAdopt" audit record, and records identity as
// the object's creator (authz.CreatorAttr) unless it names one already, so that
// identity keeps administering it and its grants still apply. It reports
// whether the object moved (not when it was deleted or moved meanwhile).
func (s *Service) adoptObject(ctx context.Context, id, identity, tenant string) (bool, error) {
	rec := &store.AuditRecord{
		Time:      s.clock(),
		Identity:  adoptAuditIdentity,
		Tenant:    tenant,
		Operation: "TenantAdopt",
		ObjectID:  id,
		Result:    kmip14.ResultStatusSuccess.String(),
		Reason:    "owner " + identity + " -> tenant " + tenant,
	}
	err := s.store.ChangeOwner(ctx, rec, id, identity, authz.TenantOwnerPrefix+tenant, func(obj *store.Object) error {
		attrs, err := kmip.UnmarshalAttributes(obj.Attributes)
		if err != nil {
			return err
		}
		if attrs.Has(authz.CreatorAttr) {
			return nil
		}
		attrs = append(attrs, kmip.Attribute{Name: authz.CreatorAttr, Value: identity})
		return encodeInto(&managed{id: obj.ID, owner: obj.Owner, attrs: attrs, sealed: obj.Material}, obj)
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil // deleted since the Find
	case err != nil:
		return false, err
	}
	return rec.Seq != 0, nil
}
