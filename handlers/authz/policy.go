// Package authz is kmipd's authorization policy: tenants that partition the
// objects, roles that name the operations an identity may call, grants on
// single objects and on Object Groups. A Policy (the authz section of
// kmipd.yaml) compiles into an Authorizer; the Authorizer gives each client
// identity its Principal, which the handlers ask before each operation and
// each object.
//
// The package decides; it does not read or write the store. An object is
// given to it as its owner and attributes.
package authz

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"gopkg.in/yaml.v3"

	"github.com/kmipd/kmipd/kmip"
)

// Policy is the authorization policy, the authz section of kmipd.yaml:
// tenants partition the objects, roles name the operations an identity may
// call, bindings give identities their roles.
//
// A nil *Policy means no authorization: every identity is its own tenant and
// may call every operation on its own objects.
type Policy struct {
	// Tenants maps a tenant's name to its member identities. An identity
	// that is in no tenant is a tenant of its own.
	Tenants map[string]TenantPolicy `yaml:"tenants"`
	// Roles maps a role's name to what its holders may do.
	Roles map[string]RolePolicy `yaml:"roles"`
	// Bindings give identities roles; an identity with several roles may do
	// what any of them allows.
	Bindings []Binding `yaml:"bindings"`
	// DefaultRole is the role of identities without a binding; empty means
	// such identities may call nothing but Query and Discover Versions.
	DefaultRole string `yaml:"default_role"`
}

// TenantPolicy lists the identities (certificate subjects) of a tenant and
// the operations granted on its Object Groups.
type TenantPolicy struct {
	Identities []string `yaml:"identities"`
	// GroupGrants give identities of the tenant operations on every object
	// of an Object Group, whoever created it.
	GroupGrants []GroupGrant `yaml:"group_grants"`
}

// GroupGrant gives Identity the Operations (named as in a role, or "*") on
// the objects whose Object Group is Group.
type GroupGrant struct {
	Group      string   `yaml:"group"`
	Identity   string   `yaml:"identity"`
	Operations []string `yaml:"operations"`
}

// RolePolicy is a role: the operations its holders may call, by KMIP name
// ("create", "get", "Get Attributes", "get_attributes", "re-key" all work;
// case, spaces, hyphens and underscores are ignored) or "*" for all, and
// whether it gives its holders every object of their tenant.
type RolePolicy struct {
	Operations []string `yaml:"operations"`
	TenantWide bool     `yaml:"tenant_wide"`
}

// Binding gives Identity the role named Role.
type Binding struct {
	Identity string `yaml:"identity"`
	Role     string `yaml:"role"`
}

// TenantOwnerPrefix starts the store owner of a configured tenant, which
// sets it apart from the owner of an identity that is its own tenant (a
// certificate subject such as "CN=a,O=b").
const TenantOwnerPrefix = "tenant:"

// An Authorizer is a validated Policy, ready for lookups. It is immutable
// and safe for concurrent use. A nil *Authorizer is no Policy: every
// identity is its own tenant and may call every operation on its objects.
type Authorizer struct {
	tenantOf map[string]string          // identity -> tenant name
	groups   map[string]map[string]role // identity -> Object Group -> operations granted on it
	roles    map[string]role
	bindings map[string][]string // identity -> role names
	fallback string              // default role, may be ""
	text     string              // the policy as YAML, for the change log
	digest   string              // SHA-256 of text, hex
}

// role is a RolePolicy with its operations resolved.
type role struct {
	all        bool
	ops        map[kmip.Operation]bool
	tenantWide bool
}

