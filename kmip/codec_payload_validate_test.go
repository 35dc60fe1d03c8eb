package kmip

import (
	"reflect"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// TestValidatePayloadRoundTrip: the Validate payloads survive the codec in
// every version, and a request naming no certificate is refused.
func TestValidatePayloadRoundTrip(t *testing.T) {
	cert := Object{Type: kmip14.ObjectTypeCertificate, CertificateType: kmip14.CertificateTypeX_509, CertificateValue: []byte{0x30, 1, 2}}
	for _, v := range everyVersion {
		for _, req := range []*ValidateRequest{
			{Certificates: []Object{cert, cert}, UniqueIdentifiers: []string{"a"}, ValidityDate: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
			{UniqueIdentifiers: []string{"a", "b"}},
		} {
			b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeRequestPayload(e, kmip14.OperationValidate, v, req) })
			got, err := decodeRequestPayload(kmip14.OperationValidate, v, b)
			if err != nil || !reflect.DeepEqual(got, req) {
				t.Errorf("%v: decoded %+v, %v; want %+v", v, got, err, req)
			}
		}
		resp := &ValidateResponse{ValidityIndicator: Unknown}
		b := encodeBytes(t, func(e *ttlv.Encoder) error { return encodeResponsePayload(e, kmip14.OperationValidate, v, resp) })
		if got, err := decodeResponsePayload(kmip14.OperationValidate, v, b); err != nil || !reflect.DeepEqual(got, resp) {
			t.Errorf("%v: response %+v, %v", v, got, err)
		}
		if p, err := decodeRequestPayload(kmip14.OperationValidate, v, requestPayload(t)); err == nil {
			t.Errorf("%v: an empty Validate decoded as %+v", v, p)
		}
	}
}
