package handlers

import (
	"context"
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// adoptPolicy places the matrix identities in acme and globex; the reader
// may Get and Locate what it is granted.
func adoptPolicy() *authz.Policy {
	p := *matrixPolicy
	p.Roles = map[string]authz.RolePolicy{
		"storage-array": {Operations: []string{"create", "get", "locate", "activate", "add attribute"}},
		"reader":        {Operations: []string{"get", "locate"}},
		"operator":      {Operations: []string{"*"}, TenantWide: true},
	}
	return &p
}

// adoptRecords returns the TenantAdopt records of the store's audit trail,
// and fails unless every one follows the last PolicyChange before it.
func adoptRecords(t *testing.T, h *authzHarness) []store.AuditRecord {
	t.Helper()
	var out []store.AuditRecord
	policyChanged := false
	for _, r := range records(t, h.store) {
		switch r.Operation {
		case "PolicyChange":
			policyChanged = true
		case "TenantAdopt":
			if !policyChanged {
				t.Fatalf("record %d: TenantAdopt before any PolicyChange", r.Seq)
			}
			out = append(out, r)
		}
	}
	return out
}

// TestPolicyAdoptsIdentityObjects: keys created with no Policy by an
// identity that a Policy then places in a tenant move to the tenant. Their
// creator still Locates, Gets and administers them; another identity of the
// tenant sees them as the Policy's rules allow; another tenant never does.
func TestPolicyAdoptsIdentityObjects(t *testing.T) {
	ctx := context.Background()
	core, logs := observer.New(zap.InfoLevel)
	h := &authzHarness{harness: newHarnessWith(t, func(c *Config) { c.Logger = zap.New(core) })}
	h.handler = audited(h.svc, h.store, nil)
	group := kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "db"}

	shared, sharedName := h.newKey(acmeArray, true, group, kmip.Attribute{Name: authz.GrantAttr, Value: acmeReader + ":get,locate"})
	private, privateName := h.newKey(acmeArray, false, group)
	globexKey, globexName := h.newKey(globexArray, false)
	loner, lonerName := h.newKey("CN=loner", false)

	if _, _, err := h.svc.SetPolicy(ctx, adoptPolicy()); err != nil {
		t.Fatal(err)
	}

	adopted := adoptRecords(t, h)
	want := map[string]string{
		shared:    "owner " + acmeArray + " -> tenant acme",
		private:   "owner " + acmeArray + " -> tenant acme",
		globexKey: "owner " + globexArray + " -> tenant globex",
	}
	if len(adopted) != len(want) {
		t.Fatalf("%d TenantAdopt records, want %d: %+v", len(adopted), len(want), adopted)
	}
	for _, r := range adopted {
		if r.Identity != "kmipd" || r.Reason != want[r.ObjectID] || r.Result != "Success" {
			t.Errorf("record %+v, want reason %q", r, want[r.ObjectID])
		}
	}
	if l := logs.FilterMessageSnippet("adopted into their tenants").All(); len(l) != 1 || l[0].ContextMap()["adopted"] != int64(3) {
		t.Errorf("adoption log lines %+v, want one counting 3", l)
	}
	for id, creator := range map[string]string{shared: acmeArray, private: acmeArray, globexKey: globexArray, loner: "CN=loner"} {
		obj, err := h.store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		attrs, err := kmip.UnmarshalAttributes(obj.Attributes)
		if err != nil {
			t.Fatal(err)
		}
		if got := authz.CreatorOf(attrs, obj.Owner); got != creator {
			t.Errorf("creator of %s is %q, want %q (owner %q)", id, got, creator, obj.Owner)
		}
	}
	if obj, _ := h.store.Get(ctx, loner); obj.Owner != "CN=loner" {
		t.Errorf("the key of an identity in no tenant moved to %q", obj.Owner)
	}

	try := func(who string, op kmip.Operation, payload any, id, want string) {
		t.Helper()
		resp, err := h.serve(who, op, payload)
		if got := outcome(t, resp, err, id); got != want {
			t.Errorf("%s %v %s: %s, want %s (err %v)", short(who), op, id, got, want, err)
		}
	}
	byName := func(name string) any {
		return &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: name}}}}
	}
	get := func(id string) any { return &kmip.GetRequest{UniqueIdentifier: id} }

	// The creator finds its keys again, by Name, Object Group and State.
	try(acmeArray, kmip14.OperationLocate, byName(sharedName), shared, "ok")
	try(acmeArray, kmip14.OperationLocate, byName(privateName), private, "ok")
	try(acmeArray, kmip14.OperationGet, get(shared), shared, "ok")
	try(acmeArray, kmip14.OperationGet, get(private), private, "ok")
	try(acmeArray, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: private}, private, "ok")
	resp, err := h.serve(acmeArray, kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{group,
		{Name: kmip.AttrState, Value: kmip14.StateActive}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.(*kmip.LocateResponse).UniqueIdentifiers, []string{shared, private}; !sameIDs(got, want) {
		t.Errorf("Locate by Object Group and State = %v, want %v", got, want)
	}
	// It still administers them: it may grant.
	try(acmeArray, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: private,
		Attribute: kmip.Attribute{Name: authz.GrantAttr, Value: acmeOperator + ":get"}}, private, "ok")

	// The reader: only what its grant names.
	try(acmeReader, kmip14.OperationGet, get(shared), shared, "ok")
	try(acmeReader, kmip14.OperationLocate, byName(sharedName), shared, "ok")
	try(acmeReader, kmip14.OperationGet, get(private), private, "PD")
	try(acmeReader, kmip14.OperationLocate, byName(privateName), private, "NF")
	// The operator: the whole tenant.
	try(acmeOperator, kmip14.OperationGet, get(private), private, "ok")
	try(acmeOperator, kmip14.OperationLocate, byName(privateName), private, "ok")
	// globex: its own key, never acme's, not even by Name.
	try(globexArray, kmip14.OperationGet, get(globexKey), globexKey, "ok")
	try(globexArray, kmip14.OperationLocate, byName(globexName), globexKey, "ok")
	for id, name := range map[string]string{shared: sharedName, private: privateName} {
		try(globexArray, kmip14.OperationGet, get(id), id, "NF")
		try(globexArray, kmip14.OperationLocate, byName(name), id, "NF")
	}

	// An identity added to a tenant later brings its keys along.
	withLoner := adoptPolicy()
	withLoner.Tenants = map[string]authz.TenantPolicy{
		"acme":   {Identities: []string{acmeArray, acmeReader, acmeOperator, "CN=loner"}},
		"globex": {Identities: []string{globexArray}},
	}
	if _, _, err := h.svc.SetPolicy(ctx, withLoner); err != nil {
		t.Fatal(err)
	}
	if got := adoptRecords(t, h); len(got) != 4 || got[3].ObjectID != loner || got[3].Reason != "owner CN=loner -> tenant acme" {
		t.Fatalf("after adding CN=loner to acme: %+v", got)
	}
	try(acmeOperator, kmip14.OperationLocate, byName(lonerName), loner, "ok")

	if n, err := h.store.VerifyAudit(ctx); err != nil || n == 0 {
		t.Fatalf("VerifyAudit = %d, %v", n, err)
	}
}

