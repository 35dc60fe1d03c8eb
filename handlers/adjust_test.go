package handlers

import (
	"math"
	"math/big"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// adjustOK adjusts id's attribute name and returns its new value.
func (h *harness) adjustOK(id, name string, t kmip.AdjustmentType, amount any) any {
	h.t.Helper()
	resp := h.must(kmip.V2_1, alice, &kmip.AdjustAttributeRequest{UniqueIdentifier: id, AttributeName: name, AdjustmentType: t, Value: amount})
	if got := resp.(*kmip.AdjustAttributeResponse).UniqueIdentifier; got != id {
		h.t.Fatalf("Adjust Attribute answered %q, want %q", got, id)
	}
	return h.attrs(kmip.V2_1, alice, id, name).Get(name)
}

func TestAdjustAttribute(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	activation := h.now.Add(24 * time.Hour)
	id := h.createAES(v, alice, 128,
		kmip.Attribute{Name: "x-Count", Value: int32(5)},
		kmip.Attribute{Name: "x-Total", Value: int64(1) << 40},
		kmip.Attribute{Name: "x-Period", Value: time.Hour},
		kmip.Attribute{Name: kmip.AttrActivationDate, Value: activation})

	steps := []struct {
		name   string
		t      kmip.AdjustmentType
		amount any
		want   any
	}{
		{"x-Count", kmip.AdjustIncrement, int32(3), int32(8)},
		{"x-Count", kmip.AdjustDecrement, int64(10), int32(-2)},
		{"x-Count", kmip.AdjustNegate, nil, int32(2)},
		{"x-Count", kmip.AdjustIncrement, big.NewInt(40), int32(42)},
		{"x-Total", kmip.AdjustIncrement, int32(1), int64(1)<<40 + 1},
		{"x-Total", kmip.AdjustNegate, nil, -(int64(1)<<40 + 1)},
		{"x-Period", kmip.AdjustIncrement, 90 * time.Second, time.Hour + 90*time.Second},
		{"x-Period", kmip.AdjustDecrement, int32(3600), 90 * time.Second},
		{kmip.AttrActivationDate, kmip.AdjustIncrement, time.Hour, activation.Add(time.Hour)},
		{kmip.AttrActivationDate, kmip.AdjustDecrement, int64(7200), activation.Add(-time.Hour)},
	}
	for _, s := range steps {
		h.now = h.now.Add(time.Second)
		if got := h.adjustOK(id, s.name, s.t, s.amount); got != s.want {
			t.Errorf("%v %s by %v: %v (%T), want %v (%T)", s.t, s.name, s.amount, got, got, s.want, s.want)
		}
		if last := h.attrs(v, alice, id, kmip.AttrLastChangeDate).Time(kmip.AttrLastChangeDate); !last.Equal(h.now) {
			t.Errorf("Last Change Date %v after the adjustment at %v", last, h.now)
		}
	}

	// Moving the Activation Date into the past activates the key, as
	// setting it would.
	h.adjustOK(id, kmip.AttrActivationDate, kmip.AdjustDecrement, 48*time.Hour)
	if st := h.state(alice, id); st != kmip14.StateActive {
		t.Errorf("State %v after moving the Activation Date into the past, want Active", st)
	}
}

func TestAdjustAttributeRefusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_1
	id := h.createAES(v, alice, 128,
		kmip.Attribute{Name: "x-Count", Value: int32(math.MaxInt32)},
		kmip.Attribute{Name: "x-Total", Value: int64(math.MinInt64)},
		kmip.Attribute{Name: "x-Period", Value: time.Minute},
		kmip.Attribute{Name: "x-Note", Value: "text"},
		kmip.Attribute{Name: "x-Tag", Value: int32(1)},
		kmip.Attribute{Name: kmip.AttrDeactivationDate, Value: h.now.Add(time.Hour)})
	h.must(v, alice, &kmip.AddAttributeRequest{UniqueIdentifier: id, Attribute: kmip.Attribute{Name: "x-Tag", Value: int32(2)}})
	active := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec)
	bobs := h.createAES(v, bob, 128, kmip.Attribute{Name: "x-Count", Value: int32(1)})

	cases := []struct {
		what   string
		id     string
		name   string
		t      kmip.AdjustmentType
		amount any
		reason kmip.ResultReason
	}{
		{"Integer overflow", id, "x-Count", kmip.AdjustIncrement, int32(1), kmip.ReasonNumericRange},
		{"Long Integer negation overflow", id, "x-Total", kmip.AdjustNegate, nil, kmip.ReasonNumericRange},
		{"Big Integer beyond Long", id, "x-Count", kmip.AdjustDecrement, new(big.Int).Lsh(big.NewInt(1), 80), kmip.ReasonNumericRange},
		{"negative Interval", id, "x-Period", kmip.AdjustNegate, nil, kmip.ReasonNumericRange},
		{"negated date", id, kmip.AttrDeactivationDate, kmip.AdjustNegate, nil, kmip.ReasonIllegalOperation},
		{"Text String", id, "x-Note", kmip.AdjustIncrement, int32(1), kmip.ReasonInvalidDataType},
		{"several instances", id, "x-Tag", kmip.AdjustIncrement, int32(1), kmip.ReasonMultiValuedAttribute},
		{"absent attribute", id, "x-None", kmip.AdjustIncrement, int32(1), kmip.ReasonAttributeNotFound},
		{"no value", id, "x-Count", kmip.AdjustDecrement, nil, kmip.ReasonMissingData},
		{"unknown type", id, "x-Count", 9, int32(1), kmip.ReasonInvalidField},
		{"fixed after creation", id, kmip.AttrCryptographicLength, kmip.AdjustIncrement, int32(8), kmip.ReasonAttributeReadOnly},
		{"server-only", id, kmip.AttrInitialDate, kmip.AdjustIncrement, time.Hour, kmip.ReasonAttributeReadOnly},
		{"Activation Date of an Active key", active, kmip.AttrActivationDate, kmip.AdjustIncrement, time.Hour, kmip.ReasonWrongKeyLifecycleState},
		{"another owner's object", bobs, "x-Count", kmip.AdjustIncrement, int32(1), kmip.ReasonObjectNotFound},
	}
	for _, c := range cases {
		before := h.attrs(v, alice, id)
		_, err := h.do(v, alice, &kmip.AdjustAttributeRequest{UniqueIdentifier: c.id, AttributeName: c.name, AdjustmentType: c.t, Value: c.amount})
		t.Run(c.what, func(t *testing.T) { wantReason(t, err, c.reason) })
		if after := h.attrs(v, alice, id); len(after) != len(before) || after.Get("x-Count") != before.Get("x-Count") {
			t.Errorf("%s: a refused adjustment changed the object", c.what)
		}
	}
	if got := h.attrs(v, bob, bobs, "x-Count").Get("x-Count"); got != int32(1) {
		t.Errorf("bob's x-Count is %v after alice's attempt, want 1", got)
	}

	// KMIP 1.x has no Adjust Attribute.
	_, err := h.do(kmip.V1_4, alice, &kmip.AdjustAttributeRequest{UniqueIdentifier: id, AttributeName: "x-Count", AdjustmentType: kmip.AdjustNegate})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonOperationNotSupported)
}
