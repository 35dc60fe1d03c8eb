package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// The identities of the matrix: three in tenant acme (a storage array, a
// reader and a tenant-wide operator) and a storage array in tenant globex.
const (
	acmeArray    = "CN=array-1,O=acme"
	acmeReader   = "CN=reader,O=acme"
	acmeOperator = "CN=operator,O=acme"
	globexArray  = "CN=array-1,O=globex"
)

var matrixPolicy = &authz.Policy{
	Tenants: map[string]authz.TenantPolicy{
		"acme":   {Identities: []string{acmeArray, acmeReader, acmeOperator}},
		"globex": {Identities: []string{globexArray}},
	},
	Roles: map[string]authz.RolePolicy{
		"storage-array": {Operations: []string{"create", "get", "locate", "activate"}},
		"reader":        {Operations: []string{"get"}},
		"operator":      {Operations: []string{"*"}, TenantWide: true},
	},
	Bindings: []authz.Binding{
		{Identity: acmeArray, Role: "storage-array"},
		{Identity: acmeReader, Role: "reader"},
		{Identity: acmeOperator, Role: "operator"},
		{Identity: globexArray, Role: "storage-array"},
	},
}

// authzHarness is a real Service on Badger, wrapped by Audited, under a
// Policy.
type authzHarness struct {
	*harness
	handler kmip.Handler
	names   int
}

func newAuthzHarness(t *testing.T, p *authz.Policy) *authzHarness {
	t.Helper()
	h := &authzHarness{harness: newHarness(t)}
	if _, _, err := h.svc.SetPolicy(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	h.handler = audited(h.svc, h.store, nil)
	return h
}

func (h *authzHarness) serve(who string, op kmip.Operation, payload any) (any, error) {
	return h.handler.ServeKMIP(context.Background(), &kmip.Request{
		Version: kmip.V2_1, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: who}, Batch: &kmip.BatchState{},
	})
}

// newKey has who create an AES key named uniquely, active when asked, and
// returns its identifier and name.
func (h *authzHarness) newKey(who string, active bool, extra ...kmip.Attribute) (id, name string) {
	h.t.Helper()
	h.names++
	name = fmt.Sprintf("key-%d", h.names)
	attrs := append(kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
		{Name: kmip.AttrName, Value: kmip.Name{Value: name, Type: kmip14.NameTypeUninterpretedTextString}},
	}, extra...)
	resp, err := h.serve(who, kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: attrs})
	if err != nil {
		h.t.Fatalf("%s creates: %v", who, err)
	}
	id = resp.(*kmip.CreateResponse).UniqueIdentifier
	if active {
		if _, err := h.serve(who, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id}); err != nil {
			h.t.Fatalf("%s activates: %v", who, err)
		}
	}
	return id, name
}

// matrixOps are the operations each identity tries on each object, with the
// request and whether the object must be active first.
var matrixOps = []struct {
	name   string
	op     kmip.Operation
	active bool
	req    func(id, name string) any
}{
	{"Get", kmip14.OperationGet, false, func(id, _ string) any { return &kmip.GetRequest{UniqueIdentifier: id} }},
	{"GetAttributes", kmip14.OperationGetAttributes, false, func(id, _ string) any { return &kmip.GetAttributesRequest{UniqueIdentifier: id} }},
	{"Locate", kmip14.OperationLocate, false, func(_, name string) any {
		return &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: name}}}}
	}},
	{"Activate", kmip14.OperationActivate, false, func(id, _ string) any { return &kmip.ActivateRequest{UniqueIdentifier: id} }},
	{"Revoke", kmip14.OperationRevoke, true, func(id, _ string) any {
		return &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}}
	}},
	{"Destroy", kmip14.OperationDestroy, false, func(id, _ string) any { return &kmip.DestroyRequest{UniqueIdentifier: id} }},
	{"AddAttribute", kmip14.OperationAddAttribute, false, func(id, _ string) any {
		return &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-note", Value: "n"}}
	}},
	{"Encrypt", kmip14.OperationEncrypt, true, func(id, _ string) any {
		return &kmip.EncryptRequest{UniqueIdentifier: id, Parameters: gcm(16), Data: []byte("plaintext")}
	}},
}

