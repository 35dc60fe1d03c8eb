package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
)

// Key wrapping on Get (KMIP 1.4 section 2.1.6, 2.1 section 2.1.7;
// conformance case AX-M-2; INTEROP.md quirks 29 and 35).
//
// The server wraps with the Encrypt method under a symmetric AES key named
// by the Encryption Key Information. That wrapping key goes through the
// checks of every cryptographic use (keyuse.go) for the use Wrap Key: it
// exists, belongs to the client, is Active and has Wrap Key in its
// Cryptographic Usage Mask. The key wrapped needs no Export bit (AX-M-2
// wraps keys whose mask is Encrypt|Decrypt); it must be Extractable, which
// Get checks for every export.
//
// The Block Cipher Mode is the request's, else the wrapping key's
// Cryptographic Parameters', else NIST Key Wrap, which means AES Key Wrap
// (RFC 3394) for keys of a multiple of 8 bytes from 16, AES Key Wrap with
// Padding (RFC 5649) otherwise; AES Key Wrap Padding always means RFC 5649.
// Only the key material is wrapped (Encoding Option No Encoding), so the
// transparent asymmetric formats, whose material is a structure, cannot be.
//
// Refused as 1.x Feature Not Supported, 2.x Key Wrap Type Not Supported:
// the MAC/sign methods, MAC/Signature Key Information, Attribute Names to
// wrap along, TTLV Encoding, any other mode, a wrapping key that is not AES.

// useWrapKey is the use of a wrapping key.
var useWrapKey = keyUse{"Wrap Key", kmip14.CryptographicUsageMaskWrapKey, true, []kmip.ObjectType{kmip14.ObjectTypeSymmetricKey}}

// wrapKeyBlock replaces the material of obj's key block by its wrapping as
// spec asks and records how in the block's Key Wrapping Data. The plaintext
// material is zeroed.
func (s *Service) wrapKeyBlock(ctx context.Context, req *kmip.Request, obj *kmip.Object, spec *kmip.KeyWrappingSpecification) error {
	switch {
	case spec.WrappingMethod != kmip14.WrappingMethodEncrypt:
		return keyWrapTypeNotSupported("only the Encrypt wrapping method is supported")
	case spec.MACSignatureKeyInformation != nil:
		return keyWrapTypeNotSupported("MAC/Signature Key Information is not supported")
	case len(spec.AttributeNames) > 0:
		return keyWrapTypeNotSupported("wrapping attributes along with the key is not supported")
	case spec.EncodingOption != 0 && spec.EncodingOption != kmip14.EncodingOptionNoEncoding:
		return keyWrapTypeNotSupported("only the No Encoding option is supported")
	case spec.EncryptionKeyInformation == nil:
		return kmip.Errorf(kmip.ReasonInvalidField, "the Encrypt wrapping method needs Encryption Key Information")
	}
	kb := obj.KeyBlock
	if kb == nil {
		return &kmip.Error{Reason: kmip.ReasonIllegalObjectType, Message: "only objects with a key block can be wrapped"}
	}
	if kb.Material == nil {
		return keyWrapTypeNotSupported("a transparent key structure can only be wrapped with TTLV Encoding")
	}
	ki := spec.EncryptionKeyInformation
	kek, err := s.useKey(ctx, req, ki.UniqueIdentifier, useWrapKey, len(kb.Material))
	if err != nil {
		return err
	}
	defer kek.wipe()
	if kek.algorithm() != kmip14.CryptographicAlgorithmAES || kek.obj.KeyBlock == nil {
		return keyWrapTypeNotSupported("only AES wrapping keys are supported")
	}
	mode := wrapMode(ki.CryptographicParameters, kek.params())
	var wp hsm.WrapParams
	switch mode {
	case kmip14.BlockCipherModeNISTKeyWrap:
		wp = hsm.NISTWrapParams(len(kb.Material))
	case kmip14.BlockCipherModeAESKeyWrapPadding:
		wp = hsm.WrapParams{Padding: true}
	default:
		return keyWrapTypeNotSupported("only the NIST Key Wrap and AES Key Wrap Padding modes are supported")
	}
	wrapped, err := s.crypto.WrapKey(kek.obj.KeyBlock.Material, wp, kb.Material)
	if err != nil {
		return moduleError(err)
	}
	clear(kb.Material)
	kb.Material = wrapped
	kb.Wrapped = true
	kb.WrappingData = &kmip.KeyWrappingData{
		WrappingMethod: kmip14.WrappingMethodEncrypt,
		EncryptionKeyInformation: &kmip.KeyInformation{
			UniqueIdentifier:        kek.id,
			CryptographicParameters: &kmip.CryptographicParameters{BlockCipherMode: mode},
		},
		EncodingOption: spec.EncodingOption,
	}
	return nil
}

// wrapMode is the Block Cipher Mode of a wrapping: the request's, else the
// wrapping key's, else NIST Key Wrap.
func wrapMode(requested *kmip.CryptographicParameters, keys kmip.CryptographicParameters) kmip.BlockCipherMode {
	if requested != nil && requested.BlockCipherMode != 0 {
		return requested.BlockCipherMode
	}
	if keys.BlockCipherMode != 0 {
		return keys.BlockCipherMode
	}
	return kmip14.BlockCipherModeNISTKeyWrap
}
