package kmip

import (
	"context"
	"crypto/tls"
	"net"
)

// A Handler serves the batch items of KMIP requests.
//
// ServeKMIP performs one batch item and returns its response payload (a
// pointer to one of the *Response types of payloads.go, or nil for an empty
// payload) or an error. An *Error (or an error wrapping one) selects the
// Result Reason and Message; any other error is answered as General Failure
// without its text. A panic is recovered by the Server and answered as
// General Failure for that item alone.
//
// ServeKMIP is called concurrently from many connections, and sequentially
// for the items of one batch (which share req.Batch).
type Handler interface {
	ServeKMIP(ctx context.Context, req *Request) (any, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request) (any, error)

// ServeKMIP calls f(ctx, req).
func (f HandlerFunc) ServeKMIP(ctx context.Context, req *Request) (any, error) { return f(ctx, req) }

// Request is one batch item as a Handler sees it.
type Request struct {
	Version   Version
	Operation Operation
	Payload   any // *CreateRequest, *GetRequest, ... (see payloads.go)

	Header *RequestHeader // the message's header, shared by its items
	Peer   *Peer          // the connection's client, shared by its requests
	Batch  *BatchState    // shared by the items of one message
}

// Peer describes the client on a connection.
type Peer struct {
	// Identity is the client's identity as returned by Server.Identify from
	// its verified certificate (for example its certificate subject). It is
	// the owner of the objects the client creates.
	Identity string
	Addr     net.Addr
	TLS      *tls.ConnectionState
}

// BatchState is the state the items of one request message share.
type BatchState struct {
	// IDPlaceholder is the Unique Identifier produced by the last item that
	// produced one; items that omit their Unique Identifier use it. The
	// Server keeps it (FillID, RecordID): a Handler sees it already in
	// the request's payload.
	IDPlaceholder string

	// Undoable is true when the request asked for Batch Error Continuation
	// Option Undo: a Handler that changes state must then register, with
	// OnUndo, how to revert each change it made.
	Undoable bool

	undo []func(context.Context) error
	memo map[any]any
}

// Memo returns the value remembered under key for this message, calling
// compute to make it on the first call with key. It is for a result that
// holds for every item of one message, such as its Credential verified
// once: the next message has a BatchState of its own and computes again.
// key is compared as a map key, like a context key: use a value of an
// unexported type. Like the rest of BatchState, Memo is called by the
// items of one message, one after the other; it is not safe for
// concurrent use. A nil BatchState remembers nothing and calls compute.
func (b *BatchState) Memo(key any, compute func() any) any {
	if b == nil {
		return compute()
	}
	if v, ok := b.memo[key]; ok {
		return v
	}
	v := compute()
	if b.memo == nil {
		b.memo = make(map[any]any, 1)
	}
	b.memo[key] = v
	return v
}

// FillID gives a request payload that left its Unique Identifier empty
// the ID Placeholder (KMIP 1.4 and 2.1, section 2.1: "ID Placeholder"). A
// payload that names its object, or has no Unique Identifier
// (ObjectIDSetter), is left as it is, and so is every payload when no
// item has produced an identifier yet: the Handler then answers the
// missing identifier.
func (b *BatchState) FillID(payload any) {
	if b == nil || b.IDPlaceholder == "" {
		return
	}
	if p, ok := payload.(ObjectIDSetter); ok && p.ObjectID() == "" {
		p.SetObjectID(b.IDPlaceholder)
	}
}

// RecordID makes the identifier a successful item's response payload names
// (ObjectIDOf: a created object, the private key of a pair, a Locate that
// found exactly one) the ID Placeholder of the items after it. A response
// that names none, or several, leaves the ID Placeholder as it was.
func (b *BatchState) RecordID(payload any) {
	if id := ObjectIDOf(payload); b != nil && id != "" {
		b.IDPlaceholder = id
	}
}

// OnUndo registers fn to revert a change made by the current item, should a
// later item of an Undo batch fail. The Server calls the registered functions
// in reverse order. OnUndo does nothing unless b.Undoable.
func (b *BatchState) OnUndo(fn func(context.Context) error) {
	if b != nil && b.Undoable {
		b.undo = append(b.undo, fn)
	}
}

// rollback calls the registered undo functions, newest first, and returns
// the first error.
func (b *BatchState) rollback(ctx context.Context) error {
	var first error
	for i := len(b.undo) - 1; i >= 0; i-- {
		if err := b.undo[i](ctx); err != nil && first == nil {
			first = err
		}
	}
	b.undo = nil
	return first
}
