package handlers

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// registerMetadataOnly registers, as who in v, a key of type t whose Key
// Block has no Key Value, with extra attributes.
func (h *harness) registerMetadataOnly(v kmip.Version, who string, t kmip.ObjectType, kb kmip.KeyBlock, extra ...kmip.Attribute) (string, error) {
	kb.NoValue = true
	attrs := append(kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec | int32(kmip14.CryptographicUsageMaskSign)}}, extra...)
	resp, err := h.do(v, who, &kmip.RegisterRequest{ObjectType: t, Attributes: attrs, Object: kmip.Object{Type: t, KeyBlock: &kb}})
	if err != nil {
		return "", err
	}
	return resp.(*kmip.RegisterResponse).UniqueIdentifier, nil
}

// TestMetadataOnlyObjects: an object registered without its Key Value
// (KMIP 1.2+, conformance cases TC-MDO-1-20 to -3-20) is kept as
// metadata, with Key Value Present false and no Digest; Get returns its
// Key Block as registered; whatever needs the value fails with Key Value
// Not Present, with both crypto modules.
func TestMetadataOnlyObjects(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		v := kmip.V2_0
		aes := kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128}
		id, err := h.registerMetadataOnly(v, alice, kmip14.ObjectTypeSymmetricKey, aes)
		if err != nil {
			t.Fatal(err)
		}
		got := h.attrs(v, alice, id)
		if p, ok := got.Get(kmip.AttrKeyValuePresent).(bool); !ok || p {
			t.Fatalf("Key Value Present %v", got.Get(kmip.AttrKeyValuePresent))
		}
		if got.Has(kmip.AttrDigest) {
			t.Fatal("a Digest of no value")
		}
		withValue := h.createAES(v, alice, 128)
		if h.attrs(v, alice, withValue).Has(kmip.AttrKeyValuePresent) {
			t.Fatal("an object with its value has Key Value Present")
		}

		kb, err := h.get(v, id, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !kb.NoValue || len(kb.Material) != 0 || kb.Algorithm != aes.Algorithm || kb.Length != aes.Length || kb.FormatType != aes.FormatType {
			t.Fatalf("Get: %+v", kb)
		}
		if kb, err = h.get(v, id, kmip14.KeyFormatTypeRaw); err != nil || !kb.NoValue {
			t.Fatalf("Get as registered: %+v, %v", kb, err)
		}
		_, err = h.get(v, id, kmip14.KeyFormatTypeTransparentSymmetricKey)
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)
		kek := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, int32(kmip14.CryptographicUsageMaskWrapKey))
		_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrappingSpecification: &kmip.KeyWrappingSpecification{
			WrappingMethod: kmip14.WrappingMethodEncrypt, EncryptionKeyInformation: &kmip.KeyInformation{UniqueIdentifier: kek},
		}})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)
		// KMIP 1.1's Key Block cannot leave its Key Value out.
		_, err = h.do(kmip.V1_1, alice, &kmip.GetRequest{UniqueIdentifier: id})
		wantSentIn(t, kmip.V1_1, err, kmip.ReasonFeatureNotSupported)

		// What needs the value.
		h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: id})
		_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Data: []byte("data")})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)
		_, err = h.do(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: id})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)
		_, err = h.do(v, alice, &kmip.CreateSplitKeyRequest{ObjectType: kmip14.ObjectTypeSplitKey, UniqueIdentifier: id,
			SplitKeyParts: 2, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodXOR})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)
		_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: withValue, KeyWrappingSpecification: &kmip.KeyWrappingSpecification{
			WrappingMethod: kmip14.WrappingMethodEncrypt, EncryptionKeyInformation: &kmip.KeyInformation{UniqueIdentifier: id},
		}})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)

		rsa := kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_8, Algorithm: kmip14.CryptographicAlgorithmRSA, Length: 2048}
		priv, err := h.registerMetadataOnly(v, alice, kmip14.ObjectTypePrivateKey, rsa)
		if err != nil {
			t.Fatal(err)
		}
		h.must(v, alice, &kmip.ActivateRequest{UniqueIdentifier: priv})
		_, err = h.do(v, alice, &kmip.SignRequest{UniqueIdentifier: priv, Data: []byte("data")})
		wantReason(t, err, kmip.ReasonKeyValueNotPresent)

		// Locate finds the client's own metadata-only objects, not another's.
		if _, err := h.registerMetadataOnly(v, bob, kmip14.ObjectTypeSymmetricKey, aes); err != nil {
			t.Fatal(err)
		}
		found := h.locate(v, alice, &kmip.LocateRequest{Attributes: kmip.Attributes{{Name: kmip.AttrKeyValuePresent, Value: false}}}).UniqueIdentifiers
		if len(found) != 2 || !(found[0] == id && found[1] == priv || found[0] == priv && found[1] == id) {
			t.Fatalf("Locate Key Value Present false: %v, want %s and %s", found, id, priv)
		}
		// Destroy works as for any object.
		h.must(v, alice, &kmip.RevokeRequest{UniqueIdentifier: id, Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
		h.must(v, alice, &kmip.DestroyRequest{UniqueIdentifier: id})
	})
}

// TestMetadataOnlyRefusals: only Symmetric Keys, Private Keys, Split Keys
// and Secret Data may come without a Key Value (KMIP 1.4 section 3.41),
// a Symmetric Key still needs an algorithm and length the server knows,
// and Key Value Present is the server's to set.
func TestMetadataOnlyRefusals(t *testing.T) {
	h := newHarness(t)
	v := kmip.V2_0
	_, err := h.registerMetadataOnly(v, alice, kmip14.ObjectTypePublicKey, kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeX_509, Algorithm: kmip14.CryptographicAlgorithmRSA, Length: 2048})
	wantReason(t, err, kmip.ReasonMissingData)
	_, err = h.registerMetadataOnly(v, alice, kmip14.ObjectTypeSymmetricKey, kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Algorithm: kmip14.CryptographicAlgorithmAES})
	wantReason(t, err, kmip.ReasonInvalidField)
	_, err = h.registerMetadataOnly(v, alice, kmip14.ObjectTypeSymmetricKey, kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128},
		kmip.Attribute{Name: kmip.AttrKeyValuePresent, Value: false})
	wantReason(t, err, kmip.ReasonAttributeReadOnly)
	_, err = h.registerMetadataOnly(v, alice, kmip14.ObjectTypeSymmetricKey, kmip.KeyBlock{FormatType: kmip14.KeyFormatTypePKCS_8, Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128})
	wantReason(t, err, kmip.ReasonKeyFormatTypeNotSupported)
}
