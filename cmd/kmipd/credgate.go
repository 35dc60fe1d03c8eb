package main

import (
	"context"
	"sync/atomic"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// credentialGate is the KMIP Credential check of the auth section
// (requireCredential), replaceable by a reload: it serves each item with
// the handler built from the auth settings current when the item arrives.
// Its one FailureLimiter outlives reloads, which keep the failures counted
// so far and put the new auth.lockout in force for them. It is safe for
// concurrent use.
type credentialGate struct {
	next     kmip.Handler
	observer certs.CredentialObserver // audit and metrics of refused messages
	limiter  *certs.FailureLimiter
	current  atomic.Pointer[kmip.Handler]
}

// preparedAuth is an auth section checked by prepare, ready to commit.
type preparedAuth struct {
	handler kmip.Handler
	lockout certs.LockoutPolicy
}

// newCredentialGate returns the gate of cfg.Auth in front of next; audit
// records the messages it refuses, which m counts, and m reports its locked
// identities and usernames.
func newCredentialGate(next kmip.Handler, cfg Config, audit certs.CredentialObserver, m *authMetrics) (*credentialGate, error) {
	limiter, err := certs.NewFailureLimiter(cfg.Auth.Lockout, nil)
	if err != nil {
		return nil, err
	}
	m.watch(limiter)
	g := &credentialGate{next: next, observer: m.counting(audit), limiter: limiter}
	p, err := g.prepare(cfg)
	if err != nil {
		return nil, err
	}
	g.commit(p)
	return g, nil
}

// prepare builds the handler of cfg.Auth without putting it in force; it
// fails on a malformed password hash or lockout policy.
func (g *credentialGate) prepare(cfg Config) (preparedAuth, error) {
	if err := cfg.Auth.Lockout.Validate(); err != nil {
		return preparedAuth{}, err
	}
	h, err := requireCredential(g.next, cfg, g.limiter, g.observer)
	return preparedAuth{handler: h, lockout: cfg.Auth.Lockout}, err
}

// commit puts p, from prepare, in force for the items that arrive from now.
func (g *credentialGate) commit(p preparedAuth) {
	g.limiter.SetPolicy(p.lockout) //nolint:errcheck // validated by prepare
	g.current.Store(&p.handler)
}

func (g *credentialGate) ServeKMIP(ctx context.Context, req *kmip.Request) (any, error) {
	return (*g.current.Load()).ServeKMIP(ctx, req)
}
