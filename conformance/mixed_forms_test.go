package conformance

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"

	gkmip "github.com/gemalto/kmip-go"
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/kmip"
)

// The request payloads of this test, encoded by gemalto/kmip-go's
// reflective ttlv.Marshal (an encoder independent of kmipd's codec, fine on
// the trusted values of a test): each struct field becomes the element of
// its name.
type (
	// locateAttribute1x is a Locate payload with its filter in the KMIP
	// 1.x form: an Attribute structure.
	locateAttribute1x struct{ Attribute []gkmip.Attribute }
	// locateTemplate1x wraps the 1.x filter in a Template-Attribute, as
	// FortiGate does in 1.x.
	locateTemplate1x struct{ TemplateAttribute gkmip.TemplateAttribute }
	// locate2x is a Locate payload in the KMIP 2.x form: the filter is a
	// tagged Name in an Attributes structure.
	locate2x struct{ Attributes struct{ Name gkmip.Name } }
)

// TestMixedFormsRefused sends KMIP 2.1 requests that carry the KMIP 1.x
// attribute forms to kmipd over TLS (issue 14). A Locate whose filters are
// 1.x Attribute structures, bare or in a Template-Attribute, must be
// refused with Invalid Message naming the element, and return no object
// identifier (ignoring the filters would return every object of the
// caller); a Register whose attributes are in a Template-Attribute must be
// refused the same way and store nothing (ignoring it would store a key
// without the attributes asked for).
func TestMixedFormsRefused(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, t.TempDir())
	c := d.client(t) // KMIP 1.4, the project's client
	wanted := createKey(t, c, "mixed-forms-wanted", "")
	createKey(t, c, "mixed-forms-other", "")
	all := locateAll(t, c)
	if len(all) != 2 {
		t.Fatalf("Locate without filters found %d objects, want the 2 created", len(all))
	}
	conn := d.rawConn(t)

	// The 2.x form first: the same filter, well formed, finds one key, so
	// the refusals below are about the form, not about the message.
	item, resp := roundTripGemalto(t, conn, kmip14.OperationLocate,
		locate2x{Attributes: struct{ Name gkmip.Name }{nameOf("mixed-forms-wanted")}})
	if item.ResultStatus != kmip14.ResultStatusSuccess {
		t.Fatalf("2.1 Locate by tagged Name: %v %v %q", item.ResultStatus, item.ResultReason, item.ResultMessage)
	}
	if ids := uniqueIdentifiers(resp); len(ids) != 1 || ids[0] != wanted {
		t.Fatalf("2.1 Locate by tagged Name found %q, want [%s]", ids, wanted)
	}

	nameFilter := gkmip.Attribute{AttributeName: kmip.AttrName, AttributeValue: nameOf("mixed-forms-wanted")}
	for _, tc := range []struct {
		name    string
		payload any
		element string
	}{
		{"Attribute", locateAttribute1x{Attribute: []gkmip.Attribute{nameFilter}}, "Attribute"},
		{"Template-Attribute", locateTemplate1x{TemplateAttribute: gkmip.TemplateAttribute{Attribute: []gkmip.Attribute{nameFilter}}},
			"Template-Attribute"},
	} {
		t.Run("Locate/"+tc.name, func(t *testing.T) {
			item, resp := roundTripGemalto(t, conn, kmip14.OperationLocate, tc.payload)
			requireInvalidMessage(t, item, tc.element)
			if ids := uniqueIdentifiers(resp); len(ids) > 0 {
				t.Errorf("refused Locate returned the identifiers %q", ids)
			}
		})
	}

	t.Run("Register/Template-Attribute", func(t *testing.T) {
		register := gkmip.RegisterRequestPayload{
			ObjectType: kmip14.ObjectTypeSymmetricKey,
			TemplateAttribute: gkmip.TemplateAttribute{Attribute: []gkmip.Attribute{
				{AttributeName: kmip.AttrName, AttributeValue: nameOf("mixed-forms-registered")},
				{AttributeName: kmip.AttrCryptographicAlgorithm, AttributeValue: kmip14.CryptographicAlgorithmAES},
				{AttributeName: kmip.AttrCryptographicLength, AttributeValue: 128},
				{AttributeName: kmip.AttrCryptographicUsageMask, AttributeValue: kmip14.CryptographicUsageMaskEncrypt},
			}},
			SymmetricKey: &gkmip.SymmetricKey{KeyBlock: gkmip.KeyBlock{
				KeyFormatType:          kmip14.KeyFormatTypeRaw,
				KeyValue:               &gkmip.KeyValue{KeyMaterial: make([]byte, 16)},
				CryptographicAlgorithm: kmip14.CryptographicAlgorithmAES,
				CryptographicLength:    128,
			}},
		}
		item, resp := roundTripGemalto(t, conn, kmip14.OperationRegister, register)
		requireInvalidMessage(t, item, "Template-Attribute")
		if ids := uniqueIdentifiers(resp); len(ids) > 0 {
			t.Errorf("refused Register returned the identifiers %q", ids)
		}
		if ids := locateByName(t, c, "mixed-forms-registered"); len(ids) > 0 {
			t.Errorf("refused Register stored %q", ids)
		}
		if got := locateAll(t, c); len(got) != len(all) {
			t.Errorf("after the refused Register the client owns %d objects, want %d", len(got), len(all))
		}
	})
	d.requireAlive(t)
}

