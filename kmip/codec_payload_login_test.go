package kmip

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"

	"github.com/kmipd/kmipd/conformance/corpus"
)

// TestLoginPayloadRoundTrip: the Login, Logout and Delegated Login
// payloads survive encoding and decoding in 2.0 and 2.1, and 1.x does not
// define them.
func TestLoginPayloadRoundTrip(t *testing.T) {
	ticket := &Ticket{Type: TicketTypeLogin, Value: []byte{1, 2, 3}}
	items := []struct {
		op  Operation
		req any
	}{
		{OperationLogin, &LoginRequest{LeaseTime: time.Hour, RequestCount: 3}},
		{OperationLogin, &LoginRequest{}},
		{OperationLogout, &LogoutRequest{Ticket: ticket}},
		{OperationLogout, &LogoutRequest{}},
		{OperationDelegatedLogin, &DelegatedLoginRequest{RequestCount: 1, Rights: []Right{
			{Operations: []Operation{kmip14.OperationQuery, OperationLog}},
			{Operations: []Operation{kmip14.OperationGetAttributes}, Objects: []string{"a", "b"}},
			{Objects: []string{"c"}},
			{},
		}}},
	}
	for _, v := range []Version{V2_0, V2_1} {
		for _, it := range items {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, it.op, v, it.req) })
			got, err := decodeRequestPayload(it.op, v, b)
			if err != nil || !reflect.DeepEqual(got, it.req) {
				t.Errorf("%v %v: decoded %+v, %v; want %+v", v, it.op, got, err, it.req)
			}
		}
		resp := &LoginResponse{Ticket: *ticket}
		for _, op := range []Operation{OperationLogin, OperationDelegatedLogin} {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, op, v, resp) })
			got, err := decodeResponsePayload(op, v, b)
			if err != nil || !reflect.DeepEqual(got, resp) {
				t.Errorf("%v %v: response %+v, %v", v, op, got, err)
			}
		}
	}
	for _, op := range []Operation{OperationLogin, OperationLogout, OperationDelegatedLogin} {
		if Defines(V1_4, op) || !Defines(V2_0, op) || !Defines(V2_1, op) {
			t.Errorf("%v: defined in 1.4 %v, 2.0 %v, 2.1 %v; want 2.x only", op, Defines(V1_4, op), Defines(V2_0, op), Defines(V2_1, op))
		}
	}
}

// TestLoginRequestRefusals: what the codec refuses in the payloads.
func TestLoginRequestRefusals(t *testing.T) {
	right := func(fields ...func(e *ttlv.Encoder)) func(e *ttlv.Encoder) {
		return container(kmip20.TagRights, container(kmip20.TagRight, fields...))
	}
	ops := func(e *ttlv.Encoder) {
		e.EncodeStructure(kmip20.TagOperations, func(e *ttlv.Encoder) error {
			e.EncodeEnumeration(kmip14.TagOperation, uint32(kmip14.OperationGet))
			return nil
		})
	}
	usageLimits := container(kmip14.TagUsageLimits, func(e *ttlv.Encoder) { e.EncodeLongInteger(kmip14.TagUsageLimitsTotal, 5) })
	for _, tc := range []struct {
		name   string
		op     Operation
		fields []func(e *ttlv.Encoder)
		reason ResultReason
		names  string
	}{
		{"a negative Request Count", OperationLogin, []func(*ttlv.Encoder){func(e *ttlv.Encoder) { e.EncodeInteger(kmip20.TagRequestCount, -1) }}, ReasonInvalidField, "Request Count"},
		{"Usage Limits of the ticket", OperationLogin, []func(*ttlv.Encoder){usageLimits}, ReasonFeatureNotSupported, "Usage Limits"},
		{"a Lease Time of the wrong type", OperationLogin, []func(*ttlv.Encoder){func(e *ttlv.Encoder) { e.EncodeInteger(kmip14.TagLeaseTime, 5) }}, ReasonInvalidMessage, "Lease Time"},
		{"no Rights", OperationDelegatedLogin, nil, ReasonMissingData, "Rights"},
		{"empty Rights", OperationDelegatedLogin, []func(*ttlv.Encoder){container(kmip20.TagRights)}, ReasonMissingData, "Right"},
		{"Usage Limits of a Right", OperationDelegatedLogin, []func(*ttlv.Encoder){right(ops, usageLimits)}, ReasonFeatureNotSupported, "Usage Limits"},
		{"a Name in Objects", OperationDelegatedLogin, []func(*ttlv.Encoder){right(container(kmip20.TagObjects, func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip14.TagName, "k")
		}))}, ReasonInvalidMessage, "Name"},
		{"an ID Placeholder in Objects", OperationDelegatedLogin, []func(*ttlv.Encoder){right(container(kmip20.TagObjects, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagUniqueIdentifier, 1)
		}))}, ReasonInvalidMessage, "Unique Identifier"},
		{"a Ticket without its Value", OperationLogout, []func(*ttlv.Encoder){container(kmip20.TagTicket, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip20.TagTicketType, uint32(TicketTypeLogin))
		})}, ReasonMissingData, "Ticket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeRequestPayload(tc.op, V2_0, requestPayload(t, tc.fields...))
			if err == nil || err.Reason != tc.reason || !strings.Contains(err.Message, tc.names) {
				t.Errorf("decoded %+v, %v; want %v naming %s", p, err, tc.reason, tc.names)
			}
		})
	}
}

