package kmip

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The message codec: Request and Response Messages, their headers and batch
// items. Payloads are left to codec_payloads.go. Decoding validates the whole
// message first (linear, depth-limited) and then reads it with gemalto's
// accessors only; encoding uses gemalto's Encoder write calls.

// DecodeRequest decodes the Request Message b.
//
// A message-level fault (malformed TTLV, missing or ill-typed header field,
// Batch Count not matching the items, unsupported protocol version) returns
// an *Error. The returned message is then still non-nil when the header's
// Protocol Version could be read, so that the caller can answer in it.
//
// A fault inside one batch item (unreadable payload, unknown operation) is
// not an error of the message: it is recorded in that item's Err and the
// other items are decoded.
func DecodeRequest(b []byte) (*RequestMessage, error) {
	m, err := decodeRequest(b, 0)
	if err != nil {
		return m, err
	}
	return m, nil
}

// decodeRequest is DecodeRequest with a bound on the number of batch items
// (0: none). It returns *Error rather than error so that callers need no
// conversion.
func decodeRequest(b []byte, maxItems int) (*RequestMessage, *Error) {
	if err := validate(b); err != nil {
		return nil, invalidMessage("%v", err)
	}
	msg := ttlv.TTLV(b)
	if msg.Tag() != requestTag || msg.Type() != ttlv.TypeStructure {
		return nil, invalidMessage("not a Request Message")
	}
	var header ttlv.TTLV
	items := 0
	for c := range children(msg) {
		switch c.Tag() {
		case kmip14.TagRequestHeader:
			if header != nil {
				return nil, invalidMessage("two Request Headers")
			}
			header = c
		case kmip14.TagBatchItem:
			items++
		default:
			if !isExtensionTag(c.Tag()) {
				return nil, invalidMessage("unexpected %v in Request Message", c.Tag())
			}
		}
	}
	if header == nil {
		return nil, invalidMessage("no Request Header")
	}
	m := &RequestMessage{}
	if err := decodeRequestHeader(header, &m.Header); err != nil {
		if m.Header.Version == (Version{}) {
			return nil, err
		}
		return m, err
	}
	v := m.Header.Version
	if !v.Supported() {
		return m, &Error{Reason: ReasonUnsupportedProtocolVersion, Message: "protocol version " + v.String() + " not supported"}
	}
	if m.Header.BatchCount != items {
		return m, invalidMessage("Batch Count %d but %d Batch Items", m.Header.BatchCount, items)
	}
	if items == 0 {
		return m, invalidMessage("no Batch Item")
	}
	if maxItems > 0 && items > maxItems {
		reason := ReasonServerLimitExceeded
		if !v.Is2x() {
			reason = ReasonInvalidMessage
		}
		return m, Errorf(reason, "%d Batch Items, limit %d", items, maxItems)
	}
	m.Items = make([]RequestItem, 0, items)
	for c := range children(msg) {
		if c.Tag() == kmip14.TagBatchItem {
			m.Items = append(m.Items, decodeRequestItem(c, v))
		}
	}
	return m, nil
}

// decodeRequestHeader decodes the validated Request Header s into h.
func decodeRequestHeader(s ttlv.TTLV, h *RequestHeader) *Error {
	if s.Type() != ttlv.TypeStructure {
		return errWrongType(s)
	}
	h.BatchErrorContinuation = kmip14.BatchErrorContinuationOptionStop
	haveVersion, haveCount := false, false
	for c := range children(s) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagProtocolVersion:
			h.Version, err = decodeProtocolVersion(c)
			haveVersion = err == nil
		case kmip14.TagMaximumResponseSize:
			h.MaximumResponseSize, err = readInt(c)
		case kmip14.TagClientCorrelationValue:
			h.ClientCorrelationValue, err = readText(c)
		case kmip14.TagServerCorrelationValue:
			_, err = readText(c)
		case kmip14.TagAsynchronousIndicator:
			h.AsynchronousIndicator, err = readBool(c)
		case kmip14.TagAttestationCapableIndicator:
			_, err = readBool(c)
		case kmip14.TagAttestationType:
			_, err = readEnum(c)
		case kmip14.TagAuthentication:
			if h.Credential == nil {
				h.Credential, err = decodeAuthentication(c)
			}
		case kmip14.TagBatchErrorContinuationOption:
			var o uint32
			o, err = readEnum(c)
			h.BatchErrorContinuation = BatchErrorContinuation(o)
		case kmip14.TagBatchOrderOption:
			h.BatchOrderOption, err = readBool(c)
		case kmip14.TagTimeStamp:
			h.TimeStamp, err = readTime(c)
		case kmip14.TagBatchCount:
			var n int32
			n, err = readInt(c)
			h.BatchCount, haveCount = int(n), true
			if n < 0 {
				err = invalidMessage("negative Batch Count")
			}
		default:
			if !isExtensionTag(c.Tag()) {
				err = invalidMessage("unexpected %v in Request Header", c.Tag())
			}
		}
		if err != nil {
			return err
		}
	}
	if !haveVersion {
		return invalidMessage("no Protocol Version")
	}
	if !haveCount {
		return invalidMessage("no Batch Count")
	}
	return nil
}

