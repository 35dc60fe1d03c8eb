package kmip

import (
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

func TestBackupPayloadRoundTrip(t *testing.T) {
	corr := []byte("0123456789abcdef")
	cases := []payloadCase{
		{OperationVendorBackup, &BackupRequest{Function: BackupBegin}, &BackupResponse{CorrelationValue: corr, Size: 5 << 30}},
		{OperationVendorBackup, &BackupRequest{Function: BackupRead, CorrelationValue: corr, Offset: 4 << 30, Length: 1 << 20},
			&BackupResponse{CorrelationValue: corr, Data: []byte{1, 2, 3}}},
		{OperationVendorBackup, &BackupRequest{Function: BackupEnd, CorrelationValue: corr}, &BackupResponse{CorrelationValue: corr}},
	}
	for _, v := range []Version{V1_0, V1_4, V2_1} {
		for _, c := range cases {
			roundTripCase(t, v, c)
		}
	}
}

// TestBackupRequestMessage checks that a whole request message with the
// vendor operation decodes (the operation is known, not refused as an
// unsupported one) and that the operation has its name.
func TestBackupRequestMessage(t *testing.T) {
	b, err := EncodeRequest(&RequestMessage{
		Header: RequestHeader{Version: V1_4},
		Items:  []RequestItem{{Operation: OperationVendorBackup, Payload: &BackupRequest{Function: BackupBegin}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	it := msg.Items[0]
	if it.Err != nil {
		t.Fatalf("item error: %v", it.Err)
	}
	if p, ok := it.Payload.(*BackupRequest); !ok || p.Function != BackupBegin {
		t.Errorf("payload %#v", it.Payload)
	}
	// The registry normalizes the name as KMIP enumeration names are.
	if got := OperationVendorBackup.String(); got != "XKmipdBackup" {
		t.Errorf("name %q", got)
	}
}

func TestBackupRequestRefusesBadInput(t *testing.T) {
	for name, tc := range map[string]struct {
		fields func(e *ttlv.Encoder)
		want   ResultReason
	}{
		"no function":        {func(e *ttlv.Encoder) {}, ReasonInvalidMessage},
		"unknown function":   {func(e *ttlv.Encoder) { e.EncodeEnumeration(TagBackupFunction, 9) }, ReasonInvalidField},
		"read without value": {func(e *ttlv.Encoder) { e.EncodeEnumeration(TagBackupFunction, uint32(BackupRead)) }, ReasonInvalidMessage},
		"negative offset": {func(e *ttlv.Encoder) {
			e.EncodeEnumeration(TagBackupFunction, uint32(BackupRead))
			e.EncodeByteString(kmip14.TagCorrelationValue, []byte{1})
			e.EncodeLongInteger(TagBackupOffset, -1)
		}, ReasonInvalidField},
		"wrong type": {func(e *ttlv.Encoder) { e.EncodeTextString(TagBackupFunction, "begin") }, ReasonInvalidMessage},
	} {
		b := encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error { tc.fields(e); return nil })
		})
		_, kerr := decodeRequestPayload(OperationVendorBackup, V1_4, b)
		if kerr == nil || kerr.Reason != tc.want {
			t.Errorf("%s: got %v, want %v", name, kerr, tc.want)
		}
	}
}
