package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Validate payloads (KMIP 1.0 to 1.4 section 4, 2.0 and 2.1 section 6.1): the
// same fields in every version.

func decodeValidateRequest(v Version, p ttlv.TTLV) (*ValidateRequest, *Error) {
	r := &ValidateRequest{}
	for c := range children(p) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagCertificate:
			var obj Object
			if obj, err = decodeObject(v, c); err == nil {
				r.Certificates = append(r.Certificates, obj)
			}
		case kmip14.TagUniqueIdentifier:
			var id string
			if id, err = readText(c); err == nil {
				r.UniqueIdentifiers = append(r.UniqueIdentifiers, id)
			}
		case kmip14.TagValidityDate:
			r.ValidityDate, err = readTime(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(r.Certificates)+len(r.UniqueIdentifiers) == 0 {
		return nil, errMissing(v, "Certificate or Unique Identifier")
	}
	return r, nil
}

func encodeValidateRequest(e *ttlv.Encoder, v Version, r *ValidateRequest) error {
	for i := range r.Certificates {
		if err := encodeObject(e, v, &r.Certificates[i]); err != nil {
			return err
		}
	}
	for _, id := range r.UniqueIdentifiers {
		e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
	}
	if !r.ValidityDate.IsZero() {
		e.EncodeDateTime(kmip14.TagValidityDate, r.ValidityDate)
	}
	return nil
}

func decodeValidateResponse(v Version, p ttlv.TTLV) (*ValidateResponse, *Error) {
	r := &ValidateResponse{}
	for c := range children(p) {
		if c.Tag() == kmip14.TagValidityIndicator {
			x, err := readEnum(c)
			if err != nil {
				return nil, err
			}
			r.ValidityIndicator = ValidityIndicator(x)
		}
	}
	if r.ValidityIndicator == 0 {
		return nil, errMissing(v, "Validity Indicator")
	}
	return r, nil
}

func encodeValidateResponse(e *ttlv.Encoder, r *ValidateResponse) {
	e.EncodeEnumeration(kmip14.TagValidityIndicator, uint32(r.ValidityIndicator))
}
