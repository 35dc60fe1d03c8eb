package handlers

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/kmipd/kmipd/handlers/audit"
	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// Login, Logout and Delegated Login (KMIP 2.0 and 2.1 section 6.1), and
// the Ticket Credential of the request header. The tickets live in
// s.tickets (tickets.go).
//
// Every ticket is bound to the client certificate identity that obtained
// it: presented on a connection of another identity it is refused with
// Permission Denied, so that a ticket that leaks is of no use without the
// certificate and key it was issued to. A Delegated Login request names no
// delegate (the spec leaves open who may present the ticket), so the
// server cannot bind its ticket to the delegate's certificate; binding it
// to none would let anyone with a certificate use a leaked one. Its ticket
// is therefore bound like a Login's, and serves to narrow what the
// requests it authenticates may do: a component handed it can do only
// what its Rights say, whatever its holder's certificate could do.
//
// A request authenticated by a ticket acts as the client identity, under
// the Policy in force for it, narrowed by the ticket's Rights: a ticket
// never widens what its identity may do, and a change of the Policy takes
// effect on the tickets already issued.

// Bounds of a Delegated Login's Rights.
const (
	maxRights       = 16
	maxRightEntries = 256 // Operations and Objects of all the Rights together
)

// login serves Login: a ticket with the rights of the request (every
// right of the identity, or those of the ticket the request presents).
func (s *Service) login(ctx context.Context, req *kmip.Request, p *kmip.LoginRequest) (any, error) {
	var rights []grant
	if sess := sessionFrom(ctx); sess != nil {
		rights = sess.rights
	}
	return s.issueTicket(ctx, req, p.LeaseTime, p.RequestCount, rights)
}

// delegatedLogin serves Delegated Login: a ticket with the Rights asked
// for, each of which the client must hold. A Right that names objects
// needs each of them to be one the client may perform the Right's
// operations on; one that names none gives its operations on every object
// the client may use them on.
func (s *Service) delegatedLogin(ctx context.Context, req *kmip.Request, p *kmip.DelegatedLoginRequest) (any, error) {
	rights, err := compileRights(req.Version, p.Rights)
	if err != nil {
		return nil, err
	}
	sess := sessionFrom(ctx)
	prin := authz.PrincipalFrom(ctx)
	for _, g := range rights {
		if sess != nil && !sess.covers(g) {
			return nil, notAuthorized("the Rights exceed those of the ticket presented")
		}
		ops := g.opList()
		if ops == nil {
			ops = s.operationsIn(req.Version)
		}
		for _, op := range ops {
			if prin != nil && !isOpen(op) {
				if err := prin.MayCall(op); err != nil {
					return nil, authz.PermissionDenied("cannot delegate " + op.String() + ", which the client may not call")
				}
			}
		}
		for id := range g.objects {
			if err := s.mayDelegate(ctx, req, prin, id, ops); err != nil {
				return nil, err
			}
		}
	}
	return s.issueTicket(ctx, req, p.LeaseTime, p.RequestCount, rights)
}

// mayDelegate checks that the client may perform ops on object id, which
// must be one of its tenant's.
func (s *Service) mayDelegate(ctx context.Context, req *kmip.Request, prin *authz.Principal, id string, ops []kmip.Operation) error {
	obj, err := s.store.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound()
	}
	if err != nil {
		return err
	}
	m, err := decode(owner(req), obj)
	if err != nil {
		return err
	}
	if prin == nil {
		return nil // no Policy reaches here without a principal (permit)
	}
	for _, op := range ops {
		if err := prin.MayUse(&kmip.Request{Version: req.Version, Operation: op, Peer: req.Peer}, m.owner, m.attrs); err != nil {
			return authz.PermissionDenied("cannot delegate " + op.String() + " on an object the client may not use it on")
		}
	}
	return nil
}

