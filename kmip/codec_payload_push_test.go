package kmip

import (
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// roundTripRequest encodes req as op's Request Payload in v and decodes it
// back, as a server receiving it would.
func roundTripRequest(t *testing.T, op Operation, v Version, req any) (any, *Error) {
	t.Helper()
	b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, op, v, req) })
	return decodeRequestPayload(op, v, b)
}

func TestNotifyPayloadRoundTrip(t *testing.T) {
	changed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range codecTestVersions {
		t.Run(v.String(), func(t *testing.T) {
			want := &NotifyRequest{
				UniqueIdentifier: "k-1",
				Attributes: Attributes{
					{Name: AttrState, Value: kmip14.StateDeactivated},
					{Name: AttrLastChangeDate, Value: changed},
				},
				Deleted: []string{AttrContactInformation},
			}
			got, err := roundTripRequest(t, kmip14.OperationNotify, v, want)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationNotify, v, nil) })
			if resp, err := decodeResponsePayload(kmip14.OperationNotify, v, b); err != nil || resp != nil {
				t.Errorf("response: %v, %v; want an empty payload", resp, err)
			}
		})
	}
}

func TestPutPayloadRoundTrip(t *testing.T) {
	for _, v := range codecTestVersions {
		t.Run(v.String(), func(t *testing.T) {
			want := &PutRequest{
				UniqueIdentifier:         "k-2",
				PutFunction:              kmip14.PutFunctionReplace,
				ReplacedUniqueIdentifier: "k-1",
				Object: Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &KeyBlock{
					FormatType: kmip14.KeyFormatTypeRaw,
					Material:   make([]byte, 32),
					Algorithm:  kmip14.CryptographicAlgorithmAES,
					Length:     256,
				}},
				Attributes: Attributes{{Name: AttrState, Value: kmip14.StatePreActive}},
			}
			got, err := roundTripRequest(t, kmip14.OperationPut, v, want)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

// TestPutPayloadRefused checks the spec's required fields: a Replace
// without the replaced object's identifier, an unknown Put Function and a
// Put without an object are refused, never half-decoded.
func TestPutPayloadRefused(t *testing.T) {
	obj := func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagSecretData, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagSecretDataType, uint32(kmip14.SecretDataTypePassword))
			return e.EncodeStructure(kmip14.TagKeyBlock, func(e *ttlv.Encoder) error {
				e.EncodeEnumeration(kmip14.TagKeyFormatType, uint32(kmip14.KeyFormatTypeOpaque))
				return e.EncodeStructure(kmip14.TagKeyValue, func(e *ttlv.Encoder) error {
					e.EncodeByteString(kmip14.TagKeyMaterial, []byte("pw"))
					return nil
				})
			})
		})
	}
	cases := map[string]func(e *ttlv.Encoder) error{
		"replace without replaced id": func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k")
			e.EncodeEnumeration(kmip14.TagPutFunction, uint32(kmip14.PutFunctionReplace))
			return obj(e)
		},
		"unknown put function": func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k")
			e.EncodeEnumeration(kmip14.TagPutFunction, 7)
			return obj(e)
		},
		"no object": func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k")
			e.EncodeEnumeration(kmip14.TagPutFunction, uint32(kmip14.PutFunctionNew))
			return nil
		},
	}
	for name, fields := range cases {
		t.Run(name, func(t *testing.T) {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return e.EncodeStructure(kmip14.TagRequestPayload, fields) })
			if _, err := decodeRequestPayload(kmip14.OperationPut, V1_4, b); err == nil {
				t.Fatal("decoded")
			}
		})
	}
	// The same with a good Put Function decodes.
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k")
			e.EncodeEnumeration(kmip14.TagPutFunction, uint32(kmip14.PutFunctionNew))
			return obj(e)
		})
	})
	if _, err := decodeRequestPayload(kmip14.OperationPut, V1_4, b); err != nil {
		t.Fatalf("a valid Put: %v", err)
	}
}

func TestSetEndpointRolePayloadRoundTrip(t *testing.T) {
	op := OperationSetEndpointRole
	for _, v := range []Version{V2_0, V2_1} {
		req := &SetEndpointRoleRequest{Role: kmip20.EndpointRoleServer}
		got, err := roundTripRequest(t, op, v, req)
		if err != nil || !reflect.DeepEqual(got, req) {
			t.Fatalf("%v request: %#v, %v", v, got, err)
		}
		resp := &SetEndpointRoleResponse{Role: kmip20.EndpointRoleServer}
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, op, v, resp) })
		back, rerr := decodeResponsePayload(op, v, b)
		if rerr != nil || !reflect.DeepEqual(back, resp) {
			t.Fatalf("%v response: %#v, %v", v, back, rerr)
		}
	}
	// KMIP 1.x has no Set Endpoint Role.
	if _, err := roundTripRequest(t, op, V1_4, &SetEndpointRoleRequest{Role: kmip20.EndpointRoleServer}); err == nil || err.Reason != ReasonOperationNotSupported {
		t.Fatalf("1.4: %v, want Operation Not Supported", err)
	}
	// The role is required.
	b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, op, V2_1, nil) })
	if _, err := decodeRequestPayload(op, V2_1, b); err == nil {
		t.Fatal("decoded a request without Endpoint Role")
	}
}