// TestAuthorizationMatrix has every identity try every operation on an
// object of every creator. Codes, in the order of matrixOps: "ok" allowed
// (Locate by Name finds the object), "PD" Permission Denied, "NF" not found
// (Object Not Found; for Locate, an empty answer).
func TestAuthorizationMatrix(t *testing.T) {
	table := []struct {
		actor, creator string
		want           string // Get GetAttributes Locate Activate Revoke Destroy AddAttribute Encrypt
	}{
		// The storage array uses its own keys within its role only.
		{acmeArray, acmeArray, "ok PD ok ok PD PD PD PD"},
		// Same tenant, not its creator, no grant: refused; not even located.
		{acmeArray, acmeOperator, "PD PD NF PD PD PD PD PD"},
		// Another tenant: what its role allows is not found, the rest refused.
		{acmeArray, globexArray, "NF PD NF NF PD PD PD PD"},

		// The reader may call Get only, and has no grant.
		{acmeReader, acmeArray, "PD PD PD PD PD PD PD PD"},
		{acmeReader, acmeOperator, "PD PD PD PD PD PD PD PD"},
		{acmeReader, globexArray, "NF PD PD PD PD PD PD PD"},

		// The operator's role is tenant-wide: every object of acme.
		{acmeOperator, acmeArray, "ok ok ok ok ok ok ok ok"},
		{acmeOperator, acmeOperator, "ok ok ok ok ok ok ok ok"},
		{acmeOperator, globexArray, "NF NF NF NF NF NF NF NF"},

		// globex sees nothing of acme, not even by Name.
		{globexArray, acmeArray, "NF PD NF NF PD PD PD PD"},
		{globexArray, acmeOperator, "NF PD NF NF PD PD PD PD"},
		{globexArray, globexArray, "ok PD ok ok PD PD PD PD"},
	}
	tenantOf := map[string]string{acmeArray: "acme", acmeReader: "acme", acmeOperator: "acme", globexArray: "globex"}

	h := newAuthzHarness(t, matrixPolicy)
	for _, row := range table {
		want := strings.Fields(row.want)
		if len(want) != len(matrixOps) {
			t.Fatalf("row %s on %s: %d codes", row.actor, row.creator, len(want))
		}
		for i, op := range matrixOps {
			t.Run(fmt.Sprintf("%s/%s/%s", short(row.actor), short(row.creator), op.name), func(t *testing.T) {
				id, name := h.newKey(row.creator, op.active)
				before := len(records(t, h.store))
				resp, err := h.serve(row.actor, op.op, op.req(id, name))
				got := outcome(t, resp, err, id)
				if got != want[i] {
					t.Fatalf("%s: %s, want %s (err %v)", op.name, got, want[i], err)
				}
				recs := records(t, h.store)
				if len(recs) < before+1 {
					t.Fatalf("no audit record")
				}
				rec := recs[len(recs)-1]
				if rec.Identity != row.actor || rec.Tenant != tenantOf[row.actor] || rec.Operation != op.op.String() {
					t.Errorf("record %+v, want identity %s tenant %s operation %v", rec, row.actor, tenantOf[row.actor], op.op)
				}
				if wantReason := map[string]string{"PD": kmip.ReasonPermissionDenied.String(), "NF": kmip.ReasonObjectNotFound.String()}[got]; op.op != kmip14.OperationLocate && rec.Reason != wantReason {
					t.Errorf("record reason %q, want %q", rec.Reason, wantReason)
				}
			})
		}
	}

	// Create: by role.
	for who, want := range map[string]string{acmeArray: "ok", acmeReader: "PD", acmeOperator: "ok", globexArray: "ok"} {
		resp, err := h.serve(who, kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
			{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		}})
		if got := outcome(t, resp, err, ""); got != want {
			t.Errorf("Create by %s: %s, want %s (err %v)", who, got, want, err)
		}
	}
	// Query is always allowed.
	if _, err := h.serve(acmeReader, kmip14.OperationQuery, &kmip.QueryRequest{}); err != nil {
		t.Errorf("Query by the reader: %v", err)
	}
}

func short(identity string) string {
	return strings.NewReplacer("CN=", "", ",O=", "@").Replace(identity)
}

