package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/handlers/authz"
	"github.com/kmipd/kmipd/kmip"
)

// withTicket serves payload as one message of who presenting ticket tk in
// its header, through handler (nil: h's Service).
func (h *harness) withTicket(handler kmip.Handler, who string, tk *kmip.Ticket, payload any) (any, error) {
	if handler == nil {
		handler = h.svc
	}
	op, _ := kmip.OperationOf(payload)
	hdr := &kmip.RequestHeader{Version: kmip.V2_0, Credential: &kmip.Credential{Type: kmip.CredentialTypeTicket, Ticket: tk}}
	return handler.ServeKMIP(context.Background(), &kmip.Request{
		Version: kmip.V2_0, Operation: op, Payload: payload, Header: hdr,
		Peer: &kmip.Peer{Identity: who}, Batch: &kmip.BatchState{},
	})
}

// login has who log in and returns the ticket.
func (h *harness) login(who string, payload any) *kmip.Ticket {
	h.t.Helper()
	resp := h.must(kmip.V2_0, who, payload)
	tk := resp.(*kmip.LoginResponse).Ticket
	return &tk
}

var queryOps = &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}

func TestLoginTicketIsBoundToItsIdentity(t *testing.T) {
	h := newHarness(t)
	tk := h.login(alice, &kmip.LoginRequest{RequestCount: 2})
	if tk.Type != kmip.TicketTypeLogin || len(tk.Value) < 16 {
		t.Fatalf("ticket %d of %d bytes, want a Login ticket of at least 128 bits", tk.Type, len(tk.Value))
	}
	if other := h.login(alice, &kmip.LoginRequest{}); bytes.Equal(other.Value, tk.Value) {
		t.Fatal("two logins got the same ticket value")
	}

	// Bob presenting Alice's ticket is refused, and does not use it up.
	for range 3 {
		_, err := h.withTicket(nil, bob, tk, queryOps)
		wantReason(t, err, kmip.ReasonPermissionDenied)
	}
	for i := range 2 {
		if _, err := h.withTicket(nil, alice, tk, queryOps); err != nil {
			t.Fatalf("use %d by its owner: %v", i+1, err)
		}
	}
	_, err := h.withTicket(nil, alice, tk, queryOps)
	wantReason(t, err, kmip.ReasonUsageLimitExceeded)

	// A made-up ticket, of the right size or not, is an Invalid Ticket.
	for _, v := range [][]byte{make([]byte, ticketValueSize), []byte("short"), bytes.Repeat([]byte{1}, 4096)} {
		_, err := h.withTicket(nil, alice, &kmip.Ticket{Type: kmip.TicketTypeLogin, Value: v}, queryOps)
		wantReason(t, err, kmip.ReasonInvalidTicket)
	}
}

func TestLoginLeaseIsBoundedAndExpires(t *testing.T) {
	h := newHarness(t)
	short := h.login(alice, &kmip.LoginRequest{LeaseTime: time.Minute})
	long := h.login(alice, &kmip.LoginRequest{LeaseTime: 100 * time.Hour})
	h.now = h.now.Add(2 * time.Minute)
	_, err := h.withTicket(nil, alice, short, queryOps)
	wantReason(t, err, kmip.ReasonInvalidTicket)
	if _, err := h.withTicket(nil, alice, long, queryOps); err != nil {
		t.Fatal(err)
	}
	// The 100 hours asked for were cut to the server's cap.
	h.now = h.now.Add(ticketLease)
	_, err = h.withTicket(nil, alice, long, queryOps)
	wantReason(t, err, kmip.ReasonInvalidTicket)
	if n := len(h.svc.tickets.byDigest); n != 0 {
		t.Fatalf("%d expired tickets still held", n)
	}
}