// decodeProtocolVersion decodes a Protocol Version structure.
func decodeProtocolVersion(s ttlv.TTLV) (Version, *Error) {
	if s.Type() != ttlv.TypeStructure {
		return Version{}, errWrongType(s)
	}
	var v Version
	haveMajor := false
	for c := range children(s) {
		var n int32
		var err *Error
		switch c.Tag() {
		case kmip14.TagProtocolVersionMajor:
			n, err = readInt(c)
			v.Major, haveMajor = int(n), true
		case kmip14.TagProtocolVersionMinor:
			n, err = readInt(c)
			v.Minor = int(n)
		default:
			err = invalidMessage("unexpected %v in Protocol Version", c.Tag())
		}
		if err != nil {
			return Version{}, err
		}
	}
	if !haveMajor {
		return Version{}, invalidMessage("no Protocol Version Major")
	}
	return v, nil
}

// decodeAuthentication returns the first Credential of an Authentication
// structure. Username and Password are read from the Credential Value
// structure, and also directly from the Credential, a nesting some clients
// send.
func decodeAuthentication(s ttlv.TTLV) (*Credential, *Error) {
	if s.Type() != ttlv.TypeStructure {
		return nil, errWrongType(s)
	}
	for c := range children(s) {
		if c.Tag() != kmip14.TagCredential {
			continue
		}
		if c.Type() != ttlv.TypeStructure {
			return nil, errWrongType(c)
		}
		cred := &Credential{}
		for f := range children(c) {
			var err *Error
			switch f.Tag() {
			case kmip14.TagCredentialType:
				cred.Type, err = readEnum(f)
			case kmip14.TagCredentialValue:
				if f.Type() == ttlv.TypeStructure {
					err = decodeCredentialValue(f, cred)
				}
			case kmip14.TagUsername, kmip14.TagPassword:
				err = decodeUsernamePassword(c, cred)
			}
			if err != nil {
				return nil, err
			}
		}
		return cred, nil
	}
	return nil, invalidMessage("Authentication without Credential")
}

// decodeCredentialValue reads a Credential Value structure s: a Ticket
// (Credential Type Ticket), or a Username and Password.
func decodeCredentialValue(s ttlv.TTLV, cred *Credential) *Error {
	for f := range children(s) {
		if f.Tag() == kmip20.TagTicket {
			t, err := decodeTicket(V2_0, f)
			cred.Ticket = t
			return err
		}
	}
	return decodeUsernamePassword(s, cred)
}

