package handlers

import (
	"context"
	"fmt"
	"os"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/store"
)

// SetPolicy puts p in force (nil: no authorization) for the items served
// from now on, and records the change: an audit record "PolicyChange" with
// the SHA-256 of the policy before and after (when the store keeps an audit
// trail), and an info log line with both policies in full, so that a change
// can be reversed. It returns the two digests ("none" for no policy). It
// fails, changing nothing, when p is invalid or the record cannot be
// written. It is safe to call while items are served.
//
// The objects owned by an identity that p places in a tenant then move to
// the tenant, each with a "TenantAdopt" audit record (adopt.go).
func (s *Service) SetPolicy(ctx context.Context, p *authz.Policy) (before, after string, err error) {
	var next *authz.Authorizer
	if p != nil {
		if next, err = p.Compile(); err != nil {
			return "", "", err
		}
	}
	s.policyMu.Lock()
	defer s.policyMu.Unlock()
	prev := s.policy.Load()
	before, after = prev.Digest(), next.Digest()
	if before == after {
		return before, after, nil // not a change: nothing to record
	}
	rec := &store.AuditRecord{
		Time:      s.clock(),
		Identity:  fmt.Sprintf("kmipd (pid %d)", os.Getpid()),
		Operation: "PolicyChange",
		ObjectID:  "authz policy",
		Result:    kmip14.ResultStatusSuccess.String(),
		Reason:    "sha256 " + before + " -> " + after,
	}
	if err := s.store.AppendAudit(ctx, rec); err != nil {
		return "", "", fmt.Errorf("authz: policy change not recorded: %w", err)
	}
	s.policy.Store(next)
	s.log.Info("authorization policy changed",
		zap.String("before_sha256", before), zap.String("after_sha256", after),
		zap.String("before", prev.YAML()), zap.String("after", next.YAML()))
	s.adoptIntoTenants(ctx, next) // adopt.go
	return before, after, nil
}

// TenantOf returns the configured tenant of identity, or "" when no Policy
// is in force or identity is a tenant of its own. The audit trail records it (audit.Config).
func (s *Service) TenantOf(identity string) string {
	return s.policy.Load().Principal(identity).Tenant()
}
