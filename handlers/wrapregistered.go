package handlers

import (
	"context"
	"slices"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// Registered wrapped keys: the object of a Register may be a wrapped key
// block, and Get's Key Wrap Type As Registered returns it as registered
// (KMIP 1.x and 2.x, Register and Get; test cases TC-WRAP-1/2/3-20).
//
// The server keeps keys in the clear (sealed) only. A wrapped key block
// given to Register is unwrapped as Import unwraps one (importexport.go:
// the client's AES key named by the Key Wrapping Data, with Unwrap Key in
// its mask), and how it was wrapped is recorded in the server's custom
// attribute registeredWrappingAttr: the wrapping key and the Block Cipher
// Mode and Encoding Option it named, never key material. A Get As
// Registered wraps the key again that way (wrap.go), through every check
// of a wrapped Get: AES key wrap is deterministic, so the client gets the
// bytes it registered. The specifications leave open whether a server may
// store the key unwrapped; this one can answer As Registered only while the
// wrapping key is there to wrap with, and with Wrap Key in its mask.

// registeredWrappingAttr is the server-set custom attribute recording how
// a registered key was wrapped.
const registeredWrappingAttr = "y-kmipd-registered-wrapping"

// registeredWrapping is the value of registeredWrappingAttr, a Structure
// under the Attribute Value tag, as gemalto's ttlv package encodes it.
type registeredWrapping struct {
	TTLVTag          struct{} `ttlv:"AttributeValue"`
	UniqueIdentifier string
	BlockCipherMode  kmip14.BlockCipherMode `ttlv:",omitempty"`
	EncodingOption   kmip14.EncodingOption  `ttlv:",omitempty"`
}

// unwrapRegistered returns kb, the wrapped key block of a Register, in the
// clear, and attrs without client-given instances of registeredWrappingAttr
// and with the record of kb's wrapping.
func (s *Service) unwrapRegistered(ctx context.Context, req *kmip.Request, kb *kmip.KeyBlock, attrs kmip.Attributes) (*kmip.KeyBlock, kmip.Attributes, error) {
	block, err := s.unwrapKeyBlock(ctx, req, kb)
	if err != nil {
		return nil, nil, err
	}
	ki := kb.WrappingData.EncryptionKeyInformation // unwrapKeyBlock checked it
	rec := registeredWrapping{UniqueIdentifier: ki.UniqueIdentifier, EncodingOption: kb.WrappingData.EncodingOption}
	if ki.CryptographicParameters != nil {
		rec.BlockCipherMode = ki.CryptographicParameters.BlockCipherMode
	}
	value, err := ttlv.Marshal(rec)
	if err != nil {
		clear(block.Material)
		return nil, nil, err
	}
	attrs = slices.DeleteFunc(slices.Clone(attrs), func(a kmip.Attribute) bool { return a.Name == registeredWrappingAttr })
	return block, append(attrs, kmip.Attribute{Name: registeredWrappingAttr, Value: ttlv.TTLV(value)}), nil
}

// asRegistered returns the Key Wrapping Specification that wraps an object
// with attrs as it was registered, or nil when it was registered in the
// clear.
func asRegistered(attrs kmip.Attributes) (*kmip.KeyWrappingSpecification, error) {
	value, ok := attrs.Get(registeredWrappingAttr).(ttlv.TTLV)
	if !ok {
		return nil, nil
	}
	var rec registeredWrapping
	if err := ttlv.Unmarshal(value, &rec); err != nil || rec.UniqueIdentifier == "" {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "malformed %s", registeredWrappingAttr)
	}
	ki := &kmip.KeyInformation{UniqueIdentifier: rec.UniqueIdentifier}
	if rec.BlockCipherMode != 0 {
		ki.CryptographicParameters = &kmip.CryptographicParameters{BlockCipherMode: rec.BlockCipherMode}
	}
	return &kmip.KeyWrappingSpecification{
		WrappingMethod:           kmip14.WrappingMethodEncrypt,
		EncryptionKeyInformation: ki,
		EncodingOption:           rec.EncodingOption,
	}, nil
}
