package kmip

import (
	"time"

	"github.com/gemalto/kmip-go/kmip20"
)

// RequestHeader is the decoded Request Header of a Request Message.
type RequestHeader struct {
	Version                Version
	MaximumResponseSize    int32  // 0 when absent
	ClientCorrelationValue string // 1.4 and later
	AsynchronousIndicator  bool
	Credential             *Credential            // first Credential of the Authentication structure, if any
	BatchErrorContinuation BatchErrorContinuation // Stop when absent
	BatchOrderOption       bool
	TimeStamp              time.Time // zero when absent
	BatchCount             int
}

// Credential is the Credential the client put in the request header's
// Authentication. Username and Password, and Ticket (KMIP 2.0), are
// understood; other types are kept by type alone.
type Credential struct {
	Type     uint32 // Credential Type (1 Username and Password, 6 Ticket)
	Username string
	Password string
	Ticket   *Ticket // the Ticket of a Ticket Credential
}

// CredentialTypeTicket is the Credential Type of a Ticket Credential
// (KMIP 2.0), whose Credential Value is a Ticket from Login or Delegated
// Login.
const CredentialTypeTicket = uint32(kmip20.CredentialTypeTicket)

// RequestItem is one decoded Batch Item of a request.
//
// When the payload of a known operation could not be decoded, Payload is nil
// and Err holds the *Error the item must fail with; the other items of the
// batch are still served.
type RequestItem struct {
	Operation Operation
	ID        []byte // Unique Batch Item ID, echoed in the response; nil when absent
	Payload   any    // *CreateRequest, *GetRequest, ...; see payloads.go
	Err       *Error
}

// RequestMessage is a decoded Request Message.
type RequestMessage struct {
	Header RequestHeader
	Items  []RequestItem
}

// ResponseHeader is the Response Header of a Response Message. Fields that the
// response's version does not define are never encoded.
type ResponseHeader struct {
	Version                Version
	TimeStamp              time.Time
	ClientCorrelationValue string // echoed, 1.4 and later
	ServerCorrelationValue string // 1.4 and later
	BatchCount             int
}

// ResponseItem is one Batch Item of a response.
type ResponseItem struct {
	Operation Operation // zero when the request item's operation was unreadable
	ID        []byte
	Status    ResultStatus
	Reason    ResultReason // only when Status is not Success
	Message   string       // only when Status is not Success
	Payload   any          // *CreateResponse, ...; nil for failures and empty payloads
}

// ResponseMessage is a Response Message.
type ResponseMessage struct {
	Header ResponseHeader
	Items  []ResponseItem
}