// outcome classifies an answer: "ok", "PD", "NF", or the unexpected error.
// A Locate is "ok" when it found exactly id and "NF" when it found nothing.
func outcome(t *testing.T, resp any, err error, id string) string {
	t.Helper()
	if err != nil {
		switch kmip.AsError(err).Reason {
		case kmip.ReasonPermissionDenied:
			return "PD"
		case kmip.ReasonObjectNotFound, kmip.ReasonItemNotFound:
			return "NF"
		case kmip.ReasonInvalidAttributeValue:
			return "IAV"
		}
		return err.Error()
	}
	if l, ok := resp.(*kmip.LocateResponse); ok {
		switch {
		case len(l.UniqueIdentifiers) == 0:
			return "NF"
		case slices.Equal(l.UniqueIdentifiers, []string{id}):
			return "ok"
		}
		return fmt.Sprintf("located %v", l.UniqueIdentifiers)
	}
	return "ok"
}

// TestAuthorizationGrants: the creator grants named operations on one
// object, for Get and Locate; the grant gives nothing beyond the grantee's
// role, nothing on other objects, and only the creator may change it.
func TestAuthorizationGrants(t *testing.T) {
	p := *matrixPolicy
	p.Roles = map[string]authz.RolePolicy{
		"storage-array": {Operations: []string{"create", "get", "locate", "activate", "add attribute", "delete_attribute", "Modify Attribute"}},
		"reader":        {Operations: []string{"get", "locate"}},
		"operator":      {Operations: []string{"*"}, TenantWide: true},
	}
	h := newAuthzHarness(t, &p)

	shared, sharedName := h.newKey(acmeArray, false, kmip.Attribute{Name: authz.GrantAttr, Value: acmeReader + ":get,locate"})
	private, privateName := h.newKey(acmeArray, false)

	try := func(who string, op kmip.Operation, payload any, id, want string) {
		t.Helper()
		resp, err := h.serve(who, op, payload)
		if got := outcome(t, resp, err, id); got != want {
			t.Errorf("%s %v: %s, want %s (err %v)", short(who), op, got, want, err)
		}
	}
	locate := func(name string) any {
		return &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrName, Value: kmip.Name{Value: name}}}}
	}
	try(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: shared}, shared, "ok")
	try(acmeReader, kmip14.OperationLocate, locate(sharedName), shared, "ok")
	try(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: private}, private, "PD")
	try(acmeReader, kmip14.OperationLocate, locate(privateName), private, "NF")
	try(acmeReader, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: shared}, shared, "PD") // not in its role

	// A grant to an identity of another tenant gives nothing.
	cross, _ := h.newKey(acmeArray, false, kmip.Attribute{Name: authz.GrantAttr, Value: globexArray + ":*"})
	try(globexArray, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: cross}, cross, "NF")

	// The creator grants later with AddAttribute, and revokes by deleting it.
	try(acmeArray, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: private, Attribute: kmip.Attribute{Name: authz.GrantAttr, Value: acmeReader + ":Get"}}, private, "ok")
	try(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: private}, private, "ok")
	try(acmeArray, kmip14.OperationDeleteAttribute, &kmip.DeleteAttributeRequest{UniqueIdentifier: private, Name: authz.GrantAttr}, private, "ok")
	try(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: private}, private, "PD")

	// A malformed grant is refused.
	try(acmeArray, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: private, Attribute: kmip.Attribute{Name: authz.GrantAttr, Value: acmeReader + ":fly"}}, private, "IAV")
	_, err := h.serve(acmeArray, kmip14.OperationCreate, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(128)},
		{Name: authz.GrantAttr, Value: "no operations"},
	}})
	if got := outcome(t, nil, err, ""); got != "IAV" {
		t.Errorf("Create with a malformed grant: %s", got)
	}

	// Nobody else may grant, even with Add Attribute in its role and a grant
	// of Add Attribute on the object; nobody writes the creator attribute.
	other, _ := h.newKey(acmeOperator, false, kmip.Attribute{Name: authz.GrantAttr, Value: acmeArray + ":add attribute"})
	try(acmeArray, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: other, Attribute: kmip.Attribute{Name: "x-note", Value: "n"}}, other, "ok")
	try(acmeArray, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: other, Attribute: kmip.Attribute{Name: authz.GrantAttr, Value: acmeArray + ":*"}}, other, "PD")
	try(acmeOperator, kmip14.OperationModifyAttribute, &kmip.ModifyAttributeRequest{UniqueIdentifier: private, Attribute: kmip.Attribute{Name: authz.CreatorAttr, Value: acmeOperator}}, private, "PD")
	try(acmeArray, kmip14.OperationDeleteAttribute, &kmip.DeleteAttributeRequest{UniqueIdentifier: private, Name: authz.CreatorAttr}, private, "PD")

	// The creator is recorded, and a client cannot forge it at creation.
	forged, _ := h.newKey(acmeArray, false, kmip.Attribute{Name: authz.CreatorAttr, Value: acmeOperator})
	resp, err := h.serve(acmeOperator, kmip14.OperationGetAttributes, &kmip.GetAttributesRequest{UniqueIdentifier: forged, Names: []string{authz.CreatorAttr}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.(*kmip.GetAttributesResponse).Attributes.All(authz.CreatorAttr); len(got) != 1 || got[0].Value != acmeArray {
		t.Errorf("creator attributes %v, want one %q", got, acmeArray)
	}
}

// TestNoPolicy: without a Policy every identity is its own tenant with every
// operation on its own objects, and objects carry no creator attribute.
func TestNoPolicy(t *testing.T) {
	h := newHarness(t)
	audited := audited(h.svc, h.store, nil)
	serve := func(who string, op kmip.Operation, payload any) (any, error) {
		return audited.ServeKMIP(context.Background(), &kmip.Request{Version: kmip.V1_4, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: who}, Batch: &kmip.BatchState{}})
	}
	id := h.createAES(kmip.V1_4, alice, 256)
	if _, err := serve(alice, kmip14.OperationAddAttribute, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-note", Value: "n"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := serve(bob, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id}); kmip.AsError(err).ReasonFor(kmip.V1_4) != kmip.ReasonItemNotFound {
		t.Errorf("bob gets alice's key: %v, want Item Not Found", err)
	}
	if h.attrs(kmip.V1_4, alice, id).Has(authz.CreatorAttr) {
		t.Error("creator attribute set without a policy")
	}
	recs := records(t, h.store)
	if rec := recs[len(recs)-1]; rec.Tenant != "" || rec.Identity != bob {
		t.Errorf("record %+v, want bob without tenant", rec)
	}
	if got := h.svc.TenantOf(alice); got != "" {
		t.Errorf("TenantOf %q", got)
	}
}