// roundTripGemalto sends one KMIP 2.1 request of op with payload, encoded
// by gemalto's ttlv.Marshal, on conn, and returns the one item of the
// response, decoded by gemalto's ttlv.Unmarshal, and the raw response.
func roundTripGemalto(t *testing.T, conn net.Conn, op kmip14.Operation, payload any) (gkmip.ResponseBatchItem, ttlv.TTLV) {
	t.Helper()
	return peerRoundTrip(t, conn, peerDialect{major: 2, minor: 1}, op, payload) // gemalto_peer_test.go
}

// readMessage reads one TTLV message from conn and validates it.
func readMessage(t *testing.T, conn net.Conn) ttlv.TTLV {
	t.Helper()
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		t.Fatalf("read response header: %v", err)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > 1<<20 {
		t.Fatalf("response header announces %d bytes", n)
	}
	msg := append(hdr, make([]byte, n)...)
	if _, err := io.ReadFull(conn, msg[8:]); err != nil {
		t.Fatalf("read response body: %v", err)
	}
	if err := ttlv.TTLV(msg).Valid(); err != nil || ttlv.TTLV(msg).Tag() != kmip14.TagResponseMessage {
		t.Fatalf("not a valid Response Message (%v): % x", err, msg[:min(len(msg), 64)])
	}
	return msg
}

// requireInvalidMessage checks that item failed with Invalid Message and a
// Result Message naming element.
func requireInvalidMessage(t *testing.T, item gkmip.ResponseBatchItem, element string) {
	t.Helper()
	if item.ResultStatus != kmip14.ResultStatusOperationFailed || item.ResultReason != kmip14.ResultReasonInvalidMessage {
		t.Errorf("answered %v %v %q, want Operation Failed, Invalid Message", item.ResultStatus, item.ResultReason, item.ResultMessage)
	}
	if !strings.Contains(item.ResultMessage, element) {
		t.Errorf("Result Message %q does not name %s", item.ResultMessage, element)
	}
}

// uniqueIdentifiers returns every Unique Identifier anywhere in the
// validated message m, depth first: its text, or its TTLV form when it is
// not a Text String.
func uniqueIdentifiers(m ttlv.TTLV) []string {
	var ids []string
	for item := m; item != nil; item = item.Next() {
		switch {
		case item.Tag() == kmip14.TagUniqueIdentifier && item.Type() == ttlv.TypeTextString:
			ids = append(ids, item.ValueTextString())
		case item.Tag() == kmip14.TagUniqueIdentifier:
			ids = append(ids, item.String())
		case item.Type() == ttlv.TypeStructure && item.Len() > 0:
			ids = append(ids, uniqueIdentifiers(item.ValueStructure())...)
		}
	}
	return ids
}

// nameOf is the Uninterpreted Text String Name value in gemalto's model.
func nameOf(value string) gkmip.Name {
	return gkmip.Name{NameValue: value, NameType: kmip14.NameTypeUninterpretedTextString}
}

// locateAll returns the identifiers of every object the client owns.
func locateAll(t *testing.T, c *kmip.Client) []string {
	t.Helper()
	return do[*kmip.LocateResponse](t, c, kmip14.OperationLocate, &kmip.LocateRequest{}).UniqueIdentifiers
}
