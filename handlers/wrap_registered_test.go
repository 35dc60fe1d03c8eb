package handlers

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// RFC 3394 section 4.1: a 128-bit key wrapped with a 128-bit KEK.
var (
	rfc3394KEK     = unhexString("000102030405060708090A0B0C0D0E0F")
	rfc3394Key     = unhexString("00112233445566778899AABBCCDDEEFF")
	rfc3394Wrapped = unhexString("1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
)

func unhexString(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// registerKey registers an Active AES key of material with mask.
func (h *harness) registerAESKey(v kmip.Version, material []byte, mask int32) string {
	h.t.Helper()
	id := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: mask}, {Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)}},
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: material,
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(8 * len(material))}}}).(*kmip.RegisterResponse).UniqueIdentifier
	return id
}

// wrappedBlock is the RFC 3394 key wrapped under kek, as a client registers
// it (conformance case TC-WRAP-1).
func wrappedBlock(kek string) *kmip.KeyBlock {
	return &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: bytes.Clone(rfc3394Wrapped),
		Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128, Wrapped: true,
		WrappingData: &kmip.KeyWrappingData{WrappingMethod: kmip14.WrappingMethodEncrypt,
			EncryptionKeyInformation: &kmip.KeyInformation{UniqueIdentifier: kek,
				CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeNISTKeyWrap}},
			EncodingOption: kmip14.EncodingOptionNoEncoding}}
}

// TestRegisterWrapped registers a key wrapped under a registered KEK and
// gets it back as registered, unwrapped (Key Wrap Type Not Wrapped) and
// wrapped anew; no cryptographic operation uses it.
func TestRegisterWrapped(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_1} {
			kek := h.registerAESKey(v, rfc3394KEK, int32(kmip14.CryptographicUsageMaskWrapKey|kmip14.CryptographicUsageMaskUnwrapKey))
			registered := wrappedBlock(kek)
			if v == kmip.V1_0 {
				registered.WrappingData.EncodingOption = 0 // 1.1's
			}
			id := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
				Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}, {Name: kmip.AttrActivationDate, Value: h.now.Add(-time.Hour)}},
				Object:     kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: registered}}).(*kmip.RegisterResponse).UniqueIdentifier

			// As registered: the same block, wrapping data and all.
			asRegistered := []*kmip.GetRequest{{UniqueIdentifier: id}, {UniqueIdentifier: id, KeyFormatType: kmip14.KeyFormatTypeRaw}}
			if v.AtLeast(kmip.V1_4) {
				asRegistered = append(asRegistered, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: kmip14.KeyWrapTypeAsRegistered})
			}
			for _, get := range asRegistered {
				kb := h.must(v, alice, get).(*kmip.GetResponse).Object.KeyBlock
				if !reflect.DeepEqual(kb, registered) {
					t.Fatalf("%v Get %+v:\n got %+v %+v\nwant %+v %+v", v, get, kb, kb.WrappingData, registered, registered.WrappingData)
				}
			}
			if got := h.attrs(v, alice, id, kmip.AttrCryptographicLength).Get(kmip.AttrCryptographicLength); got != int32(128) {
				t.Fatalf("%v: Cryptographic Length %v", v, got)
			}
			_, err := h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyFormatType: kmip14.KeyFormatTypeTransparentSymmetricKey})
			wantSentIn(t, v, err, kmip.ReasonKeyFormatTypeNotSupported)
			_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapping: true, KeyWrappingSpecification: wrapSpec(kek, kmip14.BlockCipherModeNISTKeyWrap)})
			wantSent(t, v, err, kmip.ReasonFeatureNotSupported, kmip.ReasonKeyWrapTypeNotSupported)

			// No operation unwraps it.
			_, err = h.do(v, alice, &kmip.EncryptRequest{UniqueIdentifier: id, Data: make([]byte, 16), Parameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeECB}})
			if v.AtLeast(kmip.V1_2) {
				wantSentIn(t, v, err, kmip.ReasonCryptographicFailure)
			}

			if !v.AtLeast(kmip.V1_4) {
				continue // Key Wrap Type is 1.4's
			}
			// Not Wrapped: unwrapped with the KEK its wrapping data names.
			kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: kmip14.KeyWrapTypeNotWrapped}).(*kmip.GetResponse).Object.KeyBlock
			if kb.Wrapped || kb.WrappingData != nil || !bytes.Equal(kb.Material, rfc3394Key) || kb.Length != 128 {
				t.Fatalf("%v: unwrapped block %+v", v, kb)
			}
			// Not Wrapped, then wrapped again under the same KEK: the RFC's
			// bytes again.
			kb = h.getWrappedAs(t, v, id, kmip14.KeyWrapTypeNotWrapped, wrapSpec(kek, kmip14.BlockCipherModeNISTKeyWrap))
			if !bytes.Equal(kb.Material, rfc3394Wrapped) {
				t.Fatalf("%v: wrapped anew %x", v, kb.Material)
			}
			// Unwrapping needs the Unwrap Key bit of the KEK.
			wrapOnly := h.registerAESKey(v, rfc3394KEK, maskWrap)
			other := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
				Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: wrappedBlock(wrapOnly)}}).(*kmip.RegisterResponse).UniqueIdentifier
			_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: other, KeyWrapType: kmip14.KeyWrapTypeNotWrapped})
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)
			// A client may register a key naming any KEK, but unwraps only
			// with its own: another client's is not found.
			bobs := h.must(v, bob, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
				Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: wrappedBlock(kek)}}).(*kmip.RegisterResponse).UniqueIdentifier
			_, err = h.do(v, bob, &kmip.GetRequest{UniqueIdentifier: bobs, KeyWrapType: kmip14.KeyWrapTypeNotWrapped})
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
		}
	})
}

