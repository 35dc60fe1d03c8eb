package handlers

import (
	"context"
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
)

// A route is one operation the Service answers: its handler and the
// properties the layers around the handlers act on. The codec's table
// (kmip.Defines) says in which versions the operation exists; a route says
// what this server does with it.
type route struct {
	op kmip.Operation

	// serve performs the operation; nil for an operation the server only
	// sends (Notify, Put: notify.go), which a client's request to it is
	// refused as not supported.
	serve handlerFunc

	// usesKey: the operation releases key material (Get, Export) or uses a
	// key on the client's behalf, so its answer waits until its audit
	// record is on disk (audit.Handler).
	usesKey bool

	// open: every client may call it under a Policy, whatever its roles
	// list (discovery and Query describe the server, not its objects).
	open bool

	// unavailable, when set, says why this Service cannot serve the
	// operation (nil when it can): Certify and ReCertify need a Certifier.
	// Query lists only the routes the Service can serve.
	unavailable func(s *Service) error

	// unlisted: a vendor extension that Query does not announce, because
	// clients decode the Operations of a Query response as an enumeration
	// they know (PyKMIP fails on an unknown value).
	unlisted bool
}

// handlerFunc is the shape of every operation's handler once its payload
// type is checked (see handle).
type handlerFunc func(s *Service, ctx context.Context, req *kmip.Request) (any, error)

// handle adapts a handler of payload type *T to a handlerFunc. The codec
// decodes every request of the operation to a *T; a request built in
// process that names the operation and carries another payload, or none,
// is refused as Operation Not Supported.
func handle[T any](h func(s *Service, ctx context.Context, req *kmip.Request, p *T) (any, error)) handlerFunc {
	return func(s *Service, ctx context.Context, req *kmip.Request) (any, error) {
		p, ok := req.Payload.(*T)
		if !ok {
			return nil, kmip.Errorf(kmip.ReasonOperationNotSupported, "operation %v is not supported with a %T payload", req.Operation, req.Payload)
		}
		return h(s, ctx, req, p)
	}
}

// routes are the operations the Service implements, in the order Query
// lists them, and byOperation indexes them. They are filled in init, not in
// their declaration, because Query (a route) reads them: a declaration
// would be an initialization cycle.
var (
	routes      []route
	byOperation map[kmip.Operation]*route
)

func init() {
	routes = []route{
		{op: kmip14.OperationCreate, serve: handle((*Service).create)},
		{op: kmip14.OperationCreateKeyPair, serve: handle((*Service).createKeyPair)},
		{op: kmip14.OperationRegister, serve: handle((*Service).register)},
		{op: kmip14.OperationReKey, serve: handle((*Service).reKey)},
		{op: kmip14.OperationReKeyKeyPair, serve: handle((*Service).reKeyKeyPair)},
		{op: kmip14.OperationDeriveKey, serve: handle((*Service).deriveKey), usesKey: true},
		{op: kmip14.OperationCreateSplitKey, serve: handle((*Service).createSplitKey)},
		{op: kmip14.OperationJoinSplitKey, serve: handle((*Service).joinSplitKey)},
		{op: kmip14.OperationLocate, serve: handle((*Service).locate)},
		{op: kmip14.OperationGet, serve: handle((*Service).get), usesKey: true},
		{op: kmip14.OperationGetAttributes, serve: handle((*Service).getAttributes)},
		{op: kmip14.OperationGetAttributeList, serve: handle((*Service).getAttributeList)},
		{op: kmip14.OperationAddAttribute, serve: handle((*Service).addAttribute)},
		{op: kmip.OperationSetAttribute, serve: handle((*Service).setAttribute)},
		{op: kmip14.OperationModifyAttribute, serve: handle((*Service).modifyAttribute)},
		{op: kmip14.OperationDeleteAttribute, serve: handle((*Service).deleteAttribute)},
		{op: kmip14.OperationActivate, serve: handle((*Service).activate)},
		{op: kmip14.OperationRevoke, serve: handle((*Service).revoke)},
		{op: kmip14.OperationDestroy, serve: handle((*Service).destroy)},
		{op: kmip14.OperationCheck, serve: handle((*Service).check)},
		{op: kmip14.OperationValidate, serve: handle((*Service).validate)},
		{op: kmip14.OperationArchive, serve: handle((*Service).archive)},
		{op: kmip14.OperationRecover, serve: handle((*Service).recoverFromArchive)},
		{op: kmip14.OperationExport, serve: handle((*Service).export), usesKey: true},
		{op: kmip14.OperationImport, serve: handle((*Service).importObject)},
		{op: kmip.OperationAdjustAttribute, serve: handle((*Service).adjustAttribute)},
		{op: kmip14.OperationGetUsageAllocation, serve: handle((*Service).getUsageAllocation)},
		{op: kmip14.OperationObtainLease, serve: handle((*Service).obtainLease)},
		{op: kmip14.OperationPoll, serve: handle((*Service).poll)},
		{op: kmip14.OperationCancel, serve: handle((*Service).cancel)},
		// Notify and Put are the server's requests to the KMIP endpoints
		// of clients (notify.go): the server implements them, and sends
		// them to the endpoints its configuration registers.
		{op: kmip14.OperationNotify},
		{op: kmip14.OperationPut},
		{op: kmip14.OperationQuery, serve: handle((*Service).query), open: true},
		{op: kmip14.OperationDiscoverVersions, serve: handle((*Service).discoverVersions), open: true},
		{op: kmip14.OperationRNGRetrieve, serve: handle((*Service).rngRetrieve)},
		{op: kmip14.OperationRNGSeed, serve: handle((*Service).rngSeed)},
		{op: kmip14.OperationEncrypt, serve: handle((*Service).encrypt), usesKey: true},
		{op: kmip14.OperationDecrypt, serve: handle((*Service).decrypt), usesKey: true},
		{op: kmip14.OperationSign, serve: handle((*Service).sign), usesKey: true},
		{op: kmip14.OperationSignatureVerify, serve: handle((*Service).signatureVerify), usesKey: true},
		{op: kmip14.OperationMAC, serve: handle((*Service).mac), usesKey: true},
		{op: kmip14.OperationMACVerify, serve: handle((*Service).macVerify), usesKey: true},
		{op: kmip14.OperationHash, serve: handle((*Service).hash)},
		{op: kmip.OperationLog, serve: handle((*Service).logMessage)},
		{op: kmip.OperationInterop, serve: handle((*Service).interop)},
		// A ticket is a credential: its issue is on disk in the audit
		// trail before the client holds it (usesKey). A ticket carries no
		// more than the rights of its client, so every client may log in.
		{op: kmip.OperationLogin, serve: handle((*Service).login), usesKey: true, open: true},
		{op: kmip.OperationLogout, serve: handle((*Service).logout), open: true},
		{op: kmip.OperationDelegatedLogin, serve: handle((*Service).delegatedLogin), usesKey: true, open: true},
		{op: kmip.OperationSetEndpointRole, serve: handle((*Service).setEndpointRole)},
		{op: kmip.OperationPKCS11, serve: handle((*Service).pkcs11)},
		{op: kmip14.OperationCertify, serve: handle((*Service).certify), unavailable: (*Service).certifyUnavailable},
		{op: kmip14.OperationReCertify, serve: handle((*Service).reCertify), unavailable: (*Service).certifyUnavailable},
		{op: kmip.OperationVendorBackup, serve: handle((*Service).backup), unlisted: true},
	}
	byOperation = make(map[kmip.Operation]*route, len(routes))
	for i := range routes {
		r := &routes[i]
		if byOperation[r.op] != nil {
			panic(fmt.Sprintf("handlers: two routes for operation %v", r.op))
		}
		byOperation[r.op] = r
	}
}

