package handlers

import (
	"context"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

func TestCountObjects(t *testing.T) {
	h := newHarness(t)
	a := h.createAES(kmip.V1_4, alice, 128)
	h.createAES(kmip.V1_4, alice, 128)
	b := h.createAES(kmip.V2_1, bob, 256)
	h.must(kmip.V1_4, alice, &kmip.ActivateRequest{UniqueIdentifier: a})
	h.must(kmip.V2_1, bob, &kmip.DestroyRequest{UniqueIdentifier: b})
	h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
		Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
		KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("s3cret")},
	}})

	got, err := CountObjects(context.Background(), h.store)
	if err != nil {
		t.Fatal(err)
	}
	sym := kmip14.ObjectTypeSymmetricKey
	want := map[ObjectKind]int{
		{sym, kmip14.StateActive}:                            1,
		{sym, kmip14.StatePreActive}:                         1,
		{sym, kmip14.StateDestroyed}:                         1,
		{kmip14.ObjectTypeSecretData, kmip14.StatePreActive}: 1,
	}
	if len(got) != len(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v %v: %d, want %d", k.Type, k.State, got[k], n)
		}
	}
}
