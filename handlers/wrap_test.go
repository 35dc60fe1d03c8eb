package handlers

import (
	"bytes"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

const maskWrap = int32(kmip14.CryptographicUsageMaskWrapKey)

// wrapSpec asks for wrapping under kek with mode (0: the default).
func wrapSpec(kek string, mode kmip.BlockCipherMode) *kmip.KeyWrappingSpecification {
	ki := &kmip.KeyInformation{UniqueIdentifier: kek}
	if mode != 0 {
		ki.CryptographicParameters = &kmip.CryptographicParameters{BlockCipherMode: mode}
	}
	return &kmip.KeyWrappingSpecification{WrappingMethod: kmip14.WrappingMethodEncrypt, EncryptionKeyInformation: ki}
}

// material returns the key block material of object id, in the clear.
func (h *harness) material(v kmip.Version, id string) []byte {
	h.t.Helper()
	return h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse).Object.KeyBlock.Material
}

// getWrapped gets id wrapped as spec says, checks the Key Wrapping Data and
// returns the key block.
func (h *harness) getWrapped(t *testing.T, v kmip.Version, id string, spec *kmip.KeyWrappingSpecification, mode kmip.BlockCipherMode) *kmip.KeyBlock {
	t.Helper()
	resp := h.must(v, alice, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapping: true, KeyWrappingSpecification: spec}).(*kmip.GetResponse)
	kb := resp.Object.KeyBlock
	wd := kb.WrappingData
	if wd == nil || !kb.Wrapped || wd.WrappingMethod != kmip14.WrappingMethodEncrypt || wd.EncryptionKeyInformation == nil ||
		wd.EncryptionKeyInformation.UniqueIdentifier != spec.EncryptionKeyInformation.UniqueIdentifier ||
		wd.EncryptionKeyInformation.CryptographicParameters == nil ||
		wd.EncryptionKeyInformation.CryptographicParameters.BlockCipherMode != mode {
		t.Fatalf("Key Wrapping Data = %+v", wd)
	}
	return kb
}

func TestGetWrapped(t *testing.T) {
	forEachProvider(t, func(t *testing.T, h *harness) {
		for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
			// A wrapping key whose parameters say NIST Key Wrap, as AX-M-2.
			kek := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskWrap,
				kmip.Attribute{Name: kmip.AttrCryptographicParameters, Value: kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeNISTKeyWrap}})
			kekBytes := h.material(v, kek)

			// An Encrypt|Decrypt key (no Export bit) wraps with RFC 3394.
			key := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec)
			plain := h.material(v, key)
			kb := h.getWrapped(t, v, key, wrapSpec(kek, kmip14.BlockCipherModeNISTKeyWrap), kmip14.BlockCipherModeNISTKeyWrap)
			if len(kb.Material) != len(plain)+8 || kb.FormatType != kmip14.KeyFormatTypeRaw ||
				kb.Algorithm != kmip14.CryptographicAlgorithmAES || kb.Length != 256 {
				t.Fatalf("%v: wrapped key block %+v", v, kb)
			}
			got, err := h.svc.crypto.UnwrapKey(kekBytes, hsm.WrapParams{}, kb.Material)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%v: unwrapping the wrapped key: %v", v, err)
			}
			// No mode in the request: the wrapping key's.
			h.getWrapped(t, v, key, wrapSpec(kek, 0), kmip14.BlockCipherModeNISTKeyWrap)

			// 20 bytes of Secret Data: NIST Key Wrap pads (RFC 5649), as
			// does AES Key Wrap Padding.
			secret := bytes.Repeat([]byte{0x3C}, 20)
			sid := h.must(v, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSecretData, Object: kmip.Object{
				Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
				KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: secret}},
				Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskExport)}}}).(*kmip.RegisterResponse).UniqueIdentifier
			for _, mode := range []kmip.BlockCipherMode{kmip14.BlockCipherModeNISTKeyWrap, kmip14.BlockCipherModeAESKeyWrapPadding} {
				kb := h.getWrapped(t, v, sid, wrapSpec(kek, mode), mode)
				got, err := h.svc.crypto.UnwrapKey(kekBytes, hsm.WrapParams{Padding: true}, kb.Material)
				if err != nil || !bytes.Equal(got, secret) {
					t.Fatalf("%v %v: unwrapping the wrapped secret: %v", v, mode, err)
				}
			}

			// A Sensitive key leaves the server wrapped only.
			sensitive := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 128, maskEncDec, kmip.Attribute{Name: kmip.AttrSensitive, Value: true})
			_, err = h.do(v, alice, &kmip.GetRequest{UniqueIdentifier: sensitive})
			wantReason(t, err, kmip.ReasonSensitive)
			h.getWrapped(t, v, sensitive, wrapSpec(kek, 0), kmip14.BlockCipherModeNISTKeyWrap)
		}
	})
}

