package main

import (
	"context"
	"sync/atomic"

	"github.com/kmipd/kmipd/kmip"
)

// credentialGate is the KMIP Credential check of the auth section
// (requireCredential), replaceable by a reload: it serves each item with
// the handler built from the auth settings current when the item arrives.
// It is safe for concurrent use.
type credentialGate struct {
	next    kmip.Handler
	current atomic.Pointer[kmip.Handler]
}

// newCredentialGate returns the gate of cfg.Auth in front of next.
func newCredentialGate(next kmip.Handler, cfg Config) (*credentialGate, error) {
	g := &credentialGate{next: next}
	h, err := g.prepare(cfg)
	if err != nil {
		return nil, err
	}
	g.commit(h)
	return g, nil
}

// prepare builds the handler of cfg.Auth without putting it in force; it
// fails on a malformed password hash.
func (g *credentialGate) prepare(cfg Config) (kmip.Handler, error) {
	return requireCredential(g.next, cfg)
}

// commit puts h, from prepare, in force for the items that arrive from now.
func (g *credentialGate) commit(h kmip.Handler) { g.current.Store(&h) }

func (g *credentialGate) ServeKMIP(ctx context.Context, req *kmip.Request) (any, error) {
	return (*g.current.Load()).ServeKMIP(ctx, req)
}
