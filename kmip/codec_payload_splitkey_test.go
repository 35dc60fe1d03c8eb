package kmip

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

var everyVersion = []Version{V1_0, V1_1, V1_2, V1_3, V1_4, V2_0, V2_1}

func TestSplitKeyPayloadRoundTrip(t *testing.T) {
	prime := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(297))
	attrs := Attributes{
		{Name: AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmAES},
		{Name: AttrCryptographicLength, Value: int32(256)},
	}
	cases := []payloadCase{
		{kmip14.OperationCreateSplitKey,
			&CreateSplitKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, SplitKeyParts: 5, SplitKeyThreshold: 3,
				SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8, Attributes: attrs},
			&CreateSplitKeyResponse{UniqueIdentifiers: []string{"p1", "p2", "p3", "p4", "p5"}}},
		{kmip14.OperationCreateSplitKey,
			&CreateSplitKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: "k", SplitKeyParts: 2, SplitKeyThreshold: 2,
				SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingPrimeField, PrimeFieldSize: prime},
			&CreateSplitKeyResponse{UniqueIdentifiers: []string{"p1", "p2"}}},
		{kmip14.OperationJoinSplitKey,
			&JoinSplitKeyRequest{ObjectType: kmip14.ObjectTypeSecretData, UniqueIdentifiers: []string{"p1", "p3"},
				SecretDataType: kmip14.SecretDataTypeSeed, Attributes: attrs},
			&JoinSplitKeyResponse{UniqueIdentifier: "j"}},
		{kmip14.OperationJoinSplitKey,
			&JoinSplitKeyRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: []string{"p1"}},
			&JoinSplitKeyResponse{UniqueIdentifier: "j"}},
	}
	for _, v := range everyVersion {
		for _, c := range cases {
			t.Run(v.String()+"/"+c.op.String(), func(t *testing.T) {
				b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, c.op, v, c.req) })
				got, kerr := decodeRequestPayload(c.op, v, b)
				if v.Less(V1_2) {
					if kerr == nil || kerr.Reason != ReasonOperationNotSupported {
						t.Fatalf("KMIP %s: decoded %v, %v", v, got, kerr)
					}
					return
				}
				if kerr != nil {
					t.Fatalf("decode request: %v", kerr)
				}
				if !reflect.DeepEqual(got, c.req) {
					t.Errorf("request: got %#v, want %#v", got, c.req)
				}
				b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, c.op, v, c.resp) })
				resp, err := decodeResponsePayload(c.op, v, b)
				if err != nil {
					t.Fatalf("decode response: %v", err)
				}
				if !reflect.DeepEqual(resp, c.resp) {
					t.Errorf("response: got %#v, want %#v", resp, c.resp)
				}
			})
		}
	}
}

func TestSplitKeyRequestMissingFields(t *testing.T) {
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
			e.EncodeInteger(kmip14.TagSplitKeyParts, 3)
			return nil
		})
	})
	if _, err := decodeRequestPayload(kmip14.OperationCreateSplitKey, V1_4, b); err == nil {
		t.Error("Create Split Key without threshold and method decoded")
	}
	b = encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagObjectType, uint32(kmip14.ObjectTypeSymmetricKey))
			return nil
		})
	})
	if _, err := decodeRequestPayload(kmip14.OperationJoinSplitKey, V2_1, b); err == nil {
		t.Error("Join Split Key without parts decoded")
	}
}