// issueTicket issues a ticket of the client with rights, for lease
// (bounded by ticketLease, and by the lease of the ticket the request
// presents) and count requests, and records its handle in the audit
// record of the item. In an Undo batch the ticket is withdrawn with the
// batch.
func (s *Service) issueTicket(ctx context.Context, req *kmip.Request, lease time.Duration, count int32, rights []grant) (any, error) {
	identity := authz.PrincipalFrom(ctx).Identity()
	if identity == "" {
		return nil, authz.PermissionDenied("a ticket needs a client certificate identity")
	}
	if lease <= 0 || lease > ticketLease {
		lease = ticketLease
	}
	now := s.clock()
	expires := now.Add(lease)
	if sess := sessionFrom(ctx); sess != nil && sess.expires.Before(expires) {
		expires = sess.expires
	}
	value, tk, err := s.tickets.issue(now, identity, expires, count, rights)
	if err != nil {
		return nil, err
	}
	recordTicket(ctx, tk)
	req.Batch.OnUndo(func(context.Context) error { s.tickets.drop(tk); return nil })
	return &kmip.LoginResponse{Ticket: kmip.Ticket{Type: kmip.TicketTypeLogin, Value: value}}, nil
}

// logout serves Logout: the ticket of the payload, or else the one the
// request presents, is invalidated. A request whose ticket has Rights may
// log out of that ticket only.
func (s *Service) logout(ctx context.Context, req *kmip.Request, p *kmip.LogoutRequest) (any, error) {
	tv := p.Ticket
	if tv == nil && req.Header != nil && req.Header.Credential != nil {
		tv = req.Header.Credential.Ticket
	}
	if tv == nil {
		return nil, kmip.Errorf(kmip.ReasonMissingData, "missing Ticket")
	}
	if sess := sessionFrom(ctx); sess != nil && sess.rights != nil && !sess.is(tv) {
		return nil, notAuthorized("a ticket with Rights logs out of itself only")
	}
	tk, err := s.tickets.revoke(s.clock(), authz.PrincipalFrom(ctx).Identity(), tv)
	if err != nil {
		return nil, err
	}
	recordTicket(ctx, tk)
	return nil, nil
}

// recordTicket names tk by its handle in ctx's audit record; the record
// never holds the ticket's value.
func recordTicket(ctx context.Context, tk *ticket) {
	if rec := audit.Record(ctx); rec != nil {
		rec.ObjectID = "ticket " + tk.handle
	}
}

// ticketSession authenticates the ticket req's header presents, once per
// request message (the message counts once against the ticket's Request
// Count, whatever its number of items), and checks for each item that it
// is still live: nil without a Ticket Credential.
func (s *Service) ticketSession(req *kmip.Request) (*session, error) {
	if req.Header == nil || req.Header.Credential == nil || req.Header.Credential.Type != kmip.CredentialTypeTicket {
		return nil, nil
	}
	type verdict struct {
		sess *session
		err  error
	}
	v := req.Batch.Memo(ticketMemo{s}, func() any {
		sess, err := s.tickets.use(s.clock(), identityOf(req), req.Header.Credential.Ticket)
		return verdict{sess, err}
	}).(verdict)
	if v.err == nil && !s.tickets.live(s.clock(), v.sess) {
		// Logged out, or expired, by an earlier item of the message.
		return nil, errInvalidTicket()
	}
	return v.sess, v.err
}

// ticketMemo is the key of a message's ticket verdict in its BatchState.
type ticketMemo struct{ s *Service }

// compileRights checks and compiles the Rights of a Delegated Login.
func compileRights(v kmip.Version, rights []kmip.Right) ([]grant, error) {
	if len(rights) > maxRights {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "more than %d Rights", maxRights)
	}
	entries := 0
	out := make([]grant, 0, len(rights))
	for _, r := range rights {
		entries += len(r.Operations) + len(r.Objects)
		if entries > maxRightEntries {
			return nil, kmip.Errorf(kmip.ReasonInvalidField, "more than %d Operations and Objects in the Rights", maxRightEntries)
		}
		var g grant
		for _, op := range r.Operations {
			if !kmip.Defines(v, op) || byOperation[op] == nil || byOperation[op].serve == nil {
				return nil, kmip.Errorf(kmip.ReasonInvalidField, "Rights name operation %v, which the server does not serve", op)
			}
			if g.ops == nil {
				g.ops = make(map[kmip.Operation]bool, len(r.Operations))
			}
			g.ops[op] = true
		}
		for _, id := range r.Objects {
			if id == "" {
				return nil, kmip.Errorf(kmip.ReasonInvalidField, "empty Unique Identifier in Objects")
			}
			if g.objects == nil {
				g.objects = make(map[string]bool, len(r.Objects))
			}
			g.objects[id] = true
		}
		out = append(out, g)
	}
	return out, nil
}

