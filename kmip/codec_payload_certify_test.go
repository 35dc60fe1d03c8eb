package kmip

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// certifyTestVersions are the versions Certify and ReCertify are tested in:
// every 1.x shape and both 2.x ones.
var certifyTestVersions = []Version{V1_0, V1_2, V1_4, V2_0, V2_1}

// certifyPayloadCases are Certify and ReCertify requests and responses with
// every field version v defines set.
func certifyPayloadCases(v Version) []payloadCase {
	attrs := Attributes{
		{Name: AttrName, Value: Name{Value: "web-cert", Type: kmip14.NameTypeUninterpretedTextString}},
		{Name: AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify)},
	}
	var names []Name
	var requestID string
	if v.Is2x() {
		requestID = "csr-1"
	} else {
		names = []Name{{Value: "cert-template", Type: kmip14.NameTypeUninterpretedTextString}}
	}
	csr := []byte{0x30, 0x82, 0x01, 0x02, 0x03}
	offset := 24 * time.Hour
	return []payloadCase{
		{kmip14.OperationCertify,
			&CertifyRequest{UniqueIdentifier: "pub-1", CertificateRequestUniqueIdentifier: requestID,
				CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: csr,
				Attributes: attrs, TemplateNames: names},
			&CertifyResponse{UniqueIdentifier: "cert-1"}},
		{kmip14.OperationReCertify,
			&ReCertifyRequest{UniqueIdentifier: "cert-1", CertificateRequestUniqueIdentifier: requestID,
				CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: csr,
				Offset: &offset, Attributes: attrs, TemplateNames: names},
			&ReCertifyResponse{UniqueIdentifier: "cert-2"}},
		// Everything optional left out: the ID Placeholder names the key.
		{kmip14.OperationCertify, &CertifyRequest{}, &CertifyResponse{UniqueIdentifier: "cert-3"}},
		{kmip14.OperationReCertify, &ReCertifyRequest{}, &ReCertifyResponse{UniqueIdentifier: "cert-4"}},
	}
}

func TestCertifyPayloadRoundTrip(t *testing.T) {
	for _, v := range certifyTestVersions {
		for i, c := range certifyPayloadCases(v) {
			t.Run(v.String()+"/"+c.op.String()+"/"+string(rune('a'+i)), func(t *testing.T) { roundTripCase(t, v, c) })
		}
	}
}

// TestCertifyRequestShapes: 1.x carries the request as Certificate Request
// in a Template-Attribute payload, 2.x as Certificate Request Value with
// Attributes; a 1.x request cannot name a stored Certificate Request.
func TestCertifyRequestShapes(t *testing.T) {
	req := &CertifyRequest{
		UniqueIdentifier:       "pub-1",
		CertificateRequestType: kmip14.CertificateRequestTypePKCS_10,
		CertificateRequest:     []byte{0x30},
		Attributes:             Attributes{{Name: AttrCryptographicUsageMask, Value: int32(1)}},
	}
	for _, tc := range []struct {
		v    Version
		want []ttlv.Tag
	}{
		{V1_4, []ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCertificateRequestType, kmip14.TagCertificateRequest, kmip14.TagTemplateAttribute}},
		{V2_1, []ttlv.Tag{kmip14.TagUniqueIdentifier, kmip14.TagCertificateRequestType, kmip20.TagCertificateRequestValue, kmip20.TagAttributes}},
	} {
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationCertify, tc.v, req) })
		var tags []ttlv.Tag
		for c := range children(b) {
			tags = append(tags, c.Tag())
		}
		if !slices.Equal(tags, tc.want) {
			t.Errorf("%v: payload holds %v, want %v", tc.v, tags, tc.want)
		}
	}
	stored := &CertifyRequest{CertificateRequestUniqueIdentifier: "csr-1"}
	if err := encodeRequestPayload(ttlv.NewEncoder(io.Discard), kmip14.OperationCertify, V1_4, stored); err == nil {
		t.Error("Certificate Request Unique Identifier encoded in 1.4")
	}
}

// TestCertifyDecodeRejects: request bytes without their type are refused
// with the version's reason, and a 1.x request refuses the 2.x tags, as 2.x
// the 1.x one, with Invalid Message naming them.
func TestCertifyDecodeRejects(t *testing.T) {
	payload := func(f func(e *ttlv.Encoder)) []byte {
		return encodeBytes(t, func(e *ttlv.Encoder) error {
			return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error { f(e); return nil })
		})
	}
	untyped := payload(func(e *ttlv.Encoder) { e.EncodeByteString(kmip14.TagCertificateRequest, []byte{0x30}) })
	if _, err := decodeRequestPayload(kmip14.OperationCertify, V1_4, untyped); err == nil || err.Reason != ReasonInvalidMessage {
		t.Errorf("1.4 request without type: %v, want Invalid Message", err)
	}
	untyped2x := payload(func(e *ttlv.Encoder) { e.EncodeByteString(kmip20.TagCertificateRequestValue, []byte{0x30}) })
	if _, err := decodeRequestPayload(kmip14.OperationReCertify, V2_1, untyped2x); err == nil || err.Reason != ReasonMissingData {
		t.Errorf("2.1 request without type: %v, want Missing Data", err)
	}
	for _, tc := range []struct {
		v     Version
		field ttlv.Tag
		build func(e *ttlv.Encoder)
	}{
		{V1_4, kmip20.TagCertificateRequestUniqueIdentifier, func(e *ttlv.Encoder) {
			e.EncodeTextString(kmip20.TagCertificateRequestUniqueIdentifier, "csr-1")
		}},
		{V1_4, kmip20.TagCertificateRequestValue, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagCertificateRequestType, uint32(kmip14.CertificateRequestTypePKCS_10))
			e.EncodeByteString(kmip20.TagCertificateRequestValue, []byte{0x30})
		}},
		{V2_1, kmip14.TagCertificateRequest, func(e *ttlv.Encoder) {
			e.EncodeEnumeration(kmip14.TagCertificateRequestType, uint32(kmip14.CertificateRequestTypePKCS_10))
			e.EncodeByteString(kmip14.TagCertificateRequest, []byte{0x30})
		}},
	} {
		_, err := decodeRequestPayload(kmip14.OperationCertify, tc.v, payload(tc.build))
		if err == nil || err.Reason != ReasonInvalidMessage || !strings.Contains(err.Message, tagName(tc.field)) {
			t.Errorf("%v Certify with %s: %v, want Invalid Message naming it", tc.v, tagName(tc.field), err)
		}
	}
	wrongType := payload(func(e *ttlv.Encoder) { e.EncodeTextString(kmip14.TagCertificateRequest, "not bytes") })
	if _, err := decodeRequestPayload(kmip14.OperationCertify, V1_4, wrongType); err == nil || err.Reason != ReasonInvalidMessage {
		t.Errorf("text Certificate Request: %v, want Invalid Message", err)
	}
	b := encodeBytes(t, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagResponsePayload, func(*ttlv.Encoder) error { return nil })
	})
	if _, err := decodeResponsePayload(kmip14.OperationReCertify, V2_0, b); err == nil {
		t.Error("ReCertify response without Unique Identifier decoded")
	}
}
