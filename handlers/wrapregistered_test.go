package handlers

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestRegisterWrappedKey registers a key wrapped as in RFC 3394's example
// (section 4.1: a 128-bit key wrapped under a 128-bit KEK) and checks that
// Get returns it in the clear by default and Not Wrapped, and the
// registered bytes As Registered; a tampered block, a wrapping key without
// Unwrap Key and a wrapping key of another owner store nothing.
func TestRegisterWrappedKey(t *testing.T) {
	kekBytes := unhexString(t, "000102030405060708090A0B0C0D0E0F")
	plain := unhexString(t, "00112233445566778899AABBCCDDEEFF")
	wrapped := unhexString(t, "1FA68B0A8112B447AEF34BD8FB5A7B829D3E862371D2CFE5")
	for _, v := range []kmip.Version{kmip.V1_0, kmip.V1_4, kmip.V2_0, kmip.V2_1} {
		t.Run(v.String(), func(t *testing.T) {
			h := newHarness(t)
			registerKEK := func(who string, mask int32) string {
				id := h.must(v, who, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
					Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: mask}},
					Object:     rawKey(kekBytes)}).(*kmip.RegisterResponse).UniqueIdentifier
				h.must(v, who, &kmip.ActivateRequest{UniqueIdentifier: id})
				return id
			}
			kek := registerKEK(alice, maskWrapUnwrap)
			register := func(id string, material []byte) (string, error) {
				obj := rawKey(material)
				obj.KeyBlock.Wrapped = true
				obj.KeyBlock.WrappingData = &kmip.KeyWrappingData{WrappingMethod: kmip14.WrappingMethodEncrypt,
					EncryptionKeyInformation: &kmip.KeyInformation{UniqueIdentifier: id,
						CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeNISTKeyWrap}}}
				obj.KeyBlock.Algorithm, obj.KeyBlock.Length = kmip14.CryptographicAlgorithmAES, 128
				resp, err := h.do(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: obj,
					Attributes: kmip.Attributes{
						{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec},
						// A client's record is replaced by the server's.
						{Name: registeredWrappingAttr, Value: "forged"},
					}})
				if err != nil {
					return "", err
				}
				return resp.(*kmip.RegisterResponse).UniqueIdentifier, nil
			}
			id, err := register(kek, wrapped)
			if err != nil {
				t.Fatalf("Register of the wrapped key: %v", err)
			}
			for _, wt := range []kmip.KeyWrapType{0, kmip14.KeyWrapTypeNotWrapped} {
				kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: wt}).(*kmip.GetResponse).Object.KeyBlock
				if kb.Wrapped || !bytes.Equal(kb.Material, plain) {
					t.Fatalf("Get (Key Wrap Type %v): %x wrapped=%v, want %x in the clear", wt, kb.Material, kb.Wrapped, plain)
				}
			}
			kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapType: kmip14.KeyWrapTypeAsRegistered}).(*kmip.GetResponse).Object.KeyBlock
			if wd := kb.WrappingData; !kb.Wrapped || !bytes.Equal(kb.Material, wrapped) || wd == nil ||
				wd.EncryptionKeyInformation == nil || wd.EncryptionKeyInformation.UniqueIdentifier != kek {
				t.Fatalf("Get As Registered: %x %+v, want %x wrapped under %s", kb.Material, kb.WrappingData, wrapped, kek)
			}
			if n := len(h.attrs(v, alice, id, registeredWrappingAttr)); n != 1 {
				t.Fatalf("%d instances of %s", n, registeredWrappingAttr)
			}
			// Its replacement was never registered: it does not take the record.
			newID := h.must(v, alice, &kmip.ReKeyRequest{UniqueIdentifier: id}).(*kmip.ReKeyResponse).UniqueIdentifier
			if h.attrs(v, alice, newID).Has(registeredWrappingAttr) {
				t.Fatalf("the ReKey replacement carries %s", registeredWrappingAttr)
			}
			// A key registered in the clear comes back As Registered in the clear.
			clearID := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey,
				Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: maskEncDec}},
				Object:     rawKey(plain)}).(*kmip.RegisterResponse).UniqueIdentifier
			if kb := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: clearID, KeyWrapType: kmip14.KeyWrapTypeAsRegistered}).(*kmip.GetResponse).Object.KeyBlock; kb.Wrapped {
				t.Fatal("a key registered in the clear came back wrapped")
			}

			count := h.count(v, alice)
			tampered := bytes.Clone(wrapped)
			tampered[5] ^= 1
			_, err = register(kek, tampered)
			wantReason(t, err, kmip.ReasonCryptographicFailure)
			_, err = register(registerKEK(alice, maskWrap), wrapped)
			wantSent(t, v, err, kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)
			_, err = register(registerKEK(bob, maskWrapUnwrap), wrapped)
			wantSent(t, v, err, kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
			if got := h.count(v, alice); got != count+1 { // the wrap-only KEK
				t.Fatalf("%d objects after the refused Registers, want %d", got, count+1)
			}
		})
	}
}

func unhexString(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
