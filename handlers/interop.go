package handlers

import (
	"context"
	"go.uber.org/zap"

	"github.com/kmipd/kmipd/kmip"
)

// maxLogMessage is how much of a Log request's message the server records.
const maxLogMessage = 1024

// logMessage (2.x Log) records the client's message at info level with the
// client's identity, truncated to maxLogMessage bytes so that a client cannot
// flood the log. The response is empty.
func (s *Service) logMessage(_ context.Context, req *kmip.Request, p *kmip.LogRequest) (any, error) {
	msg := p.Message
	truncated := len(msg) > maxLogMessage
	if truncated {
		msg = msg[:maxLogMessage]
	}
	s.log.Info("client log message", zap.String("owner", owner(req)), zap.String("message", msg), zap.Bool("truncated", truncated))
	return nil, nil
}

// interop (2.x Interop) accepts the Begin, End and Reset markers of an
// interoperability test case and records them. Reset does nothing: objects
// belong to their owners and are cleaned up by the test case itself. The
// response is empty.
func (s *Service) interop(_ context.Context, req *kmip.Request, p *kmip.InteropRequest) (any, error) {
	var function string
	switch p.Function {
	case kmip.InteropBegin:
		function = "begin"
	case kmip.InteropEnd:
		function = "end"
	case kmip.InteropReset:
		function = "reset"
	default:
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "unknown Interop Function %d", uint32(p.Function))
	}
	id := p.Identifier
	if len(id) > maxLogMessage {
		id = id[:maxLogMessage]
	}
	s.log.Info("interop", zap.String("owner", owner(req)), zap.String("function", function), zap.String("identifier", id))
	return nil, nil
}
