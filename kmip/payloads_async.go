package kmip

import "github.com/gemalto/kmip-go/kmip14"

// The payloads of the operations on asynchronous operations: Poll and Cancel
// (KMIP 1.4 sections 4.26 and 4.27, 2.1 sections 6.1.3 and 6.1.37), in every
// version. A server that answers a request with Result Status Operation
// Pending gives it an Asynchronous Correlation Value; the client then polls
// for the outcome with that value, or cancels the operation.

// CancellationResult is the outcome of a Cancel: Canceled, Unable to Cancel,
// Completed, Failed or Unavailable (no recently pending or completed
// operation has the value).
type CancellationResult = kmip14.CancellationResult

// PollRequest asks for the outcome of the pending asynchronous operation
// with AsynchronousCorrelationValue (required).
type PollRequest struct{ AsynchronousCorrelationValue []byte }

// PollResponse is the answer to a Poll while the operation is still
// pending: an empty payload. The outcome of a finished operation would be
// the response of that operation itself.
type PollResponse struct{}

// CancelRequest asks the server to cancel the pending asynchronous
// operation with AsynchronousCorrelationValue (required).
type CancelRequest struct{ AsynchronousCorrelationValue []byte }

// CancelResponse says what became of the operation; both fields are
// required.
type CancelResponse struct {
	AsynchronousCorrelationValue []byte
	CancellationResult           CancellationResult
}