// opList returns the operations of g, nil for every operation.
func (g grant) opList() []kmip.Operation {
	if g.ops == nil {
		return nil
	}
	out := make([]kmip.Operation, 0, len(g.ops))
	for op := range g.ops {
		out = append(out, op)
	}
	return out
}

// allows reports whether g allows op, on object id when id is not "".
func (g grant) allows(op kmip.Operation, id string) bool {
	if g.ops != nil && !g.ops[op] {
		return false
	}
	return g.objects == nil || (id != "" && g.objects[id])
}

// notAuthorized is the refusal of what a ticket's Rights do not allow
// (Result Reason Not Authorized, as the OASIS test case TC-DLOGIN-2-20
// expects).
func notAuthorized(what string) error {
	return &kmip.Error{Reason: kmip.ReasonNotAuthorized, Message: "not authorized: " + what}
}

type sessionKey struct{}

// withSession returns ctx carrying sess, the ticket session of its item.
func withSession(ctx context.Context, sess *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, sess)
}

// sessionFrom returns the ticket session of ctx's item, nil when the item
// presented no ticket.
func sessionFrom(ctx context.Context) *session {
	sess, _ := ctx.Value(sessionKey{}).(*session)
	return sess
}

// is reports whether tv is the ticket of sess.
func (sess *session) is(tv *kmip.Ticket) bool {
	return tv != nil && sha256.Sum256(tv.Value) == sess.digest
}

// mayCall checks that sess allows an item of op on payload: some Right
// allows op on every object, or on the object payload names. Logout is
// always allowed: a ticket may always be given up.
func (sess *session) mayCall(op kmip.Operation, payload any) error {
	if sess == nil || sess.rights == nil || op == kmip.OperationLogout {
		return nil
	}
	id := kmip.ObjectIDOf(payload)
	for _, g := range sess.rights {
		if g.allows(op, id) {
			return nil
		}
	}
	return notAuthorized(op.String() + " is not in the ticket's Rights")
}

// mayUse checks that sess allows op on object id: every object an item
// reads or changes (its own, a wrapping key, a base object) passes here
// (Service.permit).
func (sess *session) mayUse(op kmip.Operation, id string) error {
	if sess == nil || sess.rights == nil {
		return nil
	}
	for _, g := range sess.rights {
		if g.allows(op, id) {
			return nil
		}
	}
	return notAuthorized(op.String() + " on an object not in the ticket's Rights")
}

// covers reports whether the Rights of sess include g: a ticket delegates
// no more than it holds.
func (sess *session) covers(g grant) bool {
	if sess.rights == nil {
		return true
	}
	for _, h := range sess.rights {
		if h.covers(g) {
			return true
		}
	}
	return false
}

// covers reports whether g allows all that other does.
func (g grant) covers(other grant) bool {
	if g.ops != nil {
		if other.ops == nil {
			return false
		}
		for op := range other.ops {
			if !g.ops[op] {
				return false
			}
		}
	}
	if g.objects != nil {
		if other.objects == nil {
			return false
		}
		for id := range other.objects {
			if !g.objects[id] {
				return false
			}
		}
	}
	return true
}

// filter returns the operations of ops that sess allows on some object,
// for Query.
func (sess *session) filter(ops []kmip.Operation) []kmip.Operation {
	if sess == nil || sess.rights == nil {
		return ops
	}
	var out []kmip.Operation
	for _, op := range ops {
		for _, g := range sess.rights {
			if g.ops == nil || g.ops[op] {
				out = append(out, op)
				break
			}
		}
	}
	return out
}

// isOpen reports whether every client may call op whatever its roles.
func isOpen(op kmip.Operation) bool {
	r := byOperation[op]
	return r != nil && r.open
}