// TestTicketCredentialRoundTrip: a Ticket Credential in a request header
// survives the codec, and its value is not printed with the header.
func TestTicketCredentialRoundTrip(t *testing.T) {
	ticket := &Ticket{Type: TicketTypeLogin, Value: []byte("secret-ticket-value")}
	b, err := EncodeRequest(&RequestMessage{
		Header: RequestHeader{Version: V2_0, Credential: &Credential{Ticket: ticket}},
		Items:  []RequestItem{{Operation: kmip14.OperationQuery, Payload: &QueryRequest{}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Header.Credential
	if c == nil || c.Type != CredentialTypeTicket || !reflect.DeepEqual(c.Ticket, ticket) {
		t.Fatalf("decoded Credential %+v", c)
	}
	if s := strings.Join([]string{ticket.String(), fmtV(m.Header), fmtV(c)}, " "); strings.Contains(s, "secret") {
		t.Errorf("the ticket value is printed: %s", s)
	}
}

// TestDecodeLoginVectors decodes the Login, Logout and Delegated Login
// requests of the OASIS test cases TC-LOGIN-1..3 and TC-DLOGIN-1..2 of KMIP
// Test Cases 2.0.
func TestDecodeLoginVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpus.Require(t, "v2.0-tc"), "v2.0-tc", "TC-*LOGIN-*.xml"))
	if err != nil || len(files) != 5 {
		t.Fatalf("TC-LOGIN files: %v, %v", files, err)
	}
	seen := map[Operation]int{}
	for _, file := range files {
		for _, r := range loadVectorRequests(t, file) {
			switch r.op {
			case OperationLogin, OperationLogout, OperationDelegatedLogin:
			default:
				continue
			}
			p, err := decodeRequestPayload(r.op, r.version, r.payload)
			if err != nil {
				t.Errorf("%s: %v: %v", filepath.Base(file), r.op, err)
				continue
			}
			seen[r.op]++
			if d, ok := p.(*DelegatedLoginRequest); ok && (len(d.Rights) == 0 || len(d.Rights[0].Operations) == 0) {
				t.Errorf("%s: decoded %+v", filepath.Base(file), d)
			}
		}
	}
	if seen[OperationLogin] != 3 || seen[OperationLogout] != 1 || seen[OperationDelegatedLogin] != 2 {
		t.Errorf("decoded %v", seen)
	}
}

func fmtV(v any) string { return fmt.Sprintf("%v %+v", v, v) }
