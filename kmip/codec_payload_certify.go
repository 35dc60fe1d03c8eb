package kmip

import (
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Certify and ReCertify payloads (KMIP 1.4 sections 4.7 and 4.8, 2.1
// sections 6.1.8 and 6.1.40). Their requests share every field but ReCertify's
// Offset:
//
//	Unique Identifier                      both versions
//	Certificate Request Unique Identifier  2.x only
//	Certificate Request Type               both versions
//	Certificate Request                    1.x (tag 0x420018)
//	Certificate Request Value              2.x (tag 0x420140)
//	Offset                                 ReCertify only
//	Template-Attribute / Attributes        1.x / 2.x
//
// Their responses carry the new certificate's Unique Identifier (1.x may add
// a Template-Attribute of the attributes the server set, which this codec
// neither writes nor needs).

// certification holds the fields of a Certify or ReCertify request.
type certification struct {
	id, requestID string
	requestType   CertificateRequestType
	request       []byte
	offset        *time.Duration
	attrs         Attributes
	names         []Name
}

// certificateRequestTag is the tag of the certificate request bytes in v.
func certificateRequestTag(v Version) ttlv.Tag {
	if v.Is2x() {
		return kmip20.TagCertificateRequestValue
	}
	return kmip14.TagCertificateRequest
}

// decodeCertification reads a Certify (withOffset false) or ReCertify
// request payload. A field that v does not define is extraField's to judge,
// as any other: the 1.x Certificate Request in 2.x is refused, as the 2.x
// Certificate Request Value and Unique Identifier in 1.x.
func decodeCertification(v Version, p ttlv.TTLV, withOffset bool) (*certification, *Error) {
	r := &certification{}
	var err *Error
	for c := range children(p) {
		switch {
		case c.Tag() == kmip14.TagUniqueIdentifier:
			r.id, err = readUID(v, c)
		case c.Tag() == kmip20.TagCertificateRequestUniqueIdentifier && v.Is2x():
			r.requestID, err = readUID(v, c)
		case c.Tag() == kmip14.TagCertificateRequestType:
			var x uint32
			x, err = readEnum(c)
			r.requestType = CertificateRequestType(x)
		case c.Tag() == certificateRequestTag(v):
			r.request, err = readBytes(c)
		case c.Tag() == kmip14.TagOffset && withOffset:
			r.offset, err = readOffset(c)
		case c.Tag() == kmip20.TagProtectionStorageMasks:
			err = unsupportedField(v, p, c)
		default:
			r.attrs, err = decodeAttrsField(v, p, c, r.attrs, &r.names)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(r.request) > 0 && r.requestType == 0 {
		return nil, errMissing(v, "Certificate Request Type")
	}
	return r, nil
}

// encodeCertification writes the fields of r that are set.
func encodeCertification(e *ttlv.Encoder, v Version, r *certification) error {
	encodeUID(e, r.id)
	if r.requestID != "" {
		if !v.Is2x() {
			return fmt.Errorf("kmip: Certificate Request Unique Identifier does not exist in KMIP %s", v)
		}
		e.EncodeTextString(kmip20.TagCertificateRequestUniqueIdentifier, r.requestID)
	}
	if r.requestType != 0 {
		e.EncodeEnumeration(kmip14.TagCertificateRequestType, uint32(r.requestType))
	}
	if len(r.request) > 0 {
		e.EncodeByteString(certificateRequestTag(v), r.request)
	}
	if r.offset != nil {
		e.EncodeInterval(kmip14.TagOffset, *r.offset)
	}
	if len(r.names) == 0 && len(r.attrs) == 0 {
		return nil
	}
	return encodeRequestAttrs(e, v, r.names, r.attrs)
}

func decodeCertifyRequest(v Version, p ttlv.TTLV) (*CertifyRequest, *Error) {
	r, err := decodeCertification(v, p, false)
	if err != nil {
		return nil, err
	}
	return &CertifyRequest{
		UniqueIdentifier:                   r.id,
		CertificateRequestUniqueIdentifier: r.requestID,
		CertificateRequestType:             r.requestType,
		CertificateRequest:                 r.request,
		Attributes:                         r.attrs,
		TemplateNames:                      r.names,
	}, nil
}

func encodeCertifyRequest(e *ttlv.Encoder, v Version, p *CertifyRequest) error {
	return encodeCertification(e, v, &certification{
		id:          p.UniqueIdentifier,
		requestID:   p.CertificateRequestUniqueIdentifier,
		requestType: p.CertificateRequestType,
		request:     p.CertificateRequest,
		attrs:       p.Attributes,
		names:       p.TemplateNames,
	})
}

func decodeReCertifyRequest(v Version, p ttlv.TTLV) (*ReCertifyRequest, *Error) {
	r, err := decodeCertification(v, p, true)
	if err != nil {
		return nil, err
	}
	return &ReCertifyRequest{
		UniqueIdentifier:                   r.id,
		CertificateRequestUniqueIdentifier: r.requestID,
		CertificateRequestType:             r.requestType,
		CertificateRequest:                 r.request,
		Offset:                             r.offset,
		Attributes:                         r.attrs,
		TemplateNames:                      r.names,
	}, nil
}

func encodeReCertifyRequest(e *ttlv.Encoder, v Version, p *ReCertifyRequest) error {
	return encodeCertification(e, v, &certification{
		id:          p.UniqueIdentifier,
		requestID:   p.CertificateRequestUniqueIdentifier,
		requestType: p.CertificateRequestType,
		request:     p.CertificateRequest,
		offset:      p.Offset,
		attrs:       p.Attributes,
		names:       p.TemplateNames,
	})
}

// decodeCertifiedID reads the response of Certify or ReCertify: the new
// certificate's Unique Identifier, which is required.
func decodeCertifiedID(v Version, p ttlv.TTLV) (string, *Error) {
	id, err := decodeUIDOnly(v, p)
	if err == nil && id == "" {
		err = errMissing(v, "Unique Identifier")
	}
	return id, err
}

func decodeCertifyResponse(v Version, p ttlv.TTLV) (*CertifyResponse, *Error) {
	id, err := decodeCertifiedID(v, p)
	return &CertifyResponse{UniqueIdentifier: id}, err
}

func decodeReCertifyResponse(v Version, p ttlv.TTLV) (*ReCertifyResponse, *Error) {
	id, err := decodeCertifiedID(v, p)
	return &ReCertifyResponse{UniqueIdentifier: id}, err
}
