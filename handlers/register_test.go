package handlers

import (
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestRegisterKeepsItsPast follows TC-RNG-ATTR-1-20 and TC-MDO-2-20: a
// client registering a key it made gives the Random Number Generator that
// made it and its Original Creation Date (KMIP 1.4 sections 3.43, 3.44),
// which the server keeps; Create, where the server generates the key,
// still refuses both.
func TestRegisterKeepsItsPast(t *testing.T) {
	h := newHarness(t)
	rng := kmip.RNGParameters{RNGAlgorithm: uint32(kmip14.RNGAlgorithmDRBG), CryptographicAlgorithm: kmip14.CryptographicAlgorithmHMAC_SHA1}
	born := time.Date(1970, 1, 1, 10, 42, 0, 0, time.UTC)
	past := kmip.Attributes{
		{Name: kmip.AttrRandomNumberGenerator, Value: rng},
		{Name: kmip.AttrOriginalCreationDate, Value: born},
	}
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_0} {
		id := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
			Attributes: append(kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}}, past...),
			Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
				FormatType: kmip14.KeyFormatTypeRaw, Material: make([]byte, 16), Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128,
			}}}).(*kmip.RegisterResponse).UniqueIdentifier
		got := h.attrs(v, alice, id, kmip.AttrRandomNumberGenerator, kmip.AttrOriginalCreationDate)
		if got.Get(kmip.AttrRandomNumberGenerator) != rng || len(got.All(kmip.AttrOriginalCreationDate)) != 1 || !got.Time(kmip.AttrOriginalCreationDate).Equal(born) {
			t.Fatalf("KMIP %s: registered key's %v", v, got)
		}
		for _, a := range past {
			_, err := h.do(v, alice, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
				{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
				{Name: kmip.AttrCryptographicLength, Value: int32(128)},
				{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}, a,
			}})
			wantSent(t, v, err, kmip.ReasonInvalidField, kmip.ReasonAttributeReadOnly)
		}
	}
}
