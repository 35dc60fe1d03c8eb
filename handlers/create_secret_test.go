package handlers

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestCreateSecretData: KMIP 2.x Create generates Secret Data of the
// Cryptographic Length asked (2.0 section 6.1.7); 1.x Create makes
// symmetric keys only, and a length out of bounds is refused.
func TestCreateSecretData(t *testing.T) {
	h := newHarness(t)
	length := func(n int32) kmip.Attributes {
		return kmip.Attributes{{Name: kmip.AttrCryptographicLength, Value: n}}
	}
	created := h.must(kmip.V2_0, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: length(80)}).(*kmip.CreateResponse)
	if created.ObjectType != kmip14.ObjectTypeSecretData {
		t.Fatalf("created %v", created.ObjectType)
	}
	got := h.must(kmip.V2_0, alice, &kmip.GetRequest{UniqueIdentifier: created.UniqueIdentifier}).(*kmip.GetResponse)
	if got.Object.KeyBlock == nil || len(got.Object.KeyBlock.Material) != 10 || got.Object.SecretDataType != kmip14.SecretDataTypePassword ||
		got.Object.KeyBlock.FormatType != kmip14.KeyFormatTypeOpaque {
		t.Fatalf("Get: %+v", got.Object)
	}
	other := h.must(kmip.V2_0, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: length(80)}).(*kmip.CreateResponse)
	again := h.must(kmip.V2_0, alice, &kmip.GetRequest{UniqueIdentifier: other.UniqueIdentifier}).(*kmip.GetResponse)
	if string(again.Object.KeyBlock.Material) == string(got.Object.KeyBlock.Material) {
		t.Fatal("two Secret Data created with the same content")
	}
	for _, n := range []int32{0, 7, 12, maxSecretDataBits + 8} {
		_, err := h.do(kmip.V2_0, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: length(n)})
		wantReason(t, err, kmip.ReasonInvalidField)
	}
	_, err := h.do(kmip.V1_4, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSecretData, Attributes: length(80)})
	wantReason(t, err, kmip.ReasonInvalidObjectType)
}