// TestPolicyChangeAdoptingNothingRecordsNoAdoption: a change of roles only,
// and the withdrawal of an identity from its tenant, move nothing and write
// no TenantAdopt record; the tenant keeps the objects.
func TestPolicyChangeAdoptingNothingRecordsNoAdoption(t *testing.T) {
	ctx := context.Background()
	h := newAuthzHarness(t, adoptPolicy())
	id, name := h.newKey(acmeArray, false)

	rolesOnly := adoptPolicy()
	rolesOnly.DefaultRole = "reader"
	withdrawn := adoptPolicy()
	withdrawn.Tenants = map[string]authz.TenantPolicy{"acme": {Identities: []string{acmeReader, acmeOperator}}}
	withdrawn.Bindings = slices.DeleteFunc(slices.Clone(withdrawn.Bindings), func(b authz.Binding) bool { return b.Identity == globexArray })
	for _, p := range []*authz.Policy{rolesOnly, withdrawn} {
		before := len(records(t, h.store))
		if _, _, err := h.svc.SetPolicy(ctx, p); err != nil {
			t.Fatal(err)
		}
		recs := records(t, h.store)
		if len(recs) != before+1 || recs[len(recs)-1].Operation != "PolicyChange" {
			t.Fatalf("records after the change: %+v", recs[before:])
		}
	}
	if got := adoptRecords(t, h); len(got) != 0 {
		t.Fatalf("TenantAdopt records: %+v", got)
	}
	// The array left acme: its key stays with the tenant.
	resp, err := h.serve(acmeArray, kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: name}}}})
	if got := outcome(t, resp, err, id); got != "NF" {
		t.Errorf("the withdrawn array locates its old key: %s", got)
	}
	if resp, err := h.serve(acmeOperator, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id}); outcome(t, resp, err, id) != "ok" {
		t.Errorf("the operator lost the withdrawn array's key: %v", err)
	}
}

func sameIDs(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