// decodeUsernamePassword reads Username and Password from the fields of s.
func decodeUsernamePassword(s ttlv.TTLV, cred *Credential) *Error {
	for f := range children(s) {
		var err *Error
		switch f.Tag() {
		case kmip14.TagUsername:
			cred.Username, err = readText(f)
		case kmip14.TagPassword:
			cred.Password, err = readText(f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// emptyRequestPayload is an empty Request Payload structure, passed to the
// payload codec when a batch item has none.
var emptyRequestPayload = ttlv.TTLV{0x42, 0x00, 0x79, byte(ttlv.TypeStructure), 0, 0, 0, 0}

// decodeRequestItem decodes the validated Batch Item s of a request in
// version v. Faults are recorded in the item's Err.
func decodeRequestItem(s ttlv.TTLV, v Version) RequestItem {
	var item RequestItem
	if s.Type() != ttlv.TypeStructure {
		item.Err = errWrongType(s)
		return item
	}
	var payload ttlv.TTLV
	haveOp := false
	for c := range children(s) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagOperation:
			var op uint32
			op, err = readEnum(c)
			item.Operation, haveOp = Operation(op), err == nil
		case kmip14.TagUniqueBatchItemID:
			if c.Type() != ttlv.TypeByteString {
				err = errWrongType(c)
			} else {
				item.ID = presentID(c)
			}
		case kmip14.TagRequestPayload:
			if c.Type() != ttlv.TypeStructure {
				err = errWrongType(c)
			}
			payload = c
		case kmip14.TagMessageExtension, kmip20.TagEphemeral:
			// Message Extensions are vendor-defined and ignored; Ephemeral
			// (2.0) only matters for Create and Register, where the server
			// keeps the object anyway.
		default:
			if !isExtensionTag(c.Tag()) {
				err = invalidMessage("unexpected %v in Batch Item", c.Tag())
			}
		}
		if err != nil && item.Err == nil {
			item.Err = err
		}
	}
	switch {
	case item.Err != nil:
	case !haveOp:
		item.Err = invalidMessage("Batch Item without Operation")
	case !knownOperation(item.Operation):
		item.Err = Errorf(ReasonOperationNotSupported, "operation %#x not supported", uint32(item.Operation))
	default:
		if payload == nil {
			payload = emptyRequestPayload
		}
		item.Payload, item.Err = decodeRequestPayload(item.Operation, v, payload)
		if item.Err != nil {
			item.Payload = nil
		}
	}
	return item
}

// presentID returns a copy of the Unique Batch Item ID f, never nil, so
// that a present but empty ID is echoed as such, unlike an absent one (nil):
// "If a request has a Unique Batch Item ID, then responses to that request
// SHALL have the same Unique Batch Item ID" (KMIP 1.x section 6.4, Unique
// Batch Item ID; KMIP 2.x keeps the field and the rule).
func presentID(f ttlv.TTLV) []byte {
	return append([]byte{}, f.ValueByteString()...)
}

// knownOperation reports whether op is an operation of KMIP 1.0 to 2.1.
func knownOperation(op Operation) bool {
	return op >= kmip14.OperationCreate && op <= OperationReProvision || isVendorOperation(op)
}

// isExtensionTag reports whether t is in the vendor extension range
// (0x54xxxx), which the spec lets a receiver ignore.
func isExtensionTag(t ttlv.Tag) bool { return t>>16 == 0x54 }

// EncodeResponse encodes the Response Message r in r.Header.Version. Fields
// that version does not define are left out; 2.x-only Result Reasons are
// mapped to their 1.x equivalent (Reason1x) in a 1.x response. Batch Count
// is the number of items.
func EncodeResponse(r *ResponseMessage) ([]byte, error) {
	var e messageEncoder
	b, err := e.encodeResponse(r)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// EncodeRequest encodes the Request Message r in r.Header.Version. Batch
// Count is the number of items; an item with a nil Payload gets an empty
// Request Payload.
func EncodeRequest(r *RequestMessage) ([]byte, error) {
	var e messageEncoder
	b, err := e.encodeRequest(r)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(b), nil
}

// messageEncoder encodes messages into a buffer it reuses: after warm-up an
// encoding allocates nothing beyond what the payload codec does. The bytes
// returned are valid until the next call. Not safe for concurrent use.
type messageEncoder struct {
	buf bytes.Buffer
	enc *ttlv.Encoder
}

// encode runs f with the encoder and returns the bytes written.
func (m *messageEncoder) encode(f func(e *ttlv.Encoder) error) ([]byte, error) {
	if m.enc == nil {
		m.enc = ttlv.NewEncoder(&m.buf)
	}
	m.buf.Reset()
	err := f(m.enc)
	// Flush even after an error: it empties the encoder's internal buffer,
	// so that the next message starts clean.
	if ferr := m.enc.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		m.buf.Reset()
		return nil, err
	}
	return m.buf.Bytes(), nil
}

func (m *messageEncoder) encodeResponse(r *ResponseMessage) ([]byte, error) {
	return m.encode(func(e *ttlv.Encoder) error {
		return e.EncodeStructure(responseTag, func(e *ttlv.Encoder) error {
			v := r.Header.Version
			e.EncodeStructure(kmip14.TagResponseHeader, func(e *ttlv.Encoder) error {
				encodeProtocolVersion(e, v)
				ts := r.Header.TimeStamp
				if ts.IsZero() {
					ts = time.Now()
				}
				e.EncodeDateTime(kmip14.TagTimeStamp, ts)
				if v.AtLeast(V1_4) {
					if r.Header.ClientCorrelationValue != "" {
						e.EncodeTextString(kmip14.TagClientCorrelationValue, r.Header.ClientCorrelationValue)
					}
					if r.Header.ServerCorrelationValue != "" {
						e.EncodeTextString(kmip14.TagServerCorrelationValue, r.Header.ServerCorrelationValue)
					}
				}
				e.EncodeInteger(kmip14.TagBatchCount, int32(len(r.Items)))
				return nil
			})
			for i := range r.Items {
				if err := encodeResponseItem(e, v, &r.Items[i]); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func encodeResponseItem(e *ttlv.Encoder, v Version, it *ResponseItem) error {
	return e.EncodeStructure(kmip14.TagBatchItem, func(e *ttlv.Encoder) error {
		if it.Operation != 0 {
			e.EncodeEnumeration(kmip14.TagOperation, uint32(it.Operation))
		}
		if it.ID != nil {
			e.EncodeByteString(kmip14.TagUniqueBatchItemID, it.ID)
		}
		e.EncodeEnumeration(kmip14.TagResultStatus, uint32(it.Status))
		// A failed item carries a reason and no payload; an undone one keeps
		// the payload of the change that was reverted, without a reason.
		if it.Status == kmip14.ResultStatusOperationFailed {
			reason := it.Reason
			if !v.Is2x() {
				reason = Reason1x(reason)
			}
			e.EncodeEnumeration(kmip14.TagResultReason, uint32(reason))
			if it.Message != "" {
				e.EncodeTextString(kmip14.TagResultMessage, it.Message)
			}
			return nil
		}
		if it.Payload == nil {
			return e.EncodeStructure(kmip14.TagResponsePayload, noFields)
		}
		return encodeResponsePayload(e, it.Operation, v, it.Payload)
	})
}

func (m *messageEncoder) encodeRequest(r *RequestMessage) ([]byte, error) {
	return m.encode(func(e *ttlv.Encoder) error {
		return e.EncodeStructure(requestTag, func(e *ttlv.Encoder) error {
			h := &r.Header
			v := h.Version
			e.EncodeStructure(kmip14.TagRequestHeader, func(e *ttlv.Encoder) error {
				encodeProtocolVersion(e, v)
				if h.MaximumResponseSize > 0 {
					e.EncodeInteger(kmip14.TagMaximumResponseSize, h.MaximumResponseSize)
				}
				if h.ClientCorrelationValue != "" && v.AtLeast(V1_4) {
					e.EncodeTextString(kmip14.TagClientCorrelationValue, h.ClientCorrelationValue)
				}
				if h.AsynchronousIndicator {
					e.EncodeBoolean(kmip14.TagAsynchronousIndicator, true)
				}
				if c := h.Credential; c != nil {
					encodeAuthentication(e, c)
				}
				if h.BatchErrorContinuation != 0 {
					e.EncodeEnumeration(kmip14.TagBatchErrorContinuationOption, uint32(h.BatchErrorContinuation))
				}
				if h.BatchOrderOption {
					e.EncodeBoolean(kmip14.TagBatchOrderOption, true)
				}
				if !h.TimeStamp.IsZero() {
					e.EncodeDateTime(kmip14.TagTimeStamp, h.TimeStamp)
				}
				e.EncodeInteger(kmip14.TagBatchCount, int32(len(r.Items)))
				return nil
			})
			for i := range r.Items {
				it := &r.Items[i]
				err := e.EncodeStructure(kmip14.TagBatchItem, func(e *ttlv.Encoder) error {
					e.EncodeEnumeration(kmip14.TagOperation, uint32(it.Operation))
					if it.ID != nil {
						e.EncodeByteString(kmip14.TagUniqueBatchItemID, it.ID)
					}
					if it.Payload == nil {
						return e.EncodeStructure(kmip14.TagRequestPayload, noFields)
					}
					return encodeRequestPayload(e, it.Operation, v, it.Payload)
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	})
}

func encodeProtocolVersion(e *ttlv.Encoder, v Version) {
	e.EncodeStructure(kmip14.TagProtocolVersion, func(e *ttlv.Encoder) error {
		e.EncodeInteger(kmip14.TagProtocolVersionMajor, int32(v.Major))
		e.EncodeInteger(kmip14.TagProtocolVersionMinor, int32(v.Minor))
		return nil
	})
}

func encodeAuthentication(e *ttlv.Encoder, c *Credential) {
	e.EncodeStructure(kmip14.TagAuthentication, func(e *ttlv.Encoder) error {
		return e.EncodeStructure(kmip14.TagCredential, func(e *ttlv.Encoder) error {
			typ := c.Type
			switch {
			case typ != 0:
			case c.Ticket != nil:
				typ = CredentialTypeTicket
			default:
				typ = uint32(kmip14.CredentialTypeUsernameAndPassword)
			}
			e.EncodeEnumeration(kmip14.TagCredentialType, typ)
			return e.EncodeStructure(kmip14.TagCredentialValue, func(e *ttlv.Encoder) error {
				if c.Ticket != nil {
					encodeTicket(e, c.Ticket)
					return nil
				}
				e.EncodeTextString(kmip14.TagUsername, c.Username)
				if c.Password != "" {
					e.EncodeTextString(kmip14.TagPassword, c.Password)
				}
				return nil
			})
		})
	})
}

func noFields(*ttlv.Encoder) error { return nil }

// DecodeResponse decodes the Response Message b. A malformed message returns
// an *Error with Reason Invalid Message; a payload that cannot be decoded
// fails the call too, since the client cannot use the response.
func DecodeResponse(b []byte) (*ResponseMessage, error) {
	if err := validate(b); err != nil {
		return nil, invalidMessage("%v", err)
	}
	msg := ttlv.TTLV(b)
	if msg.Tag() != responseTag || msg.Type() != ttlv.TypeStructure {
		return nil, invalidMessage("not a Response Message")
	}
	r := &ResponseMessage{}
	haveHeader := false
	for c := range children(msg) {
		switch c.Tag() {
		case kmip14.TagResponseHeader:
			if err := decodeResponseHeader(c, &r.Header); err != nil {
				return nil, err
			}
			haveHeader = true
		case kmip14.TagBatchItem:
			if !haveHeader {
				return nil, invalidMessage("Batch Item before Response Header")
			}
			it, err := decodeResponseItem(c, r.Header.Version)
			if err != nil {
				return nil, err
			}
			r.Items = append(r.Items, it)
		}
	}
	if !haveHeader {
		return nil, invalidMessage("no Response Header")
	}
	if r.Header.BatchCount != len(r.Items) {
		return nil, invalidMessage("Batch Count %d but %d Batch Items", r.Header.BatchCount, len(r.Items))
	}
	return r, nil
}

func decodeResponseHeader(s ttlv.TTLV, h *ResponseHeader) *Error {
	if s.Type() != ttlv.TypeStructure {
		return errWrongType(s)
	}
	for c := range children(s) {
		var err *Error
		switch c.Tag() {
		case kmip14.TagProtocolVersion:
			h.Version, err = decodeProtocolVersion(c)
		case kmip14.TagTimeStamp:
			h.TimeStamp, err = readTime(c)
		case kmip14.TagClientCorrelationValue:
			h.ClientCorrelationValue, err = readText(c)
		case kmip14.TagServerCorrelationValue:
			h.ServerCorrelationValue, err = readText(c)
		case kmip14.TagBatchCount:
			var n int32
			n, err = readInt(c)
			h.BatchCount = int(n)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func decodeResponseItem(s ttlv.TTLV, v Version) (ResponseItem, error) {
	var it ResponseItem
	if s.Type() != ttlv.TypeStructure {
		return it, errWrongType(s)
	}
	var payload ttlv.TTLV
	for c := range children(s) {
		var err *Error
		var n uint32
		switch c.Tag() {
		case kmip14.TagOperation:
			n, err = readEnum(c)
			it.Operation = Operation(n)
		case kmip14.TagUniqueBatchItemID:
			if c.Type() != ttlv.TypeByteString {
				return it, errWrongType(c)
			}
			it.ID = presentID(c)
		case kmip14.TagResultStatus:
			n, err = readEnum(c)
			it.Status = ResultStatus(n)
		case kmip14.TagResultReason:
			n, err = readEnum(c)
			it.Reason = ResultReason(n)
		case kmip14.TagResultMessage:
			it.Message, err = readText(c)
		case kmip14.TagResponsePayload:
			if c.Type() != ttlv.TypeStructure {
				return it, errWrongType(c)
			}
			payload = c
		}
		if err != nil {
			return it, err
		}
	}
	hasPayload := it.Status == kmip14.ResultStatusSuccess || it.Status == kmip14.ResultStatusOperationUndone
	if payload != nil && hasPayload && len(payload.ValueStructure()) > 0 {
		p, err := decodeResponsePayload(it.Operation, v, payload)
		if err != nil {
			return it, fmt.Errorf("kmip: %v response payload: %w", it.Operation, err)
		}
		it.Payload = p
	}
	return it, nil
}

func invalidMessage(format string, args ...any) *Error {
	return Errorf(ReasonInvalidMessage, format, args...)
}