// newObjects are one object of each type this file's codec adds, with the
// first version that has it.
func newObjects() []struct {
	since Version
	obj   Object
} {
	prime := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(297))
	return []struct {
		since Version
		obj   Object
	}{
		{V1_0, Object{Type: kmip14.ObjectTypeSplitKey, SplitKeyParts: 3, KeyPartIdentifier: 2, SplitKeyThreshold: 2,
			SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8,
			KeyBlock:       &KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: []byte("0123456789abcdef"), Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128}}},
		{V1_0, Object{Type: kmip14.ObjectTypeSplitKey, SplitKeyParts: 2, KeyPartIdentifier: 1, SplitKeyThreshold: 2,
			SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingPrimeField, PrimeFieldSize: prime,
			KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: bytes.Repeat([]byte{7}, 33)}}},
		{V1_2, Object{Type: kmip14.ObjectTypePGPKey, PGPKeyVersion: 4,
			KeyBlock: &KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: []byte("pgp")}}},
		{V2_0, Object{Type: ObjectTypeCertificateRequest, CertificateRequestType: kmip14.CertificateRequestTypePKCS_10,
			CertificateRequestValue: []byte("csr")}},
	}
}

func TestNewObjectTypesRoundTrip(t *testing.T) {
	for _, c := range newObjects() {
		// Storage keeps every type.
		b, err := MarshalObject(&c.obj)
		if err != nil {
			t.Fatalf("%v: marshal: %v", c.obj.Type, err)
		}
		stored, err := UnmarshalObject(b)
		if err != nil || !reflect.DeepEqual(*stored, c.obj) {
			t.Fatalf("%v: storage round trip: %+v, %v", c.obj.Type, stored, err)
		}
		for _, v := range everyVersion {
			// Register request (client to server) and Get response (server
			// to client) carry the object.
			req := &RegisterRequest{ObjectType: c.obj.Type, Object: c.obj}
			var buf bytes.Buffer
			encErr := encodeRequestPayload(ttlv.NewEncoder(&buf), kmip14.OperationRegister, v, req)
			if v.Less(c.since) {
				if encErr == nil {
					t.Errorf("%v: encoded in KMIP %s", c.obj.Type, v)
				}
				// A peer sending it anyway is refused.
				tag, _ := objectTag(c.obj.Type)
				raw := encodeBytes(t, func(e *ttlv.Encoder) error {
					return encodeObject(e, storageVersion, &c.obj)
				})
				if _, kerr := decodeObject(v, ttlv.TTLV(raw)); kerr == nil {
					t.Errorf("%v (%s): decoded in KMIP %s", c.obj.Type, tagName(tag), v)
				}
				continue
			}
			if encErr != nil {
				t.Fatalf("%v in %s: %v", c.obj.Type, v, encErr)
			}
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationRegister, v, req) })
			got, kerr := decodeRequestPayload(kmip14.OperationRegister, v, b)
			if kerr != nil {
				t.Fatalf("%v in %s: decode: %v", c.obj.Type, v, kerr)
			}
			if !reflect.DeepEqual(got.(*RegisterRequest).Object, c.obj) {
				t.Errorf("%v in %s: got %+v", c.obj.Type, v, got.(*RegisterRequest).Object)
			}
			resp := &GetResponse{ObjectType: c.obj.Type, UniqueIdentifier: "u", Object: c.obj}
			b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationGet, v, resp) })
			back, err := decodeResponsePayload(kmip14.OperationGet, v, b)
			if err != nil || !reflect.DeepEqual(back.(*GetResponse).Object, c.obj) {
				t.Errorf("%v in %s: Get response: %+v, %v", c.obj.Type, v, back, err)
			}
		}
	}
}

func TestSplitKeyObjectMissingFields(t *testing.T) {
	obj := newObjects()[1].obj // Prime Field method
	obj.PrimeFieldSize = nil
	raw := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeObject(e, storageVersion, &obj) })
	if _, err := decodeObject(V1_4, ttlv.TTLV(raw)); err == nil {
		t.Error("Prime Field split key without Prime Field Size decoded")
	}
	obj = newObjects()[0].obj
	obj.KeyPartIdentifier = 0
	raw = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeObject(e, storageVersion, &obj) })
	if _, err := decodeObject(V1_4, ttlv.TTLV(raw)); err == nil {
		t.Error("split key without Key Part Identifier decoded")
	}
}
