package kmip

import (
	"bytes"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

func TestUsageAllocationLeasePayloadRoundTrip(t *testing.T) {
	changed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range allVersions {
		t.Run(v.String(), func(t *testing.T) {
			roundTrip(t, kmip14.OperationGetUsageAllocation, v,
				&GetUsageAllocationRequest{UniqueIdentifier: "u1", UsageLimitsCount: 1 << 40},
				&GetUsageAllocationResponse{UniqueIdentifier: "u1"})
			roundTrip(t, kmip14.OperationGetUsageAllocation, v, // ID Placeholder
				&GetUsageAllocationRequest{UsageLimitsCount: 500},
				&GetUsageAllocationResponse{UniqueIdentifier: "u2"})
			roundTrip(t, kmip14.OperationObtainLease, v,
				&ObtainLeaseRequest{UniqueIdentifier: "u1"},
				&ObtainLeaseResponse{UniqueIdentifier: "u1", LeaseTime: time.Hour, LastChangeDate: changed})
			roundTrip(t, kmip14.OperationObtainLease, v, // no lease limit: a zero Lease Time is sent
				&ObtainLeaseRequest{},
				&ObtainLeaseResponse{UniqueIdentifier: "u2", LastChangeDate: changed})
		})
	}
}

// TestUsageAllocationLeaseWire checks the bytes against payloads built by
// hand.
func TestUsageAllocationLeaseWire(t *testing.T) {
	want := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k-9")
			e.EncodeLongInteger(kmip14.TagUsageLimitsCount, 500)
			return nil
		})
	})
	got := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeRequestPayload(e, kmip14.OperationGetUsageAllocation, V1_4,
			&GetUsageAllocationRequest{UniqueIdentifier: "k-9", UsageLimitsCount: 500})
	})
	if !bytes.Equal(got, want) {
		t.Errorf("Get Usage Allocation request payload = %x, want %x", got, want)
	}

	changed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	want = encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k-9")
			e.EncodeInterval(kmip14.TagLeaseTime, 0)
			e.EncodeDateTime(kmip14.TagLastChangeDate, changed)
			return nil
		})
	})
	got = encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeResponsePayload(e, kmip14.OperationObtainLease, V2_1,
			&ObtainLeaseResponse{UniqueIdentifier: "k-9", LastChangeDate: changed})
	})
	if !bytes.Equal(got, want) {
		t.Errorf("Obtain Lease response payload = %x, want %x", got, want)
	}
}

func TestGetUsageAllocationRequestMalformed(t *testing.T) {
	payload := func(f func(e *ttlv.Encoder)) []byte {
		return encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error { f(e); return nil })
		})
	}
	for _, tt := range []struct {
		name   string
		v      Version
		b      []byte
		reason ResultReason
	}{
		{"missing count 1.x", V1_4, payload(func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagUniqueIdentifier, "u") }), ReasonInvalidMessage},
		{"missing count 2.x", V2_1, payload(func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagUniqueIdentifier, "u") }), ReasonMissingData},
		{"zero count", V1_4, payload(func(e *ttlv.Encoder) { e.EncodeLongInteger(kmip14.TagUsageLimitsCount, 0) }), ReasonInvalidField},
		{"negative count", V2_1, payload(func(e *ttlv.Encoder) { e.EncodeLongInteger(kmip14.TagUsageLimitsCount, -1) }), ReasonInvalidField},
		{"Integer count", V1_4, payload(func(e *ttlv.Encoder) { e.EncodeInteger(kmip14.TagUsageLimitsCount, 5) }), ReasonInvalidMessage},
		{"Integer identifier 1.x", V1_4, payload(func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagUniqueIdentifier, 7)
			e.EncodeLongInteger(kmip14.TagUsageLimitsCount, 5)
		}), ReasonInvalidMessage},
	} {
		_, err := decodeRequestPayload(kmip14.OperationGetUsageAllocation, tt.v, tt.b)
		if err == nil || err.Reason != tt.reason {
			t.Errorf("%s: error %v, want reason %v", tt.name, err, tt.reason)
		}
	}
}

func TestObtainLeaseResponseMissingFields(t *testing.T) {
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagUniqueIdentifier, "k-9")
			return nil
		})
	})
	if _, err := decodeResponsePayload(kmip14.OperationObtainLease, V1_4, b); err == nil {
		t.Error("an Obtain Lease response without Lease Time and Last Change Date decoded without error")
	}
}
