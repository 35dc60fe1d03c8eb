package kmip

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
)

// DefaultClientMaxResponseSize bounds the responses a Client reads when its
// MaxResponseSize is zero.
const DefaultClientMaxResponseSize = 16 << 20

// Client is a KMIP client on one TLS connection.
//
// A Client is safe for concurrent use: exchanges are serialised on the
// connection. After a transport error (I/O, timeout, malformed response) the
// connection is closed and every later call fails; dial a new Client.
type Client struct {
	// Version is the protocol version of the requests (default 1.4).
	Version Version

	// MaxResponseSize, if positive, is sent as the Maximum Response Size of
	// each request, and is the largest response read. Zero: none is sent,
	// and responses up to DefaultClientMaxResponseSize are read.
	MaxResponseSize int32

	// Credential, if not nil, is sent in the header of each request.
	Credential *Credential

	mu   sync.Mutex
	conn *tls.Conn
	err  error // sticky transport error
	enc  messageEncoder
	buf  []byte
}

// Dial connects to the KMIP server at addr ("host:port") over TLS with cfg
// and completes the handshake within ctx.
func Dial(ctx context.Context, addr string, cfg *tls.Config) (*Client, error) {
	d := tls.Dialer{Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Client{Version: V1_4, conn: c.(*tls.Conn)}, nil
}

// Close closes the connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = net.ErrClosed
	}
	return c.conn.Close()
}

// Do performs one operation with payload (a *XxxRequest of payloads.go, or
// nil for an empty payload) and returns the response payload (a
// *XxxResponse, or nil when the response payload is empty). A failed item
// returns an *Error holding its Result Reason and Message.
func (c *Client) Do(ctx context.Context, op Operation, payload any) (any, error) {
	resp, err := c.DoBatch(ctx, []RequestItem{{Operation: op, Payload: payload}})
	if err != nil {
		return nil, err
	}
	if len(resp.Items) != 1 {
		return nil, fmt.Errorf("kmip: %d items in the response to one", len(resp.Items))
	}
	it := &resp.Items[0]
	if it.Status != kmip14.ResultStatusSuccess {
		return nil, &Error{Reason: it.Reason, Message: it.Message}
	}
	return it.Payload, nil
}

// DoBatch sends one request message with items (Operation, ID and Payload of
// each are used) in c.Version and returns the decoded response. The
// response's items may be fewer than the request's when the server stopped
// at a failure. ctx's deadline bounds the exchange; cancelling ctx aborts it
// and closes the connection.
func (c *Client) DoBatch(ctx context.Context, items []RequestItem) (*ResponseMessage, error) {
	version := c.Version
	if version == (Version{}) {
		version = V1_4
	}
	req := &RequestMessage{
		Header: RequestHeader{
			Version:             version,
			MaximumResponseSize: c.MaxResponseSize,
			Credential:          c.Credential,
		},
		Items: items,
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	out, err := c.enc.encodeRequest(req)
	if err != nil {
		return nil, err
	}
	resp, err := c.exchange(ctx, out)
	if err != nil {
		c.err = err
		c.conn.Close()
		return nil, err
	}
	return resp, nil
}

// exchange writes a request and reads its response, under ctx.
func (c *Client) exchange(ctx context.Context, out []byte) (*ResponseMessage, error) {
	deadline, _ := ctx.Deadline()
	c.conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if _, err := c.conn.Write(out); err != nil {
		return nil, c.ctxErr(ctx, err)
	}
	limit := int(c.MaxResponseSize)
	if limit <= 0 {
		limit = DefaultClientMaxResponseSize
	}
	msg, err := readFrame(c.conn, responseTag, limit, c.buf)
	if err != nil {
		return nil, c.ctxErr(ctx, err)
	}
	if cap(msg) <= maxKeptBuffer {
		c.buf = msg
	}
	return DecodeResponse(msg)
}

// ctxErr prefers ctx's error when ctx ended the exchange.
func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("kmip: exchange timed out: %w", err)
	}
	return err
}