// createKey creates a Pre-Active AES-256 key of who with usage mask.
func (h *harness) createKey(v kmip.Version, who string, mask int32) string {
	h.t.Helper()
	return h.must(v, who, &kmip.CreateRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Attributes: kmip.Attributes{
		{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		{Name: kmip.AttrCryptographicUsageMask, Value: mask}}}).(*kmip.CreateResponse).UniqueIdentifier
}

func TestGetWrappedRefusals(t *testing.T) {
	h := newHarness(t)
	for _, v := range []kmip.Version{kmip.V1_4, kmip.V2_1} {
		kek := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskWrap)
		key := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec)
		get := func(who, id string, spec *kmip.KeyWrappingSpecification) error {
			_, err := h.do(v, who, &kmip.GetRequest{UniqueIdentifier: id, KeyWrapping: true, KeyWrappingSpecification: spec})
			return err
		}
		wantNotSupported := func(err error) {
			t.Helper()
			wantSent(t, v, err, kmip.ReasonFeatureNotSupported, kmip.ReasonKeyWrapTypeNotSupported)
		}

		// The wrapping key: Pre-Active, without Wrap Key, another's, absent.
		pre := h.createKey(v, alice, maskWrap)
		wantSent(t, v, get(alice, key, wrapSpec(pre, 0)), kmip.ReasonPermissionDenied, kmip.ReasonWrongKeyLifecycleState)
		wantSent(t, v, get(alice, key, wrapSpec(key, 0)), kmip.ReasonPermissionDenied, kmip.ReasonIncompatibleCryptographicUsageMask)
		bobs := h.createKey(v, bob, maskEncDec)
		wantSent(t, v, get(bob, bobs, wrapSpec(kek, 0)), kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)
		wantSent(t, v, get(alice, key, wrapSpec("no-such-key", 0)), kmip.ReasonItemNotFound, kmip.ReasonObjectNotFound)

		// The key wrapped must be Extractable.
		fixed := h.activeKey(v, kmip14.CryptographicAlgorithmAES, 256, maskEncDec, kmip.Attribute{Name: kmip.AttrExtractable, Value: false})
		wantReason(t, get(alice, fixed, wrapSpec(kek, 0)), kmip.ReasonNotExtractable)

		// Methods, modes and options the server does not do.
		mac := wrapSpec(kek, 0)
		mac.WrappingMethod = kmip14.WrappingMethodMACSign
		wantNotSupported(get(alice, key, mac))
		wantNotSupported(get(alice, key, wrapSpec(kek, kmip14.BlockCipherModeCBC)))
		ttlvEncoded := wrapSpec(kek, 0)
		ttlvEncoded.EncodingOption = kmip14.EncodingOptionTTLVEncoding
		wantNotSupported(get(alice, key, ttlvEncoded))
		withAttrs := wrapSpec(kek, 0)
		withAttrs.AttributeNames = []string{kmip.AttrName}
		wantNotSupported(get(alice, key, withAttrs))
		wantReason(t, get(alice, key, &kmip.KeyWrappingSpecification{WrappingMethod: kmip14.WrappingMethodEncrypt}), kmip.ReasonInvalidField)
	}
}
