package kmip

import (
	"encoding/hex"
	"reflect"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

func TestPKCS11PayloadRoundTrip(t *testing.T) {
	cases := []struct {
		req  *PKCS11Request
		resp *PKCS11Response
	}{
		{
			&PKCS11Request{Function: PKCS11CInitialize, InputParameters: []byte{1}},
			&PKCS11Response{Function: PKCS11CInitialize, CorrelationValue: []byte("0123456789abcdef"), ReturnCode: PKCS11OK},
		},
		{
			&PKCS11Request{Interface: PKCS11DefaultInterface, Function: PKCS11CGetInfo, CorrelationValue: []byte{9, 8}},
			&PKCS11Response{Interface: PKCS11DefaultInterface, Function: PKCS11CGetInfo, OutputParameters: []byte{2, 40}, ReturnCode: PKCS11OK},
		},
		{
			&PKCS11Request{Function: 0x44, CorrelationValue: []byte{}, InputParameters: []byte{}}, // present but empty
			&PKCS11Response{Function: 0x44, ReturnCode: PKCS11FunctionNotSupported},
		},
	}
	for _, v := range []Version{V2_0, V2_1} {
		for _, c := range cases {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, OperationPKCS11, v, c.req) })
			got, kerr := decodeRequestPayload(OperationPKCS11, v, b)
			if kerr != nil {
				t.Fatalf("%v: decode request: %v", v, kerr)
			}
			if !reflect.DeepEqual(got, c.req) {
				t.Errorf("%v: request: got %#v, want %#v", v, got, c.req)
			}
			b = encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, OperationPKCS11, v, c.resp) })
			resp, err := decodeResponsePayload(OperationPKCS11, v, b)
			if err != nil {
				t.Fatalf("%v: decode response: %v", v, err)
			}
			if !reflect.DeepEqual(resp, c.resp) {
				t.Errorf("%v: response: got %#v, want %#v", v, resp, c.resp)
			}
		}
	}
}

// TestPKCS11ResponseWire checks the bytes against the C_Initialize response
// of PKCS11-M-1-21 built by hand: Function, Correlation Value, Return Code.
func TestPKCS11ResponseWire(t *testing.T) {
	corr := []byte{0xca, 0xfe}
	want := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip20.TagPKCS_11Function, 1)
			e.EncodeByteString(kmip14.TagCorrelationValue, corr)
			e.EncodeEnumeration(kmip20.TagPKCS_11ReturnCode, 0)
			return nil
		})
	})
	got := encodeBytes(t, func(e *ttlv.Encoder) error {
		return encodeResponsePayload(e, OperationPKCS11, V2_1, &PKCS11Response{Function: PKCS11CInitialize, CorrelationValue: corr, ReturnCode: PKCS11OK})
	})
	if hex.EncodeToString(got) != hex.EncodeToString(want) {
		t.Errorf("got  %x\nwant %x", got, want)
	}
}

func TestPKCS11PayloadRefused(t *testing.T) {
	req := &PKCS11Request{Function: PKCS11CInitialize}
	for _, v := range []Version{V1_0, V1_2, V1_4} {
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, OperationPKCS11, V2_1, req) })
		if _, err := decodeRequestPayload(OperationPKCS11, v, b); err == nil || err.Reason != ReasonOperationNotSupported {
			t.Errorf("%v: decode request: %v, want Operation Not Supported", v, err)
		}
		if _, err := decodeResponsePayload(OperationPKCS11, v, b); err == nil {
			t.Errorf("%v: decode response succeeded", v)
		}
	}
	// No PKCS#11 Function: Missing Data.
	empty := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeByteString(kmip14.TagCorrelationValue, []byte{1})
			return nil
		})
	})
	if _, err := decodeRequestPayload(OperationPKCS11, V2_1, empty); err == nil || err.Reason != ReasonMissingData {
		t.Errorf("no function: %v, want Missing Data", err)
	}
	// A Correlation Value of the wrong type: Invalid Message, no panic.
	wrong := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip20.TagPKCS_11Function, 1)
			e.EncodeTextString(kmip14.TagCorrelationValue, "x")
			return nil
		})
	})
	if _, err := decodeRequestPayload(OperationPKCS11, V2_1, wrong); err == nil || err.Reason != ReasonInvalidMessage {
		t.Errorf("text Correlation Value: %v, want Invalid Message", err)
	}
}

// TestPKCS11InfoVector serialises the CK_INFO of test case PKCS11-M-1-21's
// C_GetInfo response and parses it back.
func TestPKCS11InfoVector(t *testing.T) {
	const vector = "022854455354202020202020507479204c7464202020202020202020202020202020" +
		"0000000000000000" +
		"54455354202020202020202020202020202020202020202020202020202020200100"
	info := PKCS11Info{
		CryptokiVersion:    PKCS11Version{2, 40},
		ManufacturerID:     "TEST      Pty Ltd",
		LibraryDescription: "TEST",
		LibraryVersion:     PKCS11Version{1, 0},
	}
	b, _ := info.MarshalBinary()
	if got := hex.EncodeToString(b); got != vector {
		t.Fatalf("got  %s\nwant %s", got, vector)
	}
	var back PKCS11Info
	if err := back.UnmarshalBinary(b); err != nil || back != info {
		t.Errorf("UnmarshalBinary: %+v, %v", back, err)
	}
	if err := back.UnmarshalBinary(b[:75]); err == nil {
		t.Error("UnmarshalBinary accepted 75 bytes")
	}
	long := PKCS11Info{ManufacturerID: "0123456789012345678901234567890123456789"}
	if b, _ := long.MarshalBinary(); len(b) != pkcs11InfoSize || string(b[2:34]) != long.ManufacturerID[:32] {
		t.Errorf("long manufacturer: %q", b)
	}
}
