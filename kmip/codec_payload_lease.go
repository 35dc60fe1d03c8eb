package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Get Usage Allocation and Obtain Lease payloads (KMIP 1.4 sections 4.13
// and 4.14, 2.1 sections 6.1.29 and 6.1.36): the same fields in every
// version. The responses of Get Usage Allocation and the request of Obtain
// Lease hold a Unique Identifier only (decodeUIDOnly, encodeUID).

func decodeGetUsageAllocationRequest(v Version, p ttlv.TTLV) (*GetUsageAllocationRequest, *Error) {
	r := &GetUsageAllocationRequest{}
	have := false
	for c := range children(p) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagUsageLimitsCount:
			r.UsageLimitsCount, err = readLong(c)
			have = err == nil
		default:
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if !have {
		return nil, errMissing(v, "Usage Limits Count")
	}
	if r.UsageLimitsCount <= 0 {
		return nil, Errorf(ReasonInvalidField, "Usage Limits Count must be positive")
	}
	return r, nil
}

func encodeGetUsageAllocationRequest(e *ttlv.Encoder, r *GetUsageAllocationRequest) {
	encodeUID(e, r.UniqueIdentifier)
	e.EncodeLongInteger(kmip14.TagUsageLimitsCount, r.UsageLimitsCount)
}

func decodeObtainLeaseResponse(v Version, p ttlv.TTLV) (*ObtainLeaseResponse, *Error) {
	r := &ObtainLeaseResponse{}
	haveLease := false
	for c := range children(p) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagUniqueIdentifier:
			r.UniqueIdentifier, err = readUID(v, c)
		case kmip14.TagLeaseTime:
			r.LeaseTime, err = readInterval(c)
			haveLease = err == nil
		case kmip14.TagLastChangeDate:
			r.LastChangeDate, err = readTime(c)
		}
		if err != nil {
			return nil, err
		}
	}
	switch {
	case r.UniqueIdentifier == "":
		return nil, errMissing(v, "Unique Identifier")
	case !haveLease:
		return nil, errMissing(v, "Lease Time")
	case r.LastChangeDate.IsZero():
		return nil, errMissing(v, "Last Change Date")
	}
	return r, nil
}

// encodeObtainLeaseResponse writes every field, a zero Lease Time included:
// zero is the answer that no lease interval applies.
func encodeObtainLeaseResponse(e *ttlv.Encoder, r *ObtainLeaseResponse) {
	e.EncodeTextString(kmip14.TagUniqueIdentifier, r.UniqueIdentifier)
	e.EncodeInterval(kmip14.TagLeaseTime, r.LeaseTime)
	e.EncodeDateTime(kmip14.TagLastChangeDate, r.LastChangeDate)
}
