package kmip

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// rawRequest builds a Request Message by hand, for inputs the encoder would
// never produce. header writes the header's fields after the Protocol
// Version; items write the Batch Items.
func rawRequest(t *testing.T, v Version, header func(e *ttlv.Encoder), items func(e *ttlv.Encoder)) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := ttlv.NewEncoder(&buf)
	err := e.EncodeStructure(kmip14.TagRequestMessage, func(e *ttlv.Encoder) error {
		e.EncodeStructure(kmip14.TagRequestHeader, func(e *ttlv.Encoder) error {
			encodeProtocolVersion(e, v)
			header(e)
			return nil
		})
		items(e)
		return nil
	})
	if err == nil {
		err = e.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawItem writes a Batch Item with op, an optional ID and an empty payload.
func rawItem(e *ttlv.Encoder, op Operation, id []byte) {
	e.EncodeStructure(kmip14.TagBatchItem, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip14.TagOperation, uint32(op))
		if id != nil {
			e.EncodeByteString(kmip14.TagUniqueBatchItemID, id)
		}
		return e.EncodeStructure(kmip14.TagRequestPayload, noFields)
	})
}

func batchCount(n int32) func(e *ttlv.Encoder) {
	return func(e *ttlv.Encoder) { e.EncodeInteger(kmip14.TagBatchCount, n) }
}

func wantReason(t *testing.T, err error, reason ResultReason) {
	t.Helper()
	var ke *Error
	if !errors.As(err, &ke) {
		t.Fatalf("err = %v, want a *Error with reason %v", err, reason)
	}
	if ke.Reason != reason {
		t.Fatalf("reason = %v (%s), want %v", ke.Reason, ke.Message, reason)
	}
}

func TestRequestHeaderRoundTripEveryVersion(t *testing.T) {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	for _, v := range SupportedVersions {
		t.Run(v.String(), func(t *testing.T) {
			in := &RequestMessage{
				Header: RequestHeader{
					Version:                v,
					MaximumResponseSize:    8192,
					ClientCorrelationValue: "corr-1",
					Credential:             &Credential{Type: 1, Username: "alice", Password: "s3cret"},
					BatchErrorContinuation: kmip14.BatchErrorContinuationOptionContinue,
					BatchOrderOption:       true,
					TimeStamp:              ts,
				},
				Items: []RequestItem{
					{Operation: kmip14.OperationDiscoverVersions, ID: []byte{1}},
					{Operation: kmip14.OperationQuery, ID: []byte("QLKC\x01")},
					{Operation: kmip14.OperationDiscoverVersions},
				},
			}
			b, err := EncodeRequest(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeRequest(b)
			if err != nil {
				t.Fatal(err)
			}
			want := in.Header
			want.BatchCount = 3
			if !v.AtLeast(V1_4) {
				want.ClientCorrelationValue = "" // not defined before 1.4, so not sent
			}
			if !reflect.DeepEqual(got.Header, want) {
				t.Fatalf("header\n got %+v\nwant %+v", got.Header, want)
			}
			if len(got.Items) != 3 {
				t.Fatalf("%d items", len(got.Items))
			}
			for i, it := range got.Items {
				if it.Operation != in.Items[i].Operation || !bytes.Equal(it.ID, in.Items[i].ID) {
					t.Errorf("item %d: %v %x, want %v %x", i, it.Operation, it.ID, in.Items[i].Operation, in.Items[i].ID)
				}
			}
		})
	}
}

func TestRequestHeaderDefaults(t *testing.T) {
	b := rawRequest(t, V1_0, batchCount(1), func(e *ttlv.Encoder) { rawItem(e, kmip14.OperationDiscoverVersions, nil) })
	m, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	h := m.Header
	if h.BatchErrorContinuation != kmip14.BatchErrorContinuationOptionStop || h.MaximumResponseSize != 0 ||
		h.Credential != nil || !h.TimeStamp.IsZero() || h.AsynchronousIndicator || h.BatchOrderOption {
		t.Fatalf("defaults: %+v", h)
	}
}

func TestDecodeCredentialNestings(t *testing.T) {
	userPass := func(e *ttlv.Encoder) {
		e.EncodeTextString(kmip14.TagUsername, "bob")
		e.EncodeTextString(kmip14.TagPassword, "pw")
	}
	nestings := map[string]func(e *ttlv.Encoder) error{
		"in Credential Value": func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagCredentialType, 1)
			return e.EncodeStructure(kmip14.TagCredentialValue, func(e *ttlv.Encoder) error { userPass(e); return nil })
		},
		"directly in Credential": func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagCredentialType, 1)
			userPass(e)
			return nil
		},
	}
	for name, cred := range nestings {
		for _, v := range []Version{V1_0, V2_0} {
			t.Run(name+" "+v.String(), func(t *testing.T) {
				b := rawRequest(t, v, func(e *ttlv.Encoder) {
					e.EncodeStructure(kmip14.TagAuthentication, func(e *ttlv.Encoder) error {
						return e.EncodeStructure(kmip14.TagCredential, cred)
					})
					e.EncodeInteger(kmip14.TagBatchCount, 1)
				}, func(e *ttlv.Encoder) { rawItem(e, kmip14.OperationDiscoverVersions, nil) })
				m, err := DecodeRequest(b)
				if err != nil {
					t.Fatal(err)
				}
				want := &Credential{Type: 1, Username: "bob", Password: "pw"}
				if !reflect.DeepEqual(m.Header.Credential, want) {
					t.Fatalf("credential %+v", m.Header.Credential)
				}
			})
		}
	}
}

