package kmip

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// allVersions are the protocol versions the operations of this file exist
// in: every one.
var allVersions = []Version{V1_0, V1_1, V1_2, V1_3, V1_4, V2_0, V2_1}

// roundTrip encodes req and resp of op in v and decodes them back, failing
// the test unless both come back equal.
func roundTrip(t *testing.T, op Operation, v Version, req, resp any) {
	t.Helper()
	b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, op, v, req) })
	got, kerr := decodeRequestPayload(op, v, b)
	if kerr != nil {
		t.Fatalf("decode request: %v", kerr)
	}
	if !reflect.DeepEqual(got, req) {
		t.Errorf("request: got %#v, want %#v", got, req)
	}
	b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, op, v, resp) })
	gotResp, err := decodeResponsePayload(op, v, b)
	if err != nil {
		t.Fatalf("decode response: %v", err)
	}
	if !reflect.DeepEqual(gotResp, resp) {
		t.Errorf("response: got %#v, want %#v", gotResp, resp)
	}
}

func TestPollCancelPayloadRoundTrip(t *testing.T) {
	value := []byte{0xA5, 0, 1, 2}
	for _, v := range allVersions {
		t.Run(v.String(), func(t *testing.T) {
			roundTrip(t, kmip14.OperationPoll, v, &PollRequest{AsynchronousCorrelationValue: value}, &PollResponse{})
			roundTrip(t, kmip14.OperationCancel, v, &CancelRequest{AsynchronousCorrelationValue: value},
				&CancelResponse{AsynchronousCorrelationValue: value, CancellationResult: kmip14.CancellationResultUnavailable})
		})
	}
}

// TestCancelResponseWire checks the bytes against a payload built by hand.
func TestCancelResponseWire(t *testing.T) {
	want := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
			e.EncodeByteString(kmip14.TagAsynchronousCorrelationValue, []byte("acv"))
			e.EncodeEnumeration(kmip14.TagCancellationResult, 5)
			return nil
		})
	})
	got := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeResponsePayload(e, kmip14.OperationCancel, V1_0, &CancelResponse{
			AsynchronousCorrelationValue: []byte("acv"), CancellationResult: kmip14.CancellationResultUnavailable})
	})
	if !bytes.Equal(got, want) {
		t.Errorf("Cancel response payload = %x, want %x", got, want)
	}
}

func TestPollCancelRequestMalformed(t *testing.T) {
	empty := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(*ttlv.Encoder) error { return nil })
	})
	wrongType := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagAsynchronousCorrelationValue, "acv")
			return nil
		})
	})
	for _, op := range []Operation{kmip14.OperationPoll, kmip14.OperationCancel} {
		for _, tt := range []struct {
			v      Version
			b      []byte
			reason ResultReason
		}{
			{V1_4, empty, ReasonInvalidMessage},
			{V2_1, empty, ReasonMissingData},
			{V1_4, wrongType, ReasonInvalidMessage},
			{V2_1, wrongType, ReasonInvalidMessage},
		} {
			_, err := decodeRequestPayload(op, tt.v, tt.b)
			if err == nil || err.Reason != tt.reason {
				t.Errorf("%v %v: error %v, want reason %v", op, tt.v, err, tt.reason)
			}
		}
	}
}
