package kmip

import (
	"fmt"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/ttlv"
)

// The payload codec: the Request Payload and Response Payload of every
// operation the server implements, in every protocol version, in both
// directions (the server decodes requests and encodes responses, the Client
// the reverse). Each operation lives in a codec_payload_*.go file and has a
// row in the operation table (operations.go); this file dispatches.

// decodeRequestPayload decodes the validated Request Payload of op in
// version v into a *XxxRequest of payloads.go. An operation the codec does
// not know, or that v does not define (Defines), yields Operation Not
// Supported; a malformed payload Invalid Message (or the more precise
// reason the version defines).
func decodeRequestPayload(op Operation, v Version, payload ttlv.TTLV) (any, *Error) {
	if err := readStructure(payload); err != nil {
		return nil, err
	}
	d := lookupOp(op)
	if d == nil || !d.definedIn(v) {
		return nil, errOperationNotSupported(op)
	}
	return d.request.decode(v, payload)
}

// decodeResponsePayload decodes the validated Response Payload of op in
// version v into a *XxxResponse, refused as decodeRequestPayload refuses.
// Used by Client.
func decodeResponsePayload(op Operation, v Version, payload ttlv.TTLV) (any, error) {
	if err := readStructure(payload); err != nil {
		return nil, err
	}
	d := lookupOp(op)
	if d == nil || !d.definedIn(v) {
		return nil, errOperationNotSupported(op)
	}
	p, err := d.response.decode(v, payload)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// encodeResponsePayload writes the Response Payload structure for payload
// (the *XxxResponse of op, or nil for an empty payload) in version v.
func encodeResponsePayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return e.EncodeStructure(kmip14.TagResponsePayload, func(e *ttlv.Encoder) error {
		if payload == nil {
			return nil
		}
		d := lookupOp(op)
		if d == nil {
			return fmt.Errorf("kmip: %v: cannot encode response payload %T", op, payload)
		}
		return d.response.encode(e, v, payload)
	})
}

// encodeRequestPayload writes the Request Payload structure for payload
// (the *XxxRequest of op, or nil) in version v. Used by Client, which may
// send what v does not define (the tests do, to see it refused); the
// encoders of Export and Import refuse older versions themselves.
func encodeRequestPayload(e *ttlv.Encoder, op Operation, v Version, payload any) error {
	return e.EncodeStructure(kmip14.TagRequestPayload, func(e *ttlv.Encoder) error {
		if payload == nil {
			return nil
		}
		d := lookupOp(op)
		if d == nil {
			return fmt.Errorf("kmip: %v: cannot encode request payload %T", op, payload)
		}
		return d.request.encode(e, v, payload)
	})
}

// result converts a decoder's typed result to the dispatchers' (any,
// *Error), so that a failed decode never yields a typed nil payload.
func result[T any](p *T, err *Error) (any, *Error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}

// decodeUIDOnly decodes a payload whose only field is a Unique Identifier.
func decodeUIDOnly(v Version, p ttlv.TTLV) (string, *Error) {
	var id string
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip14.TagUniqueIdentifier {
			id, err = readUID(v, c)
		} else {
			err = extraField(v, p, c)
		}
		if err != nil {
			return "", err
		}
	}
	return id, nil
}
