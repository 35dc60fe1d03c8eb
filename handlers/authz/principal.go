package authz

import (
	"context"
	"slices"
	"strings"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// Authorization (see Policy).
//
// The tenant is the owner of its objects in the store, so an object of
// another tenant is not found, exactly like a missing one. Within a tenant an
// object may be used by the identity that created it (its creator attribute),
// by the holders of a tenant-wide role, and by the identities its grants
// name, for the operations they name, and by the identities a group grant of
// the policy names for one of its Object Groups. A role bounds all of this: an identity
// calls only the operations its roles list.
const (
	// CreatorAttr is the server-set custom attribute that holds the
	// identity that created an object, set when a Policy is in force. No
	// client may add, change or delete it.
	CreatorAttr = "y-kmipd-creator"
	// GrantAttr is the custom attribute by which the creator of an object
	// (or a holder of a tenant-wide role) grants another identity of its
	// tenant operations on it: a Text String "IDENTITY:op1,op2", where
	// IDENTITY is the certificate subject (it may contain commas; the
	// operations follow the last colon) and the operations are named as in
	// a role, separated by commas, or "*". It has one instance per grant; deleting an instance
	// revokes it. Only the creator or a tenant-wide role holder may add,
	// change or delete it.
	GrantAttr = "x-kmipd-grant"
)

// A Principal is what one identity may do under the policy in force. It is
// immutable and safe for concurrent use.
type Principal struct {
	identity   string
	tenant     string // configured tenant name; "" when the identity is its own tenant
	owner      string // the store owner of the tenant's objects
	all        bool   // every operation
	ops        map[kmip.Operation]bool
	tenantWide bool            // every object of the tenant
	groups     map[string]role // Object Group -> operations granted on its objects
	enforced   bool            // a Policy is in force (creator attributes are kept)
}

// groupGranted reports whether a group grant of p gives op on an object
// with attrs (one of its Object Groups is granted).
func (p *Principal) groupGranted(attrs kmip.Attributes, op kmip.Operation) bool {
	for _, a := range attrs.All(kmip.AttrObjectGroup) {
		if g, ok := a.Value.(string); ok {
			if r, ok := p.groups[g]; ok && (r.all || r.ops[op]) {
				return true
			}
		}
	}
	return false
}

// Identity returns the client identity p is the principal of.
func (p *Principal) Identity() string { return p.identity }

// Tenant returns the configured tenant of p's identity, "" when it is a
// tenant of its own.
func (p *Principal) Tenant() string { return p.tenant }

type principalKey struct{}

// WithPrincipal returns ctx carrying p, the principal of the item it
// serves.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal ctx carries, nil when none (a call
// that did not come through the handlers' ServeKMIP).
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// PermissionDenied is the error of every refusal by the policy.
func PermissionDenied(what string) error {
	return kmip.Errorf(kmip.ReasonPermissionDenied, "permission denied: %s", what)
}

// MayCall reports whether p may call op at all: Permission Denied unless one
// of its roles lists op. The caller lets everyone call the operations that
// describe the server rather than its objects (Query, Discover Versions).
func (p *Principal) MayCall(op kmip.Operation) error {
	if p.all || p.ops[op] {
		return nil
	}
	return PermissionDenied(op.String() + " is not in the client's roles")
}

// Scope returns req as the handlers see it: its Peer's Identity is the
// owner of p's tenant, the owner of every object the client creates or sees.
func (p *Principal) Scope(req *kmip.Request) *kmip.Request {
	if req.Peer == nil || req.Peer.Identity == p.owner {
		return req
	}
	peer := *req.Peer
	peer.Identity = p.owner
	scoped := *req
	scoped.Peer = &peer
	return &scoped
}

// MayUse checks that p may perform req on an object of its tenant, stored
// under owner with attrs: that req does not write the creator attribute,
// nor a grant unless p administers the object, and that p is its creator,
// holds a tenant-wide role or has a grant for req's operation.
func (p *Principal) MayUse(req *kmip.Request, owner string, attrs kmip.Attributes) error {
	administers := p.tenantWide || CreatorOf(attrs, owner) == p.identity
	if _, replaces := req.Payload.(*kmip.ImportRequest); replaces && !administers {
		// An Import replaces every attribute, grants included.
		return PermissionDenied("only the creator of an object replaces it")
	}
	for _, a := range writtenAttrs(req.Payload) {
		switch a.Name {
		case CreatorAttr:
			return PermissionDenied(CreatorAttr + " is set by the server")
		case GrantAttr:
			if !administers {
				return PermissionDenied("only the creator of an object grants operations on it")
			}
			if a.Value != nil {
				if _, _, ok := parseGrant(a.Value); !ok {
					return invalidGrant()
				}
			}
		}
	}
	if administers || granted(attrs, p.identity, req.Operation) || p.groupGranted(attrs, req.Operation) {
		return nil
	}
	return PermissionDenied(req.Operation.String() + " on an object neither created by nor granted to the client")
}

// MayLocate is the Locate filter of p: whether p may Locate an object of
// owner with attrs. nil when p may see every object of its tenant.
func (p *Principal) MayLocate(owner string) func(attrs kmip.Attributes) bool {
	if p == nil || p.tenantWide {
		return nil
	}
	return func(attrs kmip.Attributes) bool {
		return CreatorOf(attrs, owner) == p.identity || granted(attrs, p.identity, kmip14.OperationLocate) ||
			p.groupGranted(attrs, kmip14.OperationLocate)
	}
}

// CreatorOf returns the identity that created an object: its creator
// attribute, or its owner for an object stored without one (created with no
// Policy in force, when the owner was the creator).
func CreatorOf(attrs kmip.Attributes, owner string) string {
	if c, ok := attrs.Get(CreatorAttr).(string); ok {
		return c
	}
	return owner
}

// granted reports whether a grant of attrs gives identity op.
func granted(attrs kmip.Attributes, identity string, op kmip.Operation) bool {
	for _, a := range attrs.All(GrantAttr) {
		who, ops, ok := parseGrant(a.Value)
		if ok && who == identity && (ops == nil || slices.Contains(ops, op)) {
			return true
		}
	}
	return false
}

// parseGrant parses a GrantAttr value. ops is nil for "*".
func parseGrant(v any) (identity string, ops []kmip.Operation, ok bool) {
	s, _ := v.(string)
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return "", nil, false
	}
	identity = s[:i]
	for _, n := range strings.Split(s[i+1:], ",") {
		n = strings.TrimSpace(n)
		if n == "*" {
			return identity, nil, true
		}
		op, known := operationNamed(n)
		if !known {
			return "", nil, false
		}
		ops = append(ops, op)
	}
	return identity, ops, true
}

