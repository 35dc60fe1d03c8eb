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
	if kb.Wrapped {
		return keyWrapTypeNotSupported("the key is already wrapped")
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

// Keys registered wrapped (KMIP 1.4 section 2.1.3, 2.1 section 2.1.3: a Key
// Block with Key Wrapping Data, whose Key Value is the wrapped bytes). The
// server keeps the block as given, wrapped bytes and Key Wrapping Data, and
// Get returns it so: Key Wrap Type As Registered, which is also what a Get
// without a Key Wrap Type (all of 1.0-1.3) gets, KMIP defining no default.
// Get with Key Wrap Type Not Wrapped (1.4 and 2.x) unwraps it with the key
// its Key Wrapping Data names (unwrapKeyBlock, the checks of the use Unwrap
// Key), and may then wrap it again as a Key Wrapping Specification asks.
// No cryptographic operation uses a key stored wrapped: the server would
// have to unwrap it for each use, which no client asked for by registering
// it so.

// checkRegisteredWrapping checks the key block of type t a client registers
// with Key Wrapping Data: a key of a type that has key material, wrapped
// bytes, and wrapping data naming the key of its method.
func checkRegisteredWrapping(t kmip.ObjectType, kb *kmip.KeyBlock) error {
	wd := kb.WrappingData
	switch t {
	case kmip14.ObjectTypeSymmetricKey, kmip14.ObjectTypePrivateKey, kmip14.ObjectTypePublicKey, kmip14.ObjectTypeSecretData:
	default:
		return keyWrapTypeNotSupported("only Symmetric, Private and Public Keys and Secret Data are registered wrapped")
	}
	switch {
	case wd == nil:
		return kmip.Errorf(kmip.ReasonInvalidField, "a wrapped key block needs its Key Wrapping Data")
	case kb.Transparent != nil || len(kb.Material) == 0:
		return kmip.Errorf(kmip.ReasonInvalidField, "a wrapped Key Value is the wrapped bytes")
	case wd.WrappingMethod < kmip14.WrappingMethodEncrypt || wd.WrappingMethod > kmip14.WrappingMethodTR_31:
		return kmip.Errorf(kmip.ReasonInvalidField, "unknown Wrapping Method")
	case wd.WrappingMethod != kmip14.WrappingMethodMACSign && wd.WrappingMethod != kmip14.WrappingMethodTR_31 && wd.EncryptionKeyInformation == nil:
		return kmip.Errorf(kmip.ReasonInvalidField, "the %v wrapping method needs Encryption Key Information", wd.WrappingMethod)
	case (wd.WrappingMethod == kmip14.WrappingMethodMACSign || wd.WrappingMethod == kmip14.WrappingMethodEncryptThenMACSign ||
		wd.WrappingMethod == kmip14.WrappingMethodMACSignThenEncrypt) && wd.MACSignatureKeyInformation == nil:
		return kmip.Errorf(kmip.ReasonInvalidField, "the %v wrapping method needs MAC/Signature Key Information", wd.WrappingMethod)
	}
	return nil
}

// storedWrapped is the refusal of use u of a key stored wrapped.
func storedWrapped(u keyUse) error {
	return kmip.Errorf(kmip.ReasonCryptographicFailure, "the key was registered wrapped and is kept so: %s cannot use it (Get it with Key Wrap Type Not Wrapped, then register it in the clear)", u.name)
}

// unwrapForGet replaces a key block stored wrapped by its unwrapping when
// the Get asks for Key Wrap Type Not Wrapped; any other Get of it returns
// it as registered, which a Key Wrapping Specification (wrapping it again)
// or another Key Format Type cannot change.
func (s *Service) unwrapForGet(ctx context.Context, req *kmip.Request, p *kmip.GetRequest, obj *kmip.Object) error {
	kb := obj.KeyBlock
	if kb == nil || !kb.Wrapped {
		return nil
	}
	if p.KeyWrapType != kmip14.KeyWrapTypeNotWrapped {
		if p.KeyWrappingSpecification != nil {
			return keyWrapTypeNotSupported("the key is stored wrapped; ask Key Wrap Type Not Wrapped to wrap it anew")
		}
		if p.KeyFormatType != 0 && p.KeyFormatType != kb.FormatType {
			return kmip.Errorf(kmip.ReasonKeyFormatTypeNotSupported, "a key stored wrapped is returned in the format it was registered in")
		}
		return nil
	}
	plain, err := s.unwrapKeyBlock(ctx, req, kb)
	if err != nil {
		return err
	}
	clear(kb.Material)
	obj.KeyBlock = plain
	return nil
}