// Compile validates p and returns its Authorizer: every bound role exists,
// every operation is a KMIP operation, no identity is in two tenants.
func (p *Policy) Compile() (*Authorizer, error) {
	text, err := yaml.Marshal(p)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(text)
	a := &Authorizer{
		tenantOf: map[string]string{},
		roles:    map[string]role{},
		bindings: map[string][]string{},
		fallback: p.DefaultRole,
		text:     string(text),
		digest:   hex.EncodeToString(sum[:]),
	}
	a.groups = map[string]map[string]role{}
	for name, t := range p.Tenants {
		if name == "" {
			return nil, fmt.Errorf("authz: a tenant has no name")
		}
		for _, id := range t.Identities {
			if strings.HasPrefix(id, TenantOwnerPrefix) {
				return nil, fmt.Errorf("authz: identity %q may not start with %q", id, TenantOwnerPrefix)
			}
			if other, ok := a.tenantOf[id]; ok && other != name {
				return nil, fmt.Errorf("authz: identity %q is in tenants %q and %q", id, other, name)
			}
			a.tenantOf[id] = name
		}
	}
	for name, t := range p.Tenants {
		for _, g := range t.GroupGrants {
			if g.Group == "" || a.tenantOf[g.Identity] != name {
				return nil, fmt.Errorf("authz: tenant %q: a group grant needs a group and an identity of the tenant (got %q, %q)", name, g.Group, g.Identity)
			}
			r, err := compileOperations(g.Operations)
			if err != nil {
				return nil, fmt.Errorf("authz: tenant %q: group %q: %w", name, g.Group, err)
			}
			if a.groups[g.Identity] == nil {
				a.groups[g.Identity] = map[string]role{}
			}
			a.groups[g.Identity][g.Group] = r
		}
	}
	for name, rp := range p.Roles {
		r, err := compileOperations(rp.Operations)
		if err != nil {
			return nil, fmt.Errorf("authz: role %q: %w", name, err)
		}
		r.tenantWide = rp.TenantWide
		a.roles[name] = r
	}
	if p.DefaultRole != "" {
		if _, ok := a.roles[p.DefaultRole]; !ok {
			return nil, fmt.Errorf("authz: default_role %q is not a role", p.DefaultRole)
		}
	}
	for _, b := range p.Bindings {
		if _, ok := a.roles[b.Role]; !ok {
			return nil, fmt.Errorf("authz: binding of %q: %q is not a role", b.Identity, b.Role)
		}
		if b.Identity == "" {
			return nil, fmt.Errorf("authz: binding of role %q has no identity", b.Role)
		}
		a.bindings[b.Identity] = append(a.bindings[b.Identity], b.Role)
	}
	return a, nil
}

// Principal returns what identity may do under a (nil a: everything on the
// objects of its own tenant, which is itself).
func (a *Authorizer) Principal(identity string) *Principal {
	if a == nil {
		return &Principal{identity: identity, owner: identity, all: true, tenantWide: true}
	}
	p := &Principal{identity: identity, owner: identity, ops: map[kmip.Operation]bool{}, enforced: true}
	if t, ok := a.tenantOf[identity]; ok {
		p.tenant, p.owner = t, TenantOwnerPrefix+t
	}
	names := a.bindings[identity]
	if len(names) == 0 && a.fallback != "" {
		names = []string{a.fallback}
	}
	for _, n := range names {
		r := a.roles[n]
		p.all = p.all || r.all
		p.tenantWide = p.tenantWide || r.tenantWide
		for op := range r.ops {
			p.ops[op] = true
		}
	}
	p.groups = a.groups[identity]
	return p
}

// compileOperations resolves a list of operation names ("*" for all).
func compileOperations(names []string) (role, error) {
	r := role{ops: map[kmip.Operation]bool{}}
	for _, op := range names {
		if op == "*" {
			r.all = true
			continue
		}
		o, ok := operationNamed(op)
		if !ok {
			return r, fmt.Errorf("unknown operation %q", op)
		}
		r.ops[o] = true
	}
	return r, nil
}

// operationNamed returns the KMIP operation called name, compared without
// case, spaces, hyphens and underscores.
func operationNamed(name string) (kmip.Operation, bool) {
	want := foldName(name)
	for v := uint32(1); v <= 0x40; v++ {
		for _, n := range []string{kmip14.Operation(v).String(), kmip20.Operation(v).String()} {
			if !strings.HasPrefix(n, "0x") && foldName(n) == want {
				return kmip.Operation(v), true
			}
		}
	}
	return 0, false
}

func foldName(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if slices.Contains([]rune(" -_"), r) {
			return -1
		}
		return r
	}, s)
}

// Members returns the identities a places in a configured tenant, sorted;
// none for a nil a.
func (a *Authorizer) Members() []string {
	if a == nil {
		return nil
	}
	ids := make([]string, 0, len(a.tenantOf))
	for id := range a.tenantOf {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// Digest returns the SHA-256 of a's policy as YAML, in hex, or "none".
func (a *Authorizer) Digest() string {
	if a == nil {
		return "none"
	}
	return a.digest
}

// YAML returns a's policy as YAML, or "none".
func (a *Authorizer) YAML() string {
	if a == nil {
		return "none"
	}
	return a.text
}
