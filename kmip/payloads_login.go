package kmip

import "time"

// Ticket is a Ticket structure (KMIP 2.0 and 2.1 section 2.1.25): what
// Login and Delegated Login return, and what a client presents in the
// request header's Authentication (Credential Type Ticket) or to Logout.
// Value is a secret: it is never logged, nor written in audit records.
type Ticket struct {
	Type  TicketType
	Value []byte
}

// TicketType is the Ticket Type enumeration (KMIP 2.0 section 11.54).
type TicketType uint32

// TicketTypeLogin is the only Ticket Type KMIP 2.0 and 2.1 define.
const TicketTypeLogin TicketType = 1

// String redacts the ticket: its Value is a bearer secret, which a %v of a
// request header must not print.
func (t *Ticket) String() string {
	if t == nil {
		return "<nil>"
	}
	return "Ticket{redacted}"
}

// LoginRequest asks for a Ticket the client presents in the headers of its
// next requests instead of its full credentials (KMIP 2.0 section 6.1.28,
// 2.1 section 6.1.30). LeaseTime (zero: the server's default) bounds how
// long it is valid; RequestCount (zero: no count) how many requests it
// serves. The server may grant less than either.
type LoginRequest struct {
	LeaseTime    time.Duration
	RequestCount int32
}

// LoginResponse holds the ticket Login or Delegated Login issued.
type LoginResponse struct{ Ticket Ticket }

// LogoutRequest invalidates a ticket (KMIP 2.0 section 6.1.29, 2.1 section
// 6.1.31). A nil Ticket stands for the one the request header presents.
type LogoutRequest struct{ Ticket *Ticket }

// DelegatedLoginRequest asks for a ticket that carries only Rights, a
// subset of the requester's own (KMIP 2.0 section 6.1.10, 2.1 section
// 6.1.11); LeaseTime and RequestCount are those of Login.
type DelegatedLoginRequest struct {
	LeaseTime    time.Duration
	RequestCount int32
	Rights       []Right
}

// Right is one Right of a Delegated Login's Rights (KMIP 2.0 and 2.1
// section 2.1.24): the Operations it allows on the Objects it names. An
// empty Operations allows every operation, an empty Objects every object
// (see the handler for how a server reads them).
type Right struct {
	Operations []Operation
	Objects    []string // Unique Identifiers
}
