package handlers

import (
	"context"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// Poll and Cancel (KMIP 1.4 sections 4.26 and 4.27, 2.1 sections 6.1.3 and
// 6.1.37) act on operations a server answered with Result Status Operation
// Pending, through the Asynchronous Correlation Value it gave them.
//
// This server performs every operation before it answers: it never answers
// Operation Pending, so it never gives out an Asynchronous Correlation
// Value, and no value a client sends names an operation of it. A request
// whose header sets Asynchronous Indicator is answered synchronously like
// any other: the indicator says that the client could accept a pending
// answer, not that it wants one.
//
// Poll therefore fails as the specification says for a value that names no
// outstanding operation: Item Not Found in 1.x, Invalid Asynchronous
// Correlation Value in 2.x (which adds that reason for this case). Cancel
// succeeds with the Cancellation Result the specification defines for it,
// Unavailable: "the specified correlation value did not match any recently
// pending or completed asynchronous operations". Neither reads or changes
// anything; a value is never echoed into a message or a log.

// poll answers a Poll.
func (s *Service) poll(_ context.Context, req *kmip.Request, _ *kmip.PollRequest) (any, error) {
	return nil, &kmip.Error{
		Reason:  kmip.ReasonInvalidAsynchronousCorrelationValue,
		Message: "no outstanding asynchronous operation has this Asynchronous Correlation Value (the server answers every request synchronously)",
	}
}

// cancel answers a Cancel.
func (s *Service) cancel(_ context.Context, _ *kmip.Request, p *kmip.CancelRequest) (any, error) {
	return &kmip.CancelResponse{
		AsynchronousCorrelationValue: p.AsynchronousCorrelationValue,
		CancellationResult:           kmip14.CancellationResultUnavailable,
	}, nil
}
