package kmip

import (
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"github.com/gemalto/kmip-go/kmip20"
	"github.com/gemalto/kmip-go/ttlv"
)

// The Login, Logout and Delegated Login payloads (KMIP 2.0 and 2.1 section
// 6.1), and the Ticket structure they and the Ticket Credential carry.
// Their Usage Limits (of the ticket, or of a Right) are refused as not
// supported: a limit the server would not enforce must not be accepted.

func decodeLoginRequest(v Version, p ttlv.TTLV) (*LoginRequest, *Error) {
	r := &LoginRequest{}
	for c := range children(p) {
		if err := decodeTicketLimit(v, p, c, &r.LeaseTime, &r.RequestCount); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// decodeTicketLimit reads field c of a Login or Delegated Login request p
// that bounds the ticket: Lease Time or Request Count, neither negative.
func decodeTicketLimit(v Version, p, c ttlv.TTLV, lease *time.Duration, count *int32) *Error {
	var err *Error
	switch c.Tag() {
	case kmip14.TagLeaseTime:
		*lease, err = readInterval(c)
	case kmip20.TagRequestCount:
		if *count, err = readInt(c); err == nil && *count < 0 {
			err = Errorf(ReasonInvalidField, "negative Request Count")
		}
	case kmip14.TagUsageLimits:
		err = unsupportedField(v, p, c)
	default:
		err = extraField(v, p, c)
	}
	return err
}

func encodeLoginRequest(e *ttlv.Encoder, r *LoginRequest) {
	encodeTicketLimits(e, r.LeaseTime, r.RequestCount)
}

func encodeTicketLimits(e *ttlv.Encoder, lease time.Duration, count int32) {
	if lease != 0 {
		e.EncodeInterval(kmip14.TagLeaseTime, lease)
	}
	if count != 0 {
		e.EncodeInteger(kmip20.TagRequestCount, count)
	}
}

func decodeLoginResponse(v Version, p ttlv.TTLV) (*LoginResponse, *Error) {
	r := &LoginResponse{}
	have := false
	for c := range children(p) {
		if c.Tag() != kmip20.TagTicket {
			continue
		}
		t, err := decodeTicket(v, c)
		if err != nil {
			return nil, err
		}
		r.Ticket, have = *t, true
	}
	if !have {
		return nil, errMissing(v, "Ticket")
	}
	return r, nil
}

func encodeLoginResponse(e *ttlv.Encoder, r *LoginResponse) {
	encodeTicket(e, &r.Ticket)
}

func decodeLogoutRequest(v Version, p ttlv.TTLV) (*LogoutRequest, *Error) {
	r := &LogoutRequest{}
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip20.TagTicket && r.Ticket == nil {
			r.Ticket, err = decodeTicket(v, c)
		} else {
			err = extraField(v, p, c)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

func encodeLogoutRequest(e *ttlv.Encoder, r *LogoutRequest) {
	if r.Ticket != nil {
		encodeTicket(e, r.Ticket)
	}
}

func decodeDelegatedLoginRequest(v Version, p ttlv.TTLV) (*DelegatedLoginRequest, *Error) {
	r := &DelegatedLoginRequest{}
	have := false
	for c := range children(p) {
		var err *Error
		if c.Tag() == kmip20.TagRights && !have {
			have = true
			r.Rights, err = decodeRights(v, c)
		} else {
			err = decodeTicketLimit(v, p, c, &r.LeaseTime, &r.RequestCount)
		}
		if err != nil {
			return nil, err
		}
	}
	if !have {
		return nil, errMissing(v, "Rights")
	}
	return r, nil
}

// decodeRights reads a Rights structure: one or more Right.
func decodeRights(v Version, s ttlv.TTLV) ([]Right, *Error) {
	if err := readStructure(s); err != nil {
		return nil, err
	}
	var out []Right
	for c := range children(s) {
		if c.Tag() != kmip20.TagRight {
			if err := extraFilter(v, s, c); err != nil {
				return nil, err
			}
			continue
		}
		r, err := decodeRight(v, c)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errMissing(v, "Right")
	}
	return out, nil
}

// decodeRight reads a Right structure: Operations and Objects lists.
func decodeRight(v Version, s ttlv.TTLV) (Right, *Error) {
	var r Right
	if err := readStructure(s); err != nil {
		return r, err
	}
	for c := range children(s) {
		var err *Error
		switch c.Tag() {
		case kmip20.TagOperations:
			err = readList(v, c, kmip14.TagOperation, func(f ttlv.TTLV) *Error {
				op, err := readEnum(f)
				r.Operations = append(r.Operations, Operation(op))
				return err
			})
		case kmip20.TagObjects:
			err = readList(v, c, kmip14.TagUniqueIdentifier, func(f ttlv.TTLV) *Error {
				id, err := readText(f)
				r.Objects = append(r.Objects, id)
				return err
			})
		case kmip14.TagUsageLimits:
			err = unsupportedField(v, s, c)
		default:
			err = extraFilter(v, s, c)
		}
		if err != nil {
			return Right{}, err
		}
	}
	return r, nil
}

// readList reads structure s, whose fields must all be of tag, with read.
func readList(v Version, s ttlv.TTLV, tag ttlv.Tag, read func(ttlv.TTLV) *Error) *Error {
	if err := readStructure(s); err != nil {
		return err
	}
	for c := range children(s) {
		if c.Tag() != tag {
			if err := extraFilter(v, s, c); err != nil {
				return err
			}
			continue
		}
		if err := read(c); err != nil {
			return err
		}
	}
	return nil
}

func encodeDelegatedLoginRequest(e *ttlv.Encoder, r *DelegatedLoginRequest) {
	encodeTicketLimits(e, r.LeaseTime, r.RequestCount)
	e.EncodeStructure(kmip20.TagRights, func(e *ttlv.Encoder) error {
		for i := range r.Rights {
			right := &r.Rights[i]
			e.EncodeStructure(kmip20.TagRight, func(e *ttlv.Encoder) error {
				if len(right.Operations) > 0 {
					e.EncodeStructure(kmip20.TagOperations, func(e *ttlv.Encoder) error {
						for _, op := range right.Operations {
							e.EncodeEnumeration(kmip14.TagOperation, uint32(op))
						}
						return nil
					})
				}
				if len(right.Objects) > 0 {
					e.EncodeStructure(kmip20.TagObjects, func(e *ttlv.Encoder) error {
						for _, id := range right.Objects {
							e.EncodeTextString(kmip14.TagUniqueIdentifier, id)
						}
						return nil
					})
				}
				return nil
			})
		}
		return nil
	})
}

// decodeTicket reads a Ticket structure; both its fields are required.
func decodeTicket(v Version, s ttlv.TTLV) (*Ticket, *Error) {
	if err := readStructure(s); err != nil {
		return nil, err
	}
	t := &Ticket{}
	for c := range children(s) {
		var err *Error
		switch c.Tag() {
		case kmip20.TagTicketType:
			var x uint32
			x, err = readEnum(c)
			t.Type = TicketType(x)
		case kmip20.TagTicketValue:
			t.Value, err = readBytes(c)
		default:
			err = extraFilter(v, s, c)
		}
		if err != nil {
			return nil, err
		}
	}
	if t.Type == 0 || t.Value == nil {
		return nil, errMissing(v, "Ticket Type or Ticket Value")
	}
	return t, nil
}

func encodeTicket(e *ttlv.Encoder, t *Ticket) {
	e.EncodeStructure(kmip20.TagTicket, func(e *ttlv.Encoder) error {
		e.EncodeEnumeration(kmip20.TagTicketType, uint32(t.Type))
		e.EncodeByteString(kmip20.TagTicketValue, t.Value)
		return nil
	})
}