func TestLoginLiveTicketsAreBounded(t *testing.T) {
	h := newHarness(t)
	for range maxTicketsPerIdentity {
		h.login(alice, &kmip.LoginRequest{LeaseTime: time.Minute})
	}
	_, err := h.do(kmip.V2_0, alice, &kmip.LoginRequest{})
	wantReason(t, err, kmip.ReasonServerLimitExceeded)
	h.login(bob, &kmip.LoginRequest{}) // another identity has a bound of its own
	h.now = h.now.Add(time.Minute)
	h.login(alice, &kmip.LoginRequest{}) // the expired ones are purged
	if n := h.svc.tickets.byIdentity[alice]; n != 1 {
		t.Fatalf("alice holds %d live tickets, want 1", n)
	}
}

func TestLogoutInvalidatesTheTicket(t *testing.T) {
	h := newHarness(t)
	tk := h.login(alice, &kmip.LoginRequest{})
	_, err := h.withTicket(nil, bob, tk, &kmip.LogoutRequest{Ticket: tk})
	wantReason(t, err, kmip.ReasonPermissionDenied)
	_, err = h.do(kmip.V2_0, bob, &kmip.LogoutRequest{Ticket: tk})
	wantReason(t, err, kmip.ReasonPermissionDenied)
	if _, err := h.withTicket(nil, alice, tk, queryOps); err != nil {
		t.Fatalf("bob's Logout took alice's ticket: %v", err)
	}
	// Logout without a Ticket field gives up the ticket presented.
	if _, err := h.withTicket(nil, alice, tk, &kmip.LogoutRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = h.withTicket(nil, alice, tk, queryOps)
	wantReason(t, err, kmip.ReasonInvalidTicket)
	_, err = h.do(kmip.V2_0, alice, &kmip.LogoutRequest{Ticket: tk})
	wantReason(t, err, kmip.ReasonInvalidTicket)
	_, err = h.do(kmip.V2_0, alice, &kmip.LogoutRequest{})
	wantReason(t, err, kmip.ReasonMissingData)
}

func TestLoginIsAuditedWithoutTheTicket(t *testing.T) {
	h := newHarness(t)
	handler := audited(h.svc, h.store, nil)
	serve := func(payload any) any {
		t.Helper()
		op, _ := kmip.OperationOf(payload)
		resp, err := handler.ServeKMIP(context.Background(), &kmip.Request{
			Version: kmip.V2_0, Operation: op, Payload: payload, Peer: &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{},
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	tk := serve(&kmip.LoginRequest{}).(*kmip.LoginResponse).Ticket
	id := h.createAES(kmip.V2_0, alice, 128)
	dtk := serve(&kmip.DelegatedLoginRequest{Rights: []kmip.Right{{Operations: []kmip.Operation{kmip14.OperationGet}, Objects: []string{id}}}}).(*kmip.LoginResponse).Ticket
	serve(&kmip.LogoutRequest{Ticket: &tk})
	if _, err := h.withTicket(handler, bob, &dtk, queryOps); err == nil {
		t.Fatal("bob used alice's delegated ticket")
	}

	recs := records(t, h.store)
	var ops []string
	handles := map[string]bool{}
	for _, r := range recs {
		ops = append(ops, r.Operation)
		text := fmt.Sprintf("%+v", r)
		for _, v := range [][]byte{tk.Value, dtk.Value} {
			if strings.Contains(text, hex.EncodeToString(v)) || strings.Contains(strings.ToLower(text), strings.ToLower(hex.EncodeToString(v))) || bytes.Contains([]byte(text), v) {
				t.Fatalf("record %+v holds a ticket value", r)
			}
		}
		if strings.HasPrefix(r.ObjectID, "ticket ") {
			handles[r.ObjectID] = true
		}
		if r.Identity != alice && r.Identity != bob {
			t.Errorf("record %+v without the client identity", r)
		}
	}
	want := []string{kmip.OperationLogin.String(), kmip.OperationDelegatedLogin.String(), kmip.OperationLogout.String(), kmip14.OperationQuery.String()}
	if !slices.Equal(ops, want) {
		t.Fatalf("records of %v, want %v", ops, want)
	}
	if recs[3].Result != "OperationFailed" || recs[3].Reason != kmip.ReasonPermissionDenied.String() {
		t.Errorf("the refused use is recorded as %s %s", recs[3].Result, recs[3].Reason)
	}
	// Login and Logout name the same ticket by its handle; Delegated Login another.
	if recs[0].ObjectID != recs[2].ObjectID || len(handles) != 2 {
		t.Errorf("ticket handles %q %q %q", recs[0].ObjectID, recs[1].ObjectID, recs[2].ObjectID)
	}
	// The table keeps only the digest.
	for d, held := range h.svc.tickets.byDigest {
		if d != sha256.Sum256(dtk.Value) || held.digest != d {
			t.Fatal("the table holds a ticket other than the live delegated one")
		}
	}
}

func TestDelegatedLoginAllowsOnlyItsRights(t *testing.T) {
	h := newHarness(t)
	k0 := h.createAES(kmip.V2_0, alice, 128)
	k1 := h.createAES(kmip.V2_0, alice, 128)
	tk := h.login(alice, &kmip.DelegatedLoginRequest{Rights: []kmip.Right{
		{Operations: []kmip.Operation{kmip14.OperationQuery}},
		{Operations: []kmip.Operation{kmip14.OperationGetAttributes}, Objects: []string{k0}},
	}})
	getAttrs := func(id string) *kmip.GetAttributesRequest {
		return &kmip.GetAttributesRequest{UniqueIdentifier: id, Names: []string{kmip.AttrCryptographicLength}}
	}
	if _, err := h.withTicket(nil, alice, tk, getAttrs(k0)); err != nil {
		t.Fatal(err)
	}
	refused := []any{
		&kmip.GetRequest{UniqueIdentifier: k0}, // an operation it does not list
		getAttrs(k1),                           // an object it does not list
		&kmip.LocateRequest{},                  // GetAttributes is limited to k0
		&kmip.DestroyRequest{UniqueIdentifier: k0},
		&kmip.LoginRequest{},
	}
	for _, p := range refused {
		_, err := h.withTicket(nil, alice, tk, p)
		wantReason(t, err, kmip.ReasonNotAuthorized)
	}
	resp, err := h.withTicket(nil, alice, tk, queryOps)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.(*kmip.QueryResponse).Operations, []kmip.Operation{kmip14.OperationGetAttributes, kmip14.OperationQuery}; !slices.Equal(got, want) {
		t.Fatalf("Query under the ticket lists %v, want %v", got, want)
	}
	// Without the ticket alice keeps all her rights.
	h.must(kmip.V2_0, alice, &kmip.GetRequest{UniqueIdentifier: k1})
}

func TestDelegatedLoginCannotExceedTheCallersRights(t *testing.T) {
	h := newAuthzHarness(t, matrixPolicy)
	key, _ := h.newKey(acmeArray, true)
	delegate := func(who string, tk *kmip.Ticket, rights ...kmip.Right) (any, error) {
		p := &kmip.DelegatedLoginRequest{Rights: rights}
		if tk != nil {
			return h.withTicket(h.handler, who, tk, p)
		}
		return h.serve(who, kmip.OperationDelegatedLogin, p)
	}
	get := []kmip.Operation{kmip14.OperationGet}
	cases := []struct {
		name   string
		who    string
		rights kmip.Right
		want   kmip.ResultReason
	}{
		{"an operation outside its roles", acmeReader, kmip.Right{Operations: []kmip.Operation{kmip14.OperationDestroy}}, kmip.ReasonPermissionDenied},
		{"every operation, with roles that list some", acmeArray, kmip.Right{}, kmip.ReasonPermissionDenied},
		{"an object it may not use", acmeReader, kmip.Right{Operations: get, Objects: []string{key}}, kmip.ReasonPermissionDenied},
		{"an object of another tenant", globexArray, kmip.Right{Operations: get, Objects: []string{key}}, kmip.ReasonObjectNotFound},
		{"an object that does not exist", acmeArray, kmip.Right{Operations: get, Objects: []string{"no-such-key"}}, kmip.ReasonObjectNotFound},
		{"an operation the server does not serve", acmeOperator, kmip.Right{Operations: []kmip.Operation{kmip.OperationReProvision}}, kmip.ReasonInvalidField},
	}
	for _, c := range cases {
		_, err := delegate(c.who, nil, c.rights)
		if err == nil {
			t.Fatalf("%s: delegated", c.name)
		}
		wantReason(t, err, c.want)
	}

	// The creator delegates Get on its key; the ticket cannot delegate more.
	resp, err := delegate(acmeArray, nil, kmip.Right{Operations: get, Objects: []string{key}})
	if err != nil {
		t.Fatal(err)
	}
	tk := resp.(*kmip.LoginResponse).Ticket
	if _, err := h.withTicket(h.handler, acmeArray, &tk, &kmip.GetRequest{UniqueIdentifier: key}); err != nil {
		t.Fatal(err)
	}
	// Delegated Login is not among the ticket's Rights; nor would wider
	// Rights be among them.
	_, err = delegate(acmeArray, &tk, kmip.Right{Operations: get})
	wantReason(t, err, kmip.ReasonNotAuthorized)

	// A change of the Policy takes effect on a ticket already issued.
	narrowed := *matrixPolicy
	narrowed.Roles = map[string]authz.RolePolicy{}
	for n, r := range matrixPolicy.Roles {
		narrowed.Roles[n] = r
	}
	narrowed.Roles["storage-array"] = authz.RolePolicy{Operations: []string{"create", "locate"}}
	if _, _, err := h.svc.SetPolicy(context.Background(), &narrowed); err != nil {
		t.Fatal(err)
	}
	_, err = h.withTicket(h.handler, acmeArray, &tk, &kmip.GetRequest{UniqueIdentifier: key})
	wantReason(t, err, kmip.ReasonPermissionDenied)
}

func TestDelegatedTicketDelegatesASubset(t *testing.T) {
	h := newHarness(t)
	k0 := h.createAES(kmip.V2_0, alice, 128)
	k1 := h.createAES(kmip.V2_0, alice, 128)
	ops := []kmip.Operation{kmip14.OperationGet, kmip14.OperationGetAttributes, kmip.OperationDelegatedLogin}
	parent := h.login(alice, &kmip.DelegatedLoginRequest{LeaseTime: time.Minute, Rights: []kmip.Right{{Operations: ops, Objects: []string{k0}}, {Operations: []kmip.Operation{kmip.OperationDelegatedLogin}}}})
	sub := func(r kmip.Right) (any, error) {
		return h.withTicket(nil, alice, parent, &kmip.DelegatedLoginRequest{Rights: []kmip.Right{r}})
	}
	for _, r := range []kmip.Right{
		{Operations: []kmip.Operation{kmip14.OperationGet}, Objects: []string{k1}}, // another object
		{Operations: []kmip.Operation{kmip14.OperationDestroy}, Objects: []string{k0}},
		{Operations: []kmip.Operation{kmip14.OperationGet}}, // every object
	} {
		_, err := sub(r)
		wantReason(t, err, kmip.ReasonNotAuthorized)
	}
	resp, err := sub(kmip.Right{Operations: []kmip.Operation{kmip14.OperationGetAttributes}, Objects: []string{k0}})
	if err != nil {
		t.Fatal(err)
	}
	child := resp.(*kmip.LoginResponse).Ticket
	if _, err := h.withTicket(nil, alice, &child, &kmip.GetAttributesRequest{UniqueIdentifier: k0}); err != nil {
		t.Fatal(err)
	}
	_, err = h.withTicket(nil, alice, &child, &kmip.GetRequest{UniqueIdentifier: k0})
	wantReason(t, err, kmip.ReasonNotAuthorized)
	// The child asked for the server's full lease, and ends with its parent.
	h.now = h.now.Add(time.Minute)
	_, err = h.withTicket(nil, alice, &child, &kmip.GetAttributesRequest{UniqueIdentifier: k0})
	wantReason(t, err, kmip.ReasonInvalidTicket)
}

func TestDelegatedLoginBoundsItsRights(t *testing.T) {
	h := newHarness(t)
	many := make([]kmip.Right, maxRights+1)
	for i := range many {
		many[i] = kmip.Right{Operations: []kmip.Operation{kmip14.OperationQuery}}
	}
	_, err := h.do(kmip.V2_0, alice, &kmip.DelegatedLoginRequest{Rights: many})
	wantReason(t, err, kmip.ReasonInvalidField)
	ids := make([]string, maxRightEntries+1)
	for i := range ids {
		ids[i] = fmt.Sprint("id-", i)
	}
	_, err = h.do(kmip.V2_0, alice, &kmip.DelegatedLoginRequest{Rights: []kmip.Right{{Objects: ids}}})
	wantReason(t, err, kmip.ReasonInvalidField)
}

// TestTicketRightsHoldForEveryObjectAnItemUses: the Rights of a ticket hold
// for the objects an item uses besides the one it names, such as the key
// a Get wraps under.
func TestTicketRightsHoldForEveryObjectAnItemUses(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_0
	kek := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskWrap,
		kmip.Attribute{Name: kmip.AttrCryptographicParameters, Value: kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeNISTKeyWrap}})
	key := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec)
	wrapped := &kmip.GetRequest{UniqueIdentifier: key, KeyWrapping: true, KeyWrappingSpecification: wrapSpec(kek, 0)}
	get := []kmip.Operation{kmip14.OperationGet}

	keyOnly := h.login(alice, &kmip.DelegatedLoginRequest{Rights: []kmip.Right{{Operations: get, Objects: []string{key}}}})
	if _, err := h.withTicket(nil, alice, keyOnly, &kmip.GetRequest{UniqueIdentifier: key}); err != nil {
		t.Fatal(err)
	}
	_, err := h.withTicket(nil, alice, keyOnly, wrapped)
	wantReason(t, err, kmip.ReasonNotAuthorized)

	both := h.login(alice, &kmip.DelegatedLoginRequest{Rights: []kmip.Right{{Operations: get, Objects: []string{key, kek}}}})
	resp, err := h.withTicket(nil, alice, both, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	if !resp.(*kmip.GetResponse).Object.KeyBlock.Wrapped {
		t.Fatal("Get under the ticket returned the key unwrapped")
	}
}

// TestLogoutEndsTheTicketForTheRestOfItsMessage: the items after a Logout
// in the message that presents the ticket are Invalid Ticket.
func TestLogoutEndsTheTicketForTheRestOfItsMessage(t *testing.T) {
	h := newHarness(t)
	tk := h.login(alice, &kmip.LoginRequest{RequestCount: 1})
	hdr := &kmip.RequestHeader{Version: kmip.V2_0, Credential: &kmip.Credential{Type: kmip.CredentialTypeTicket, Ticket: tk}}
	state := &kmip.BatchState{}
	serve := func(payload any) error {
		op, _ := kmip.OperationOf(payload)
		_, err := h.svc.ServeKMIP(context.Background(), &kmip.Request{
			Version: kmip.V2_0, Operation: op, Payload: payload, Header: hdr, Peer: &kmip.Peer{Identity: alice}, Batch: state,
		})
		return err
	}
	// One message counts once against the Request Count of 1.
	if err := serve(queryOps); err != nil {
		t.Fatal(err)
	}
	if err := serve(&kmip.LogoutRequest{}); err != nil {
		t.Fatal(err)
	}
	wantReason(t, serve(queryOps), kmip.ReasonInvalidTicket)
}
