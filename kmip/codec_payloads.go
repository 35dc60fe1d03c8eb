package kmip

// STUB: owned by the payload-codec helper, who replaces this file.

import (
	"errors"

	"github.com/gemalto/kmip-go/ttlv"
)

var errNotYet = errors.New("kmip: payload codec not written yet")

// decodeRequestPayload decodes the validated Request Payload of op in
// version v into a *XxxRequest of payloads.go. An operation the codec does
// not know yields Operation Not Supported; a malformed payload Invalid
// Message (or the more precise reason the version defines).
func decodeRequestPayload(op Operation, v Version, payload ttlv.TTLV) (any, *Error) {
	return nil, &Error{Reason: ReasonOperationNotSupported}
}

// encodeResponsePayload writes the Response Payload structure for payload
// (a *XxxResponse, or nil for an empty payload) in version v.
func encodeResponsePayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return errNotYet
}

// encodeRequestPayload writes the Request Payload structure for payload (a
// *XxxRequest) in version v. Used by Client.
func encodeRequestPayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return errNotYet
}

// decodeResponsePayload decodes the validated Response Payload of op in
// version v into a *XxxResponse. Used by Client.
func decodeResponsePayload(op Operation, v Version, payload ttlv.TTLV) (any, error) {
	return nil, errNotYet
}
