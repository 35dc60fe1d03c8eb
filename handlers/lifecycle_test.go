package handlers

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// toState brings a new AES key of alice into state st through operations.
func (h *harness) toState(st kmip.State) string {
	h.t.Helper()
	id := h.createAES(kmip.V2_1, alice, 128)
	activate := func() { h.must(kmip.V2_1, alice, &kmip.ActivateRequest{UniqueIdentifier: id}) }
	revoke := func(code kmip.RevocationReasonCode) {
		h.must(kmip.V2_1, alice, &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: code}})
	}
	destroy := func() { h.must(kmip.V2_1, alice, &kmip.DestroyRequest{UniqueIdentifier: id}) }
	switch st {
	case kmip14.StateActive:
		activate()
	case kmip14.StateDeactivated:
		activate()
		revoke(kmip14.RevocationReasonCodeCessationOfOperation)
	case kmip14.StateCompromised:
		revoke(kmip14.RevocationReasonCodeKeyCompromise)
	case kmip14.StateDestroyed:
		destroy()
	case kmip14.StateDestroyedCompromised:
		revoke(kmip14.RevocationReasonCodeKeyCompromise)
		destroy()
	}
	if got := h.state(alice, id); got != st {
		h.t.Fatalf("setup: state %v, want %v", got, st)
	}
	return id
}

func TestLifecycleTable(t *testing.T) {
	const (
		preActive   = kmip14.StatePreActive
		active      = kmip14.StateActive
		deactivated = kmip14.StateDeactivated
		compromised = kmip14.StateCompromised
		destroyed   = kmip14.StateDestroyed
		destroyedC  = kmip14.StateDestroyedCompromised
	)
	type op int
	const (
		activate op = iota
		revokeOther
		revokeCompromise
		destroy
	)
	names := []string{"Activate", "Revoke(cessation)", "Revoke(key compromise)", "Destroy"}
	// next[from][op] is the resulting state; absent means refused.
	next := map[kmip.State]map[op]kmip.State{
		preActive:   {activate: active, revokeCompromise: compromised, destroy: destroyed},
		active:      {revokeOther: deactivated, revokeCompromise: compromised},
		deactivated: {revokeCompromise: compromised, destroy: destroyed},
		compromised: {destroy: destroyedC},
		destroyed:   {revokeCompromise: destroyedC},
		destroyedC:  {},
	}
	h := newHarness(t)
	for from, allowed := range next {
		for o := activate; o <= destroy; o++ {
			for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
				id := h.toState(from)
				var payload any
				switch o {
				case activate:
					payload = &kmip.ActivateRequest{UniqueIdentifier: id}
				case revokeOther:
					payload = &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}}
				case revokeCompromise:
					payload = &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeKeyCompromise}}
				case destroy:
					payload = &kmip.DestroyRequest{UniqueIdentifier: id}
				}
				h.now = h.now.Add(1e9)
				_, err := h.do(v, alice, payload)
				want, ok := allowed[o]
				if !ok {
					wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
					if got := h.state(alice, id); got != from {
						t.Fatalf("%v %s refused but state became %v", from, names[o], got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("%v: %s from %v: %v", v, names[o], from, err)
				}
				attrs := h.attrs(kmip.V2_1, alice, id)
				if got := stateOf(attrs); got != want {
					t.Fatalf("%s from %v: state %v, want %v", names[o], from, got, want)
				}
				if attrs.Time(kmip.AttrLastChangeDate) != h.now {
					t.Fatalf("%s from %v: Last Change Date not updated", names[o], from)
				}
				switch o {
				case activate:
					if attrs.Time(kmip.AttrActivationDate) != h.now {
						t.Fatal("Activation Date not set")
					}
				case revokeOther:
					if attrs.Time(kmip.AttrDeactivationDate) != h.now || !attrs.Has(kmip.AttrRevocationReason) {
						t.Fatal("Deactivation Date or Revocation Reason not set")
					}
				case revokeCompromise:
					if attrs.Time(kmip.AttrCompromiseDate) != h.now || attrs.Time(kmip.AttrCompromiseOccurrenceDate) != h.now {
						t.Fatal("Compromise dates not set")
					}
				case destroy:
					if attrs.Time(kmip.AttrDestroyDate) != h.now {
						t.Fatal("Destroy Date not set")
					}
				}
			}
		}
	}
}

func TestGetByState(t *testing.T) {
	h := newHarness(t)
	for _, st := range []kmip.State{kmip14.StatePreActive, kmip14.StateActive, kmip14.StateDeactivated, kmip14.StateCompromised} {
		id := h.toState(st)
		h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id})
	}
	id := h.toState(kmip14.StateDestroyed)
	_, err := h.do(kmip.V2_1, alice, &kmip.GetRequest{UniqueIdentifier: id})
	wantReason(t, err, kmip.ReasonObjectDestroyed)
	_, err = h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonItemNotFound)
	obj, err := h.store.Get(t.Context(), id)
	if err != nil || obj.Material != nil {
		t.Fatalf("destroyed object: material %v, err %v", obj.Material != nil, err)
	}
	// Attributes stay readable (SKLC-O-1).
	if h.attrs(kmip.V1_4, alice, id).Get(kmip.AttrCryptographicLength) == nil {
		t.Fatal("attributes gone after Destroy")
	}
}

func TestActivationDateModification(t *testing.T) {
	h := newHarness(t)
	id := h.createAES(kmip.V1_2, alice, 256)
	// Setting it to now makes the key Active at once (INTEROP quirk 17).
	resp := h.must(kmip.V1_2, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now}})
	if resp.(*kmip.AddAttributeResponse).Attribute.Name != kmip.AttrActivationDate {
		t.Fatal("AddAttribute does not echo the attribute")
	}
	if st := h.state(alice, id); st != kmip14.StateActive {
		t.Fatalf("state %v", st)
	}
	// Once Active it is fixed (SKLC-M-3).
	_, err := h.do(kmip.V1_4, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now}})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	_, err = h.do(kmip.V2_1, alice, &kmip.ModifyAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: kmip.AttrActivationDate, Value: h.now}})
	wantReason(t, err, kmip.ReasonWrongKeyLifecycleState)
}
