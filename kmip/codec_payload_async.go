package kmip

import (
	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// Poll and Cancel payloads (KMIP 1.4 sections 4.26 and 4.27, 2.1 sections
// 6.1.3 and 6.1.37): the same fields in every version.

// decodeCorrelationRequest reads the one field of a Poll or Cancel request,
// the Asynchronous Correlation Value, which is required.
func decodeCorrelationRequest(v Version, p ttlv.TTLV) ([]byte, *Error) {
	var value []byte
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip14.TagAsynchronousCorrelationValue {
			value, err = readBytes(c)
		} else {
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if value == nil {
		return nil, errMissing(v, "Asynchronous Correlation Value")
	}
	return value, nil
}

func decodePollRequest(v Version, p ttlv.TTLV) (*PollRequest, *Error) {
	value, err := decodeCorrelationRequest(v, p)
	if err != nil {
		return nil, err
	}
	return &PollRequest{AsynchronousCorrelationValue: value}, nil
}

func decodeCancelRequest(v Version, p ttlv.TTLV) (*CancelRequest, *Error) {
	value, err := decodeCorrelationRequest(v, p)
	if err != nil {
		return nil, err
	}
	return &CancelRequest{AsynchronousCorrelationValue: value}, nil
}

// decodePollResponse reads the payload of a Poll answered while the
// operation is pending, which is empty; other fields are ignored.
func decodePollResponse(Version, ttlv.TTLV) (*PollResponse, *Error) {
	return &PollResponse{}, nil
}

func decodeCancelResponse(v Version, p ttlv.TTLV) (*CancelResponse, *Error) {
	r := &CancelResponse{}
	for c := range children(p) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagAsynchronousCorrelationValue:
			r.AsynchronousCorrelationValue, err = readBytes(c)
		case kmip14.TagCancellationResult:
			var x uint32
			x, err = readEnum(c)
			r.CancellationResult = CancellationResult(x)
		}
		if err != nil {
			return nil, err
		}
	}
	if r.AsynchronousCorrelationValue == nil {
		return nil, errMissing(v, "Asynchronous Correlation Value")
	}
	if r.CancellationResult == 0 {
		return nil, errMissing(v, "Cancellation Result")
	}
	return r, nil
}

// encodeCorrelationValue writes the Asynchronous Correlation Value of a
// Poll or Cancel request or a Cancel response.
func encodeCorrelationValue(e *ttlv.Encoder, value []byte) {
	e.EncodeByteString(kmip14.TagAsynchronousCorrelationValue, value)
}

func encodeCancelResponse(e *ttlv.Encoder, r *CancelResponse) {
	encodeCorrelationValue(e, r.AsynchronousCorrelationValue)
	e.EncodeEnumeration(kmip14.TagCancellationResult, uint32(r.CancellationResult))
}
