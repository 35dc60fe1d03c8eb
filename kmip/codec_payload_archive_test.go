package kmip

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

func TestArchiveRecoverPayloadRoundTrip(t *testing.T) {
	cases := []payloadCase{
		{kmip14.OperationArchive, &ArchiveRequest{UniqueIdentifier: "u1"}, &ArchiveResponse{UniqueIdentifier: "u1"}},
		{kmip14.OperationRecover, &RecoverRequest{UniqueIdentifier: "u1"}, &RecoverResponse{UniqueIdentifier: "u1"}},
		{kmip14.OperationArchive, &ArchiveRequest{}, &ArchiveResponse{UniqueIdentifier: "u2"}}, // ID Placeholder
		{kmip14.OperationRecover, &RecoverRequest{}, &RecoverResponse{UniqueIdentifier: "u2"}},
	}
	for _, v := range codecTestVersions {
		for _, c := range cases {
			t.Run(v.String()+"/"+c.op.String(), func(t *testing.T) {
				b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, c.op, v, c.req) })
				got, kerr := decodeRequestPayload(c.op, v, b)
				if kerr != nil {
					t.Fatalf("decode request: %v", kerr)
				}
				if !reflect.DeepEqual(got, c.req) {
					t.Errorf("request: got %#v, want %#v", got, c.req)
				}
				if ObjectIDOf(got) != ObjectIDOf(c.req) {
					t.Errorf("ObjectIDOf(request) = %q", ObjectIDOf(got))
				}
				b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, c.op, v, c.resp) })
				resp, err := decodeResponsePayload(c.op, v, b)
				if err != nil {
					t.Fatalf("decode response: %v", err)
				}
				if !reflect.DeepEqual(resp, c.resp) {
					t.Errorf("response: got %#v, want %#v", resp, c.resp)
				}
				if ObjectIDOf(resp) != "u1" && ObjectIDOf(resp) != "u2" {
					t.Errorf("ObjectIDOf(response) = %q", ObjectIDOf(resp))
				}
			})
		}
	}
}

// TestArchiveRequestWire checks the bytes against a payload built by hand:
// a Request Payload holding one Unique Identifier text string.
func TestArchiveRequestWire(t *testing.T) {
	want := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k-9")
			return nil
		})
	})
	for _, op := range []Operation{kmip14.OperationArchive, kmip14.OperationRecover} {
		var req any = &ArchiveRequest{UniqueIdentifier: "k-9"}
		if op == kmip14.OperationRecover {
			req = &RecoverRequest{UniqueIdentifier: "k-9"}
		}
		got := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, op, V1_4, req) })
		if !bytes.Equal(got, want) {
			t.Errorf("%v request payload = %x, want %x", op, got, want)
		}
	}
}

func TestArchiveRequestWrongType(t *testing.T) {
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeInteger(kmip14.TagUniqueIdentifier, 7)
			return nil
		})
	})
	if _, err := decodeRequestPayload(kmip14.OperationArchive, V1_4, b); err == nil {
		t.Error("1.4 Archive with an Integer Unique Identifier decoded without error")
	}
	if _, err := decodeRequestPayload(kmip14.OperationRecover, V1_4, b); err == nil {
		t.Error("1.4 Recover with an Integer Unique Identifier decoded without error")
	}
}
