package kmip

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// wrappedGetCase is a Get with a Key Wrapping Specification and its answer,
// a symmetric key wrapped with NIST Key Wrap (as conformance case AX-M-2).
func wrappedGetCase() (*GetRequest, *GetResponse) {
	params := &CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeNISTKeyWrap}
	req := &GetRequest{
		UniqueIdentifier: "key-1",
		KeyWrapping:      true,
		KeyWrappingSpecification: &KeyWrappingSpecification{
			WrappingMethod:           kmip14.WrappingMethodEncrypt,
			EncryptionKeyInformation: &KeyInformation{UniqueIdentifier: "kek-1", CryptographicParameters: params},
			AttributeNames:           []string{"Cryptographic Usage Mask"},
			EncodingOption:           kmip14.EncodingOptionNoEncoding,
		},
	}
	resp := &GetResponse{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "key-1", Object: Object{
		Type: kmip14.ObjectTypeSymmetricKey,
		KeyBlock: &KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw,
			Material:   bytes.Repeat([]byte{0xC3}, 40),
			Algorithm:  kmip14.CryptographicAlgorithmAES,
			Length:     256,
			Wrapped:    true,
			WrappingData: &KeyWrappingData{
				WrappingMethod:           kmip14.WrappingMethodEncrypt,
				EncryptionKeyInformation: &KeyInformation{UniqueIdentifier: "kek-1", CryptographicParameters: params},
				IVCounterNonce:           []byte{1, 2, 3},
				EncodingOption:           kmip14.EncodingOptionNoEncoding,
			},
		},
	}}
	return req, resp
}

func TestWrappedKeyBlockRoundTrip(t *testing.T) {
	for _, v := range []Version{V1_4, V2_1} {
		req, resp := wrappedGetCase()
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationGet, v, req) })
		got, kerr := decodeRequestPayload(kmip14.OperationGet, v, b)
		if kerr != nil {
			t.Fatalf("%v: decode request: %v", v, kerr)
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("%v: request:\n got %#v\nwant %#v", v, got, req)
		}
		b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationGet, v, resp) })
		// The Key Value of a wrapped key block is a Byte String.
		if !bytes.Contains(b, append([]byte{0x42, 0x00, 0x45, byte(ttlv.TypeByteString), 0, 0, 0, 40}, resp.Object.KeyBlock.Material...)) {
			t.Errorf("%v: Key Value is not the wrapped bytes as a Byte String", v)
		}
		back, err := decodeResponsePayload(kmip14.OperationGet, v, b)
		if err != nil {
			t.Fatalf("%v: decode response: %v", v, err)
		}
		if !reflect.DeepEqual(back, resp) {
			t.Errorf("%v: response:\n got %#v\nwant %#v", v, back, resp)
		}
	}
}

// TestWrappedGetVectorsReencode decodes the Get requests and responses of
// conformance case AX-M-2 and encodes them again byte for byte.
func TestWrappedGetVectorsReencode(t *testing.T) {
	for _, f := range []string{"v1.4/mandatory/AX-M-2-14.xml", "v2.1/mandatory/AX-M-2-21.xml"} {
		wrapped := 0
		for _, element := range []string{"RequestMessage", "ResponseMessage"} {
			for _, r := range loadVectorItems(t, vectorPath(t, f), element) {
				if r.op != kmip14.OperationGet || r.payload == nil {
					continue
				}
				var p any
				var err error
				encode := encodeRequestPayload
				if element == "RequestMessage" {
					var kerr *Error
					if p, kerr = decodeRequestPayload(r.op, r.version, r.payload); kerr != nil {
						t.Fatalf("%s: %v", f, kerr)
					}
					if g := p.(*GetRequest); g.KeyWrappingSpecification != nil {
						wrapped++
					}
				} else {
					encode = encodeResponsePayload
					p, err = decodeResponsePayload(r.op, r.version, r.payload)
					if g := p.(*GetResponse); g.Object.KeyBlock.WrappingData != nil {
						wrapped++
					}
				}
				if err != nil {
					t.Fatalf("%s %s: %v", f, element, err)
				}
				b := encodeBytes(t, func(e *ttlv.Encoder) error { return encode(e, r.op, r.version, p) })
				if !bytes.Equal(b, r.payload) {
					t.Errorf("%s %s: re-encoded Get differs:\n got %s\nwant %s", f, element, ttlv.TTLV(b), r.payload)
				}
			}
		}
		if wrapped != 4 {
			t.Errorf("%s: %d wrapped Get requests and responses, want 4", f, wrapped)
		}
	}
}

func TestKeyWrappingDecodeRejects(t *testing.T) {
	for name, f := range map[string]func(e *ttlv.Encoder) error{
		"no Wrapping Method": func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagKeyWrappingSpecification, func(e *ttlv.Encoder) error {
				return encodeKeyInformation(e, V1_4, kmip14.TagEncryptionKeyInformation, &KeyInformation{UniqueIdentifier: "k"})
			})
		},
		"key information without identifier": func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagKeyWrappingSpecification, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagWrappingMethod, uint32(kmip14.WrappingMethodEncrypt))
				return e.EncodeStructure(kmip14.TagEncryptionKeyInformation, func(*ttlv.Encoder) error { return nil })
			})
		},
		"specification not a structure": func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagKeyWrappingSpecification, "x")
			return nil
		},
	} {
		spec := encodeBytes(t, f)
		if _, err := decodeKeyWrappingSpecification(V2_1, ttlv.TTLV(spec)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

// TestEncodingOptionSince11 checks that the Encoding Option, which KMIP 1.1
// added, is written in 1.1 and left out of a 1.0 encoding.
func TestEncodingOptionSince11(t *testing.T) {
	tag := []byte{0x42, 0x00, 0xA3, byte(ttlv.TypeEnumeration)} // Encoding Option
	for _, v := range []Version{V1_0, V1_1} {
		req, resp := wrappedGetCase()
		req.KeyWrappingSpecification.AttributeNames = nil
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationGet, v, req) })
		if got := bytes.Contains(b, tag); got != (v == V1_1) {
			t.Errorf("%v: Key Wrapping Specification has an Encoding Option: %v", v, got)
		}
		b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationGet, v, resp) })
		if got := bytes.Contains(b, tag); got != (v == V1_1) {
			t.Errorf("%v: Key Wrapping Data has an Encoding Option: %v", v, got)
		}
	}
}