// UsesKey reports whether op releases key material or uses a key on the
// client's behalf (Get, Export, Encrypt, Sign, MAC, ...): an audit trail
// must have the record of such an item on disk before it is answered.
func UsesKey(op kmip.Operation) bool {
	r := byOperation[op]
	return r != nil && r.usesKey
}

// ServeKMIP performs one batch item. It implements kmip.Handler.
//
// Under a Policy (SetPolicy) an operation the client's roles do not list is
// refused with Permission Denied before anything is read, and the handlers
// see the request with the tenant as the owner. A request that presents a
// ticket (login.go) is refused unless the ticket is valid for the client
// and its Rights allow the operation.
func (s *Service) ServeKMIP(ctx context.Context, req *kmip.Request) (any, error) {
	// The codec refuses an operation the version does not define before it
	// gets here; a request built in process may name none (zero), and is
	// then held to the operation of its payload, by the same table.
	op := req.Operation
	if op == 0 {
		op, _ = kmip.OperationOf(req.Payload)
	}
	r := byOperation[op]
	sess, err := s.ticketSession(req) // login.go
	if err != nil {
		return nil, err
	}
	p := s.policy.Load().Principal(identityOf(req))
	if r == nil || !r.open {
		if err := p.MayCall(op); err != nil {
			return nil, err
		}
	}
	if err := sess.mayCall(op, req.Payload); err != nil {
		return nil, err
	}
	ctx = authz.WithPrincipal(ctx, p)
	if sess != nil {
		ctx = withSession(ctx, sess)
	}
	req = p.Scope(req)
	if req.Peer != nil {
		s.owners.LoadOrStore(req.Peer.Identity, struct{}{})
	}
	if !kmip.Defines(req.Version, op) {
		return nil, kmip.Errorf(kmip.ReasonOperationNotSupported, "operation %v does not exist in KMIP %v", op, req.Version)
	}
	if r == nil || r.serve == nil {
		return nil, kmip.Errorf(kmip.ReasonOperationNotSupported, "operation %v is not supported", op)
	}
	if r.unavailable != nil {
		if err := r.unavailable(s); err != nil {
			return nil, err
		}
	}
	return r.serve(s, ctx, req)
}

// operationsIn returns the operations Query lists in version v: the routes
// the Service can serve and v defines (kmip.Defines), as ServeKMIP refuses
// the others, so that dispatch and Query agree.
func (s *Service) operationsIn(v kmip.Version) []kmip.Operation {
	var out []kmip.Operation
	for i := range routes {
		r := &routes[i]
		if r.unlisted || !kmip.Defines(v, r.op) || (r.unavailable != nil && r.unavailable(s) != nil) {
			continue
		}
		out = append(out, r.op)
	}
	return out
}
