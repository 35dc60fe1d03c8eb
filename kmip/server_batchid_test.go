package kmip

import (
	"bytes"
	"context"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// rawResponseIDs sends msg on a new connection to ts and returns, per
// Batch Item of the raw response, its Unique Batch Item ID (nil when
// absent) and Result Status.
func rawResponseIDs(t *testing.T, ts *testServer, msg []byte) (ids [][]byte, statuses []ResultStatus) {
	t.Helper()
	c := ts.rawConn(t)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	b, err := readFrame(c, responseTag, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	for it := range children(ttlv.TTLV(b)) {
		if it.Tag() != kmip14.TagBatchItem {
			continue
		}
		var id []byte
		var status ResultStatus
		for f := range children(it) {
			switch f.Tag() {
			case kmip14.TagUniqueBatchItemID:
				if f.Type() != ttlv.TypeByteString {
					t.Fatalf("Unique Batch Item ID of type %v", f.Type())
				}
				id = append([]byte{}, f.ValueByteString()...) // present, maybe empty
			case kmip14.TagResultStatus:
				status = ResultStatus(f.ValueEnumeration())
			}
		}
		ids, statuses = append(ids, id), append(statuses, status)
	}
	return ids, statuses
}

// TestServerEchoesUniqueBatchItemIDs: every response Batch Item carries the
// Unique Batch Item ID of its request item byte for byte, whatever its
// length (vSphere's 8 bytes "QLKC\x01...", longer ones, an empty one), for
// successes, failures of the handler and items that failed to decode, in
// Continue batches, in Stop batches and when the Maximum Response Size
// fails items; an item without an ID gets none (KMIP 1.x section 6.4,
// Unique Batch Item ID).
func TestServerEchoesUniqueBatchItemIDs(t *testing.T) {
	// Query (defined in every version) succeeds with about 500 bytes of
	// payload; Get Attribute List fails.
	const ok, fails = kmip14.OperationQuery, kmip14.OperationGetAttributeList
	ts := startServer(t, func(_ context.Context, req *Request) (any, error) {
		if req.Operation == fails {
			return nil, Errorf(ReasonPermissionDenied, "no")
		}
		return &QueryResponse{VendorIdentification: string(bytes.Repeat([]byte("v"), 500))}, nil
	}, Limits{})
	vsphere := []byte("QLKC\x01\x00\x00\x07")
	long := bytes.Repeat([]byte{0xA5, 0x00, 0x5A}, 341) // 1023 bytes
	empty := []byte{}
	for _, v := range []Version{V1_0, V1_4, V2_0, V2_1} {
		// Continue: success, handler failure, undecodable operation,
		// success with an empty ID, no ID.
		msg := rawRequest(t, v, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagBatchErrorContinuationOption, uint32(kmip14.BatchErrorContinuationOptionContinue))
			e.EncodeInteger(kmip14.TagBatchCount, 5)
		}, func(e *ttlv.Encoder) {
			rawItem(e, ok, vsphere)
			rawItem(e, fails, long)
			rawItem(e, Operation(0xFF), vsphere[:4])
			rawItem(e, ok, empty)
			rawItem(e, ok, nil)
		})
		ids, statuses := rawResponseIDs(t, ts, msg)
		want := [][]byte{vsphere, long, vsphere[:4], empty, nil}
		wantStatus := []ResultStatus{kmip14.ResultStatusSuccess, kmip14.ResultStatusOperationFailed,
			kmip14.ResultStatusOperationFailed, kmip14.ResultStatusSuccess, kmip14.ResultStatusSuccess}
		if len(ids) != len(want) {
			t.Fatalf("%v Continue: %d items, want %d", v, len(ids), len(want))
		}
		for i := range want {
			if (ids[i] == nil) != (want[i] == nil) || !bytes.Equal(ids[i], want[i]) || statuses[i] != wantStatus[i] {
				t.Errorf("%v Continue item %d: ID %q (present %v), status %v; want %q (present %v), %v",
					v, i, ids[i], ids[i] != nil, statuses[i], want[i], want[i] != nil, wantStatus[i])
			}
		}
		// Stop (the default): the failed item keeps its ID; the rest is
		// not answered.
		msg = rawRequest(t, v, batchCount(3), func(e *ttlv.Encoder) {
			rawItem(e, ok, []byte("first"))
			rawItem(e, fails, vsphere)
			rawItem(e, ok, []byte("never"))
		})
		ids, _ = rawResponseIDs(t, ts, msg)
		if len(ids) != 2 || string(ids[0]) != "first" || !bytes.Equal(ids[1], vsphere) {
			t.Errorf("%v Stop: IDs %q, want first, %q", v, ids, vsphere)
		}
		// Maximum Response Size: the item failed for it keeps its ID.
		msg = rawRequest(t, v, func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagMaximumResponseSize, 1000)
			e.EncodeInteger(kmip14.TagBatchCount, 2)
		}, func(e *ttlv.Encoder) {
			rawItem(e, ok, vsphere)
			rawItem(e, ok, long[:64])
		})
		ids, statuses = rawResponseIDs(t, ts, msg)
		if len(ids) != 2 || !bytes.Equal(ids[0], vsphere) || !bytes.Equal(ids[1], long[:64]) ||
			statuses[0] != kmip14.ResultStatusSuccess || statuses[1] != kmip14.ResultStatusOperationFailed {
			t.Errorf("%v Maximum Response Size: IDs %q, statuses %v", v, ids, statuses)
		}
	}
}