// TestSetPolicyRecorded: a change of policy is an audit record with the
// digests before and after; an invalid policy changes nothing.
func TestSetPolicyRecorded(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	before, after, err := h.svc.SetPolicy(ctx, matrixPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if before != "none" || len(after) != 64 {
		t.Fatalf("digests %q -> %q", before, after)
	}
	recs := records(t, h.store)
	rec := recs[len(recs)-1]
	if rec.Operation != "PolicyChange" || rec.Reason != "sha256 none -> "+after || !strings.HasPrefix(rec.Identity, "kmipd") {
		t.Errorf("record %+v", rec)
	}
	for _, bad := range []*authz.Policy{
		{Roles: map[string]authz.RolePolicy{"r": {Operations: []string{"fly"}}}},
		{Bindings: []authz.Binding{{Identity: "CN=a", Role: "missing"}}},
		{DefaultRole: "missing"},
		{Tenants: map[string]authz.TenantPolicy{"a": {Identities: []string{"CN=x"}}, "b": {Identities: []string{"CN=x"}}}},
	} {
		if _, _, err := h.svc.SetPolicy(ctx, bad); err == nil {
			t.Errorf("policy %+v accepted", bad)
		}
	}
	if n := len(records(t, h.store)); n != len(recs) {
		t.Errorf("%d records after refused policies, want %d", n, len(recs))
	}
	if got := h.svc.TenantOf(acmeReader); got != "acme" {
		t.Errorf("TenantOf after refused policies: %q", got)
	}
	back, none, err := h.svc.SetPolicy(ctx, nil)
	if err != nil || back != after || none != "none" {
		t.Errorf("SetPolicy(nil): %q -> %q, %v", back, none, err)
	}
}

// An identity without a binding and no default role may only Query.
func TestPolicyUnbound(t *testing.T) {
	h := newAuthzHarness(t, matrixPolicy)
	_, err := h.serve("CN=stranger", kmip14.OperationLocate, &kmip.LocateRequest{})
	if kmip.AsError(err).Reason != kmip.ReasonPermissionDenied {
		t.Errorf("Locate by a stranger: %v", err)
	}
	var _ store.AuditLog = h.store
}

// TestAuthorizationGroupGrants checks the group grants of a tenant: the
// reader may Get and Locate every object of the Object Group granted to
// it, whoever created them, and nothing outside that group; a grant to an
// identity of another tenant is refused by the policy.
func TestAuthorizationGroupGrants(t *testing.T) {
	p := *matrixPolicy
	// The reader's role lets it call Get, Locate and Activate at all; the
	// group grant decides on which objects.
	p.Roles = map[string]authz.RolePolicy{
		"storage-array": matrixPolicy.Roles["storage-array"],
		"reader":        {Operations: []string{"get", "locate", "activate"}},
		"operator":      matrixPolicy.Roles["operator"],
	}
	p.Tenants = map[string]authz.TenantPolicy{
		"acme": {Identities: []string{acmeArray, acmeReader, acmeOperator},
			GroupGrants: []authz.GroupGrant{{Group: "tape-library", Identity: acmeReader, Operations: []string{"get", "locate"}}}},
		"globex": {Identities: []string{globexArray}},
	}
	h := newAuthzHarness(t, &p)
	inGroup, inName := h.newKey(acmeArray, false, kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "tape-library"})
	outside, outName := h.newKey(acmeArray, false, kmip.Attribute{Name: kmip.AttrObjectGroup, Value: "databases"})

	if _, err := h.serve(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: inGroup}); err != nil {
		t.Errorf("Get of an object of the granted group: %v", err)
	}
	_, err := h.serve(acmeReader, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: outside})
	wantReason(t, err, kmip.ReasonPermissionDenied)
	for name, want := range map[string]int{inName: 1, outName: 0} {
		resp, err := h.serve(acmeReader, kmip14.OperationLocate, &kmip.LocateRequest{Attributes: kmip.Attributes{
			{Name: kmip.AttrName, Value: kmip.Name{Value: name, Type: kmip14.NameTypeUninterpretedTextString}}}})
		if err != nil {
			t.Fatalf("Locate %s: %v", name, err)
		}
		if got := len(resp.(*kmip.LocateResponse).UniqueIdentifiers); got != want {
			t.Errorf("Locate %s by the group grantee found %d objects, want %d", name, got, want)
		}
	}
	// The grant names Get and Locate only.
	_, err = h.serve(acmeReader, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: inGroup})
	wantReason(t, err, kmip.ReasonPermissionDenied)

	cross := *matrixPolicy
	cross.Tenants = map[string]authz.TenantPolicy{
		"acme":   {Identities: []string{acmeArray}, GroupGrants: []authz.GroupGrant{{Group: "g", Identity: globexArray, Operations: []string{"get"}}}},
		"globex": {Identities: []string{globexArray}},
	}
	if _, _, err := h.svc.SetPolicy(context.Background(), &cross); err == nil {
		t.Error("a group grant to an identity of another tenant was accepted")
	}
}

