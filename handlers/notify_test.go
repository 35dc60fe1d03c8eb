package handlers

import (
	"slices"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"

	"github.com/kmipd/kmipd/kmip"
)

// TestDeliversTo checks who receives what: Put and lifecycle changes every
// endpoint of the owner, other changes only those of other identities.
func TestDeliversTo(t *testing.T) {
	put := Event{Kind: EventPut, Owner: alice, Actor: alice}
	state := Event{Kind: EventNotify, Owner: alice, Actor: alice, Lifecycle: true}
	own := Event{Kind: EventNotify, Owner: alice, Actor: alice}
	others := Event{Kind: EventNotify, Owner: alice, Actor: "CN=admin"}
	for _, c := range []struct {
		ev   Event
		to   string
		want bool
	}{
		{put, alice, true}, {put, bob, false},
		{state, alice, true}, {own, alice, false},
		{others, alice, true}, {others, bob, false},
	} {
		if got := c.ev.DeliversTo(c.to); got != c.want {
			t.Errorf("%+v to %s: %v, want %v", c.ev, c.to, got, c.want)
		}
	}
}

func TestNotifiedAttributeChanges(t *testing.T) {
	before := kmip.Attributes{
		{Name: kmip.AttrState, Value: kmip14.StateActive},
		{Name: kmip.AttrName, Value: kmip.Name{Value: "a"}},
		{Name: kmip.AttrName, Index: 1, Value: kmip.Name{Value: "b"}},
		{Name: kmip.AttrContactInformation, Value: "ops"},
	}
	after := kmip.Attributes{
		{Name: kmip.AttrState, Value: kmip14.StateActive},
		{Name: kmip.AttrName, Value: kmip.Name{Value: "a"}},
		{Name: kmip.AttrName, Index: 1, Value: kmip.Name{Value: "c"}},
		{Name: kmip.AttrObjectGroup, Value: "g"},
	}
	changed, deleted := attributeChanges(before, after)
	want := kmip.Attributes{after[1], after[2], after[3]}
	if !slices.EqualFunc(changed, want, func(a, b kmip.Attribute) bool { return a.Name == b.Name && a.Index == b.Index && a.Value == b.Value }) {
		t.Errorf("changed %v, want %v", changed, want)
	}
	if !slices.Equal(deleted, []string{kmip.AttrContactInformation}) {
		t.Errorf("deleted %v", deleted)
	}
}

// TestPushOperationsFromClientRefused: a client may not push to the
// server; Notify and Put sent to kmipd are Operation Not Supported.
func TestPushOperationsFromClientRefused(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V2_1} {
		_, err := h.do(v, alice, &kmip.NotifyRequest{UniqueIdentifier: "x"})
		wantReason(t, err, kmip.ReasonOperationNotSupported)
		_, err = h.do(v, alice, &kmip.PutRequest{UniqueIdentifier: "x", PutFunction: kmip14.PutFunctionNew})
		wantReason(t, err, kmip.ReasonOperationNotSupported)
	}
	ops := h.must(kmip.V2_1, alice, &kmip.QueryRequest{Functions: []kmip.QueryFunction{kmip14.QueryFunctionQueryOperations}}).(*kmip.QueryResponse).Operations
	if !slices.Contains(ops, kmip14.OperationNotify) || !slices.Contains(ops, kmip14.OperationPut) || !slices.Contains(ops, kmip.OperationSetEndpointRole) {
		t.Errorf("Query lists %v, without Notify, Put or Set Endpoint Role", ops)
	}
}

func TestSetEndpointRole(t *testing.T) {
	h := newHarness(t)
	resp := h.must(kmip.V2_1, alice, &kmip.SetEndpointRoleRequest{Role: kmip20.EndpointRoleServer})
	if r := resp.(*kmip.SetEndpointRoleResponse); r.Role != kmip20.EndpointRoleServer {
		t.Errorf("role %v", r.Role)
	}
	_, err := h.do(kmip.V2_1, alice, &kmip.SetEndpointRoleRequest{Role: kmip20.EndpointRoleClient})
	wantReason(t, err, kmip.ReasonOperationNotSupported)
	_, err = h.do(kmip.V2_1, alice, &kmip.SetEndpointRoleRequest{Role: 9})
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.do(kmip.V1_4, alice, &kmip.SetEndpointRoleRequest{Role: kmip20.EndpointRoleServer})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
}