// getWrappedAs gets id with Key Wrap Type wt and spec, and returns the key
// block, wrapped as spec says.
func (h *harness) getWrappedAs(t *testing.T, v kmip.Version, id string, wt kmip.KeyWrapType, spec *kmip.KeyWrappingSpecification) *kmip.KeyBlock {
	t.Helper()
	kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: wt, KeyWrapping: true, KeyWrappingSpecification: spec}).(*kmip.GetResponse).Object.KeyBlock
	if !kb.Wrapped || kb.WrappingData == nil || kb.WrappingData.EncryptionKeyInformation.UniqueIdentifier != spec.EncryptionKeyInformation.UniqueIdentifier {
		t.Fatalf("%v: not wrapped as asked: %+v", v, kb)
	}
	return kb
}

// TestRegisterWrappedRefusals checks the Register of malformed wrapped
// key blocks.
func TestRegisterWrappedRefusals(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		register := func(t kmip.ObjectType, kb *kmip.KeyBlock) error {
			obj := kmip.Object{Type: t, KeyBlock: kb}
			if t == kmip14.ObjectTypeSplitKey {
				obj.SplitKeyParts, obj.KeyPartIdentifier, obj.SplitKeyThreshold, obj.SplitKeyMethod = 2, 1, 2, kmip14.SplitKeyMethodXOR
			}
			_, err := h.do(v, alice, &kmip.RegisterRequest{ObjectType: t, Object: obj})
			return err
		}
		noKeyInfo := wrappedBlock("kek")
		noKeyInfo.WrappingData.EncryptionKeyInformation = nil
		wantSentIn(t, v, register(kmip14.ObjectTypeSymmetricKey, noKeyInfo), kmip.ReasonInvalidField)
		macNoKey := wrappedBlock("kek")
		macNoKey.WrappingData.WrappingMethod = kmip14.WrappingMethodEncryptThenMACSign
		wantSentIn(t, v, register(kmip14.ObjectTypeSymmetricKey, macNoKey), kmip.ReasonInvalidField)
		badLength := wrappedBlock("kek")
		badLength.Length = 100
		wantSentIn(t, v, register(kmip14.ObjectTypeSymmetricKey, badLength), kmip.ReasonInvalidField)
		empty := wrappedBlock("kek")
		empty.Material = nil
		empty.Transparent = &kmip.TransparentKey{}
		wantSentIn(t, v, register(kmip14.ObjectTypeSymmetricKey, empty), kmip.ReasonInvalidField)
		wantSent(t, v, register(kmip14.ObjectTypeSplitKey, wrappedBlock("kek")), kmip.ReasonFeatureNotSupported, kmip.ReasonKeyWrapTypeNotSupported)
	}
}