// TestAuthorizationImportReplace: an Import that replaces an object rewrites
// all its attributes, grants included, so only the object's creator (or a
// tenant-wide identity) may do it, even with Import granted on the object.
func TestAuthorizationImportReplace(t *testing.T) {
	p := *matrixPolicy
	p.Roles = map[string]authz.RolePolicy{
		"storage-array": {Operations: []string{"create", "get", "import", "export"}},
		"reader":        {Operations: []string{"create", "get"}},
		"operator":      {Operations: []string{"*"}, TenantWide: true},
	}
	h := newAuthzHarness(t, &p)
	id, _ := h.newKey(acmeReader, false, kmip.Attribute{Name: authz.GrantAttr, Value: acmeArray + ":import,export"})
	h.newKey(acmeArray, false) // acmeArray may create: its role works

	resp, err := h.serve(acmeArray, kmip14.OperationExport, &kmip.ExportRequest{UniqueIdentifier: id})
	if err != nil {
		t.Fatalf("granted Export: %v", err)
	}
	exported := resp.(*kmip.ExportResponse)
	replace := &kmip.ImportRequest{
		UniqueIdentifier: id, ObjectType: exported.ObjectType, ReplaceExisting: true,
		Attributes: exported.Attributes, Object: exported.Object,
	}
	for _, who := range []string{acmeArray, acmeOperator} {
		_, err := h.serve(who, kmip14.OperationImport, replace)
		want := map[string]string{acmeArray: "PD", acmeOperator: "ok"}[who]
		if got := outcome(t, &kmip.ImportResponse{UniqueIdentifier: id}, err, id); got != want {
			t.Errorf("%s replaces by Import: %s, want %s (err %v)", short(who), got, want, err)
		}
	}
}