func TestDecodeRequestFaults(t *testing.T) {
	oneItem := func(e *ttlv.Encoder) { rawItem(e, kmip14.OperationDiscoverVersions, nil) }
	tests := []struct {
		name   string
		msg    []byte
		reason ResultReason
	}{
		{"wrong type for Batch Count", rawRequest(t, V1_4, func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagBatchCount, "1")
		}, oneItem), ReasonInvalidMessage},
		{"wrong type for Maximum Response Size", rawRequest(t, V1_4, func(e *ttlv.Encoder) {
			e.EncodeLongInteger(kmip14.TagMaximumResponseSize, 1)
			e.EncodeInteger(kmip14.TagBatchCount, 1)
		}, oneItem), ReasonInvalidMessage},
		{"unknown 0x42 tag in header", rawRequest(t, V1_4, func(e *ttlv.Encoder) {
			e.EncodeInteger(kmip14.TagCryptographicLength, 1)
			e.EncodeInteger(kmip14.TagBatchCount, 1)
		}, oneItem), ReasonInvalidMessage},
		{"Batch Count too high", rawRequest(t, V1_4, batchCount(2), oneItem), ReasonInvalidMessage},
		{"no Batch Count", rawRequest(t, V1_4, func(*ttlv.Encoder) {}, oneItem), ReasonInvalidMessage},
		{"no items", rawRequest(t, V1_4, batchCount(0), func(*ttlv.Encoder) {}), ReasonInvalidMessage},
		{"unsupported version", rawRequest(t, Version{3, 0}, batchCount(1), oneItem), ReasonUnsupportedProtocolVersion},
		{"nested 40 deep", nested(40), ReasonInvalidMessage},
		{"truncated", rawRequest(t, V1_4, batchCount(1), oneItem)[:40], ReasonInvalidMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest(tt.msg)
			wantReason(t, err, tt.reason)
		})
	}
}

// nested returns a Request Message whose header nests depth Structures.
func nested(depth int) []byte {
	b := []byte{}
	for i := 0; i < depth; i++ {
		hdr := []byte{0x42, 0x00, 0x77, 0x01, 0, 0, 0, 0}
		if i == depth-1 {
			hdr[2] = 0x78 // outermost: Request Message
		}
		l := len(b)
		hdr[4], hdr[5], hdr[6], hdr[7] = byte(l>>24), byte(l>>16), byte(l>>8), byte(l)
		b = append(hdr, b...)
	}
	return b
}

func TestDecodeRequestKeepsVersionOnHeaderFault(t *testing.T) {
	m, err := DecodeRequest(rawRequest(t, V2_0, batchCount(5), func(e *ttlv.Encoder) {
		rawItem(e, kmip14.OperationDiscoverVersions, nil)
	}))
	wantReason(t, err, ReasonInvalidMessage)
	if m == nil || m.Header.Version != V2_0 {
		t.Fatalf("message %+v: version lost", m)
	}
}

