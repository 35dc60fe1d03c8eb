package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// Check (every version), Log and Interop (2.x) payloads.

// decodeCheckFields reads the fields Check requests and responses share.
func decodeCheckFields(v Version, p ttlv.TTLV) (CheckRequest, *Error) {
	var r CheckRequest
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagUsageLimitsCount:
			r.UsageLimitsCount, err = readLong(c)
		case kmip14.TagCryptographicUsageMask:
			r.CryptographicUsageMask, err = readInt(c)
		case kmip14.TagLeaseTime:
			r.LeaseTime, err = readInterval(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return CheckRequest{}, err
		}
	}
	if r.UsageLimitsCount < 0 || r.LeaseTime < 0 {
		return CheckRequest{}, Errorf(ReasonInvalidField, "negative Usage Limits Count or Lease Time")
	}
	return r, nil
}

// encodeCheckFields writes the fields of a Check request or response; zero
// fields are left out.
func encodeCheckFields(e *ttlv.Encoder, r CheckRequest) {
	encodeUID(e, r.UniqueIdentifier)
	if r.UsageLimitsCount != 0 {
		e.EncodeLongInteger(kmip14.TagUsageLimitsCount, r.UsageLimitsCount)
	}
	if r.CryptographicUsageMask != 0 {
		e.EncodeInteger(kmip14.TagCryptographicUsageMask, r.CryptographicUsageMask)
	}
	if r.LeaseTime != 0 {
		e.EncodeInterval(kmip14.TagLeaseTime, r.LeaseTime)
	}
}

func decodeCheckRequest(v Version, p ttlv.TTLV) (*CheckRequest, *Error) {
	r, err := decodeCheckFields(v, p)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func decodeCheckResponse(v Version, p ttlv.TTLV) (*CheckResponse, *Error) {
	r, err := decodeCheckFields(v, p)
	if err != nil {
		return nil, err
	}
	resp := CheckResponse(r)
	return &resp, nil
}

func decodeLogRequest(v Version, p ttlv.TTLV) (*LogRequest, *Error) {
	r := &LogRequest{}
	var have bool
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip20.TagLogMessage {
			r.Message, err = readText(c)
			have = true
		} else {
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if !have {
		return nil, errMissing(v, "Log Message")
	}
	return r, nil
}

func encodeLogRequest(e *ttlv.Encoder, r *LogRequest) {
	e.EncodeTextString(kmip20.TagLogMessage, r.Message)
}

func decodeInteropRequest(v Version, p ttlv.TTLV) (*InteropRequest, *Error) {
	r := &InteropRequest{}
	var err *Error
	for c := range children(p) {
		switch c.Tag() {
		case kmip20.TagInteropFunction:
			var x uint32
			x, err = readEnum(c)
			r.Function = InteropFunction(x)
		case kmip20.TagInteropIdentifier:
			r.Identifier, err = readText(c)
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.Function == 0 {
		return nil, errMissing(v, "Interop Function")
	}
	return r, nil
}

func encodeInteropRequest(e *ttlv.Encoder, r *InteropRequest) {
	e.EncodeEnumeration(kmip20.TagInteropFunction, uint32(r.Function))
	if r.Identifier != "" {
		e.EncodeTextString(kmip20.TagInteropIdentifier, r.Identifier)
	}
}