// writtenAttrs returns the attributes an attribute operation adds, sets,
// changes or deletes (for a deletion or an adjustment by name, an attribute
// without a value).
func writtenAttrs(payload any) []kmip.Attribute {
	switch p := payload.(type) {
	case *kmip.AddAttributeRequest:
		return []kmip.Attribute{p.Attribute}
	case *kmip.SetAttributeRequest:
		return []kmip.Attribute{p.Attribute}
	case *kmip.ModifyAttributeRequest:
		out := []kmip.Attribute{p.Attribute}
		if p.Current != nil {
			out = append(out, kmip.Attribute{Name: p.Current.Name})
		}
		return out
	case *kmip.DeleteAttributeRequest:
		out := []kmip.Attribute{{Name: p.Name}}
		if p.Current != nil {
			out = append(out, kmip.Attribute{Name: p.Current.Name})
		}
		return out
	case *kmip.AdjustAttributeRequest:
		return []kmip.Attribute{{Name: p.AttributeName}}
	}
	return nil
}

// StampCreator checks the grants of a new object's attrs and replaces any
// creator attribute in them with p's identity when a Policy is in force;
// with none, it only removes a client-given one.
func (p *Principal) StampCreator(attrs kmip.Attributes) (kmip.Attributes, error) {
	for _, a := range attrs.All(GrantAttr) {
		if _, _, ok := parseGrant(a.Value); !ok {
			return nil, invalidGrant()
		}
	}
	attrs = slices.DeleteFunc(attrs, func(a kmip.Attribute) bool { return a.Name == CreatorAttr })
	if p != nil && p.enforced {
		attrs = append(attrs, kmip.Attribute{Name: CreatorAttr, Value: p.identity})
	}
	return attrs, nil
}

// invalidGrant is the error of a GrantAttr value that does not parse.
func invalidGrant() error {
	return &kmip.Error{Reason: kmip.ReasonInvalidAttributeValue, Message: "invalid value for " + GrantAttr}
}