func TestDecodeRequestItemFaultsStayInTheirItem(t *testing.T) {
	b := rawRequest(t, V1_4, batchCount(3), func(e *ttlv.Encoder) {
		rawItem(e, kmip14.OperationDiscoverVersions, []byte{1})
		rawItem(e, Operation(0xFF), []byte{2})
		e.EncodeStructure(kmip14.TagBatchItem, func(e *ttlv.Encoder) error {
			e.EncodeTextString(kmip14.TagOperation, "Get") // wrong type
			e.EncodeByteString(kmip14.TagUniqueBatchItemID, []byte{3})
			return nil
		})
	})
	m, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Items[1].Err == nil || m.Items[1].Err.Reason != ReasonOperationNotSupported {
		t.Errorf("unknown operation: %v", m.Items[1].Err)
	}
	if m.Items[2].Err == nil || m.Items[2].Err.Reason != ReasonInvalidMessage {
		t.Errorf("ill-typed Operation: %v", m.Items[2].Err)
	}
	for i, it := range m.Items {
		if it.ID[0] != byte(i+1) {
			t.Errorf("item %d: ID %x", i, it.ID)
		}
	}
}

func TestDecodeRequestBatchLimit(t *testing.T) {
	items := func(e *ttlv.Encoder) {
		for range 11 {
			rawItem(e, kmip14.OperationDiscoverVersions, nil)
		}
	}
	_, err := decodeRequest(rawRequest(t, V1_4, batchCount(11), items), 10)
	wantReason(t, err, ReasonInvalidMessage)
	_, err = decodeRequest(rawRequest(t, V2_0, batchCount(11), items), 10)
	wantReason(t, err, ReasonServerLimitExceeded)
}

func TestResponseRoundTripEveryVersion(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range SupportedVersions {
		t.Run(v.String(), func(t *testing.T) {
			in := &ResponseMessage{
				Header: ResponseHeader{Version: v, TimeStamp: ts, ClientCorrelationValue: "c", ServerCorrelationValue: "s"},
				Items: []ResponseItem{
					{Operation: kmip14.OperationDiscoverVersions, ID: []byte{7}, Status: kmip14.ResultStatusSuccess},
					{Operation: kmip14.OperationGet, ID: []byte{8}, Status: kmip14.ResultStatusOperationFailed,
						Reason: ReasonObjectNotFound, Message: "no such object"},
					{Status: kmip14.ResultStatusOperationFailed, Reason: ReasonInvalidMessage},
				},
			}
			b, err := EncodeResponse(in)
			if err != nil {
				t.Fatal(err)
			}
			hasCorrelation := bytes.Contains(b, []byte{0x42, 0x01, 0x05}) || bytes.Contains(b, []byte{0x42, 0x01, 0x06})
			if hasCorrelation != v.AtLeast(V1_4) {
				t.Errorf("correlation values present = %v in %v", hasCorrelation, v)
			}
			got, err := DecodeResponse(b)
			if err != nil {
				t.Fatal(err)
			}
			want := *in
			want.Header.BatchCount = 3
			want.Items = append([]ResponseItem(nil), in.Items...)
			if !v.AtLeast(V1_4) {
				want.Header.ClientCorrelationValue, want.Header.ServerCorrelationValue = "", ""
			}
			if !v.Is2x() {
				want.Items[1].Reason = ReasonItemNotFound // 2.x reason mapped to 1.x
			}
			got.Header.TimeStamp = got.Header.TimeStamp.UTC()
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("\n got %+v\nwant %+v", got, &want)
			}
		})
	}
}

func TestDecodeResponseFaults(t *testing.T) {
	good, err := EncodeResponse(&ResponseMessage{Header: ResponseHeader{Version: V1_4},
		Items: []ResponseItem{{Status: kmip14.ResultStatusSuccess}}})
	if err != nil {
		t.Fatal(err)
	}
	req := rawRequest(t, V1_4, batchCount(1), func(e *ttlv.Encoder) { rawItem(e, kmip14.OperationDiscoverVersions, nil) })
	for name, b := range map[string][]byte{"truncated": good[:len(good)-8], "request": req, "empty": nil} {
		if _, err := DecodeResponse(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
