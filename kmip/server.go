package kmip

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gemalto/kmip-go/kmip14"
	"go.uber.org/zap"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("kmip: server closed")

// Observer is told what the server does, for metrics. Its methods are called
// concurrently from every connection's goroutine and must not block.
type Observer interface {
	// ConnOpened is called when a connection is accepted (before its TLS
	// handshake), ConnClosed when it is closed.
	ConnOpened(remote net.Addr)
	ConnClosed(remote net.Addr)
	// ItemServed is called after each batch item with its operation (zero
	// when unreadable), result and the time spent on it.
	ItemServed(op Operation, status ResultStatus, reason ResultReason, d time.Duration)
}

// HandshakeObserver is implemented by an Observer that is also told about
// refused connections, for metrics and logs of refusals. The Server checks
// for it with a type assertion, so that other Observers need not provide
// it. Like the Observer's, its method is called concurrently and must not
// block.
type HandshakeObserver interface {
	// HandshakeFailed is called when the TLS handshake of a connection from
	// remote fails (the client's certificate is refused, the protocol
	// versions or suites do not match, the handshake times out...) or its
	// client cannot be identified, with the error, before the connection is
	// closed. The errors of crypto/tls, crypto/x509 and of the
	// tls.Config's verification callbacks are kept in its chain.
	HandshakeFailed(remote net.Addr, err error)
}

// Server serves KMIP over mutual TLS.
//
// Each connection has its own goroutine and carries any number of requests,
// served one after the other; the items of a batch run in order. Bad input
// is answered with a KMIP error when a response can be framed, and the
// connection closed when it cannot; it never crashes the server or grows
// memory beyond Limits.
//
// The exported fields are read when Serve is first called and must not be
// changed afterwards.
type Server struct {
	// Handler serves the batch items. Required.
	Handler Handler

	// TLSConfig is the server's TLS configuration. Required. Set ClientAuth
	// to tls.RequireAndVerifyClientCert for mutual TLS: a client without a
	// valid certificate then fails the handshake and is closed.
	TLSConfig *tls.Config

	// Identify names the client of a verified connection (Peer.Identity).
	// An error closes the connection. Nil: every identity is "".
	Identify func(*tls.ConnectionState) (string, error)

	// Logger receives one debug line per request and warnings on faults;
	// never key material. Nil: no logging.
	Logger *zap.Logger

	// Limits bound sizes, counts and waiting; zero fields take defaults.
	Limits Limits

	// Observer, if not nil, is told about connections and batch items.
	Observer Observer

	initOnce sync.Once
	limits   Limits
	log      *zap.Logger
	ctx      context.Context // parent of every request's context
	cancel   context.CancelFunc

	requests  atomic.Uint64 // numbers the requests, for their log lines
	closing   atomic.Bool
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.limits = s.Limits.withDefaults()
		s.log = s.Logger
		if s.log == nil {
			s.log = zap.NewNop()
		}
		s.ctx, s.cancel = context.WithCancel(context.Background())
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[*conn]struct{})
	})
}

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *Server) ListenAndServe(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections on ln, a plain TCP listener (the server does the
// TLS handshake itself, under Limits.HandshakeTimeout), and serves each in
// its own goroutine. It returns ErrServerClosed after Shutdown or Close, or
// the listener's error. ln is closed when Serve returns.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	if s.Handler == nil || s.TLSConfig == nil {
		ln.Close()
		return errors.New("kmip: Server needs a Handler and a TLSConfig")
	}
	if !s.trackListener(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrackListener(ln)

	var backoff time.Duration
	for {
		raw, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed, retrying", zap.Error(err), zap.Duration("backoff", backoff))
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		c := &conn{srv: s, raw: raw}
		if !s.trackConn(c) {
			s.log.Warn("connection refused: too many connections",
				zap.Stringer("remote", raw.RemoteAddr()), zap.Int("max_conns", s.limits.MaxConns))
			raw.Close()
			continue
		}
		go c.serve()
	}
}

// Addr returns the address of a listener Serve is serving, or nil.
func (s *Server) Addr() net.Addr {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		return ln.Addr()
	}
	return nil
}

// Shutdown stops the server gracefully: it closes the listeners, lets the
// requests in progress finish and be answered, closes connections as they
// become idle, and returns when none is left. If ctx ends first, the
// remaining connections are closed (as by Close) and ctx's error returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.closing.Store(true)
	s.closeListeners()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if s.closeIdleConns() {
			s.cancel()
			return nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once, and cancels the
// context of the requests in progress. Their responses are lost.
func (s *Server) Close() error {
	s.init()
	s.closing.Store(true)
	s.closeListeners()
	s.cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.raw.Close()
	}
	return nil
}

func (s *Server) trackListener(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrackListener(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
	ln.Close()
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		ln.Close()
	}
}

// trackConn registers c unless the connection cap is reached.
func (s *Server) trackConn(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) >= s.limits.MaxConns {
		return false
	}
	c.idle.Store(true)
	s.conns[c] = struct{}{}
	return true
}

func (s *Server) untrackConn(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
}

// closeIdleConns closes the connections waiting for a message and reports
// whether no connection is left.
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.idle.Load() {
			c.raw.Close()
		}
	}
	return len(s.conns) == 0
}

// maxKeptBuffer is the largest read buffer a connection keeps between
// messages; larger ones are dropped so that idle connections stay small.
const maxKeptBuffer = 64 << 10

// conn is one client connection.
type conn struct {
	srv  *Server
	raw  net.Conn  // the TCP connection: deadlines and closing
	tls  *tls.Conn // the same, with TLS
	peer *Peer
	idle atomic.Bool // waiting for a message (or in the handshake)

	inMessage bool // a byte of the current message has arrived
	buf       []byte
	enc       messageEncoder
}

// Read reads from the TLS connection and, at the first byte of a message,
// switches from the idle deadline to the read deadline.
func (c *conn) Read(p []byte) (int, error) {
	n, err := c.tls.Read(p)
	if n > 0 && !c.inMessage {
		c.inMessage = true
		c.idle.Store(false)
		c.raw.SetReadDeadline(time.Now().Add(c.srv.limits.ReadTimeout))
	}
	return n, err
}

func (c *conn) serve() {
	s := c.srv
	remote := c.raw.RemoteAddr()
	log := s.log.With(zap.Stringer("remote", remote))
	if s.Observer != nil {
		s.Observer.ConnOpened(remote)
	}
	defer func() {
		c.raw.Close()
		s.untrackConn(c)
		if s.Observer != nil {
			s.Observer.ConnClosed(remote)
		}
	}()

	if err := c.handshake(); err != nil {
		log.Debug("connection refused", zap.Error(err))
		if ho, ok := s.Observer.(HandshakeObserver); ok {
			ho.HandshakeFailed(remote, err)
		}
		return
	}
	log = log.With(zap.String("identity", c.peer.Identity))

	for !s.closing.Load() {
		c.inMessage = false
		c.idle.Store(true)
		c.raw.SetReadDeadline(time.Now().Add(s.limits.IdleTimeout))
		msg, err := readFrame(c, requestTag, s.limits.MaxMessageSize, c.buf)
		if err != nil {
			c.frameFailed(log, err)
			return
		}
		if cap(msg) <= maxKeptBuffer {
			c.buf = msg
		} else {
			c.buf = nil
		}
		out := c.serveMessage(log, msg)
		if out == nil || !c.write(log, out) {
			return
		}
	}
}

// handshake runs the TLS handshake under the handshake deadline and
// identifies the client.
func (c *conn) handshake() error {
	s := c.srv
	c.raw.SetDeadline(time.Now().Add(s.limits.HandshakeTimeout))
	c.tls = tls.Server(c.raw, s.TLSConfig)
	if err := c.tls.HandshakeContext(s.ctx); err != nil {
		return err
	}
	c.raw.SetDeadline(time.Time{})
	state := c.tls.ConnectionState()
	c.peer = &Peer{Addr: c.raw.RemoteAddr(), TLS: &state}
	if s.Identify != nil {
		id, err := s.Identify(&state)
		if err != nil {
			return fmt.Errorf("identify: %w", err)
		}
		c.peer.Identity = id
	}
	return nil
}

// frameFailed handles a message that could not be read: an oversized one is
// answered with Invalid Message before the connection is closed.
func (c *conn) frameFailed(log *zap.Logger, err error) {
	switch {
	case errors.Is(err, errFrameTooLarge):
		log.Warn("request too large", zap.Error(err))
		// The body was not read, so its version is unknown: answer in 1.0,
		// which every client parses.
		resp := failureResponse(V1_0, "", Errorf(ReasonInvalidMessage, "message larger than %d bytes", c.srv.limits.MaxMessageSize))
		if out, err := c.enc.encodeResponse(resp); err == nil {
			c.write(log, out)
		}
	case errors.Is(err, errNotKMIP):
		log.Debug("not a KMIP request", zap.Error(err))
	case c.inMessage:
		log.Debug("request truncated", zap.Error(err))
	default:
		log.Debug("connection closed while idle", zap.Error(err))
	}
}

// write sends out under the write deadline and reports success.
func (c *conn) write(log *zap.Logger, out []byte) bool {
	c.raw.SetWriteDeadline(time.Now().Add(c.srv.limits.WriteTimeout))
	if _, err := c.tls.Write(out); err != nil {
		log.Debug("write failed", zap.Error(err))
		return false
	}
	return true
}

// serveMessage decodes a request, runs its batch and returns the encoded
// response, or nil when none could be encoded.
func (c *conn) serveMessage(log *zap.Logger, msg []byte) []byte {
	s := c.srv
	start := time.Now()
	log = log.With(zap.Uint64("request", s.requests.Add(1)))
	req, derr := decodeRequest(msg, s.limits.MaxBatchItems)
	var resp *ResponseMessage
	if derr != nil {
		v, corr := requestVersion(msg), ""
		if req != nil {
			v, corr = closestVersion(req.Header.Version), req.Header.ClientCorrelationValue
		}
		log.Debug("request refused", zap.Stringer("version", v), zap.Error(derr))
		resp = failureResponse(v, corr, derr)
		if s.Observer != nil {
			s.Observer.ItemServed(0, resp.Items[0].Status, resp.Items[0].Reason, time.Since(start))
		}
	} else {
		resp = c.runBatch(log, req)
	}
	out, err := c.encodeResponse(log, resp, req)
	if err != nil {
		log.Error("response not encodable", zap.Error(err))
		return nil
	}
	if ce := log.Check(zap.DebugLevel, "request"); ce != nil {
		ce.Write(requestLogFields(req, resp, time.Since(start))...)
	}
	return out
}

// serveMessage serves one TTLV request message that did not arrive on a
// connection of s (the HTTPS transport) for peer, exactly as a connection
// would: same decoding, limits, Handler, Observer and Maximum Response Size
// rules. It returns the encoded response, or nil when none could be encoded.
// The result does not alias memory s reuses.
func (s *Server) serveMessage(log *zap.Logger, peer *Peer, msg []byte) []byte {
	c := &conn{srv: s, peer: peer}
	return c.serveMessage(log, msg)
}

// runBatch serves the items of req in order.
func (c *conn) runBatch(log *zap.Logger, req *RequestMessage) *ResponseMessage {
	h := &req.Header
	resp := &ResponseMessage{
		Header: ResponseHeader{
			Version:                h.Version,
			TimeStamp:              time.Now(),
			ClientCorrelationValue: h.ClientCorrelationValue,
		},
		Items: make([]ResponseItem, 0, len(req.Items)),
	}
	batch := &BatchState{Undoable: h.BatchErrorContinuation == kmip14.BatchErrorContinuationOptionUndo}
	for i := range req.Items {
		item := c.serveItem(log, req, &req.Items[i], batch)
		resp.Items = append(resp.Items, item)
		if item.Status == kmip14.ResultStatusSuccess ||
			h.BatchErrorContinuation == kmip14.BatchErrorContinuationOptionContinue {
			continue
		}
		// Stop (the default) and Undo: the rest of the batch is not
		// processed and its items are left out of the response. Undo also
		// reverts the items done before, which then report Operation Undone.
		if batch.Undoable {
			c.undo(log, batch, resp.Items[:len(resp.Items)-1])
		}
		break
	}
	return resp
}

// undo reverts the changes of the successful items done of an Undo batch
// and marks them Operation Undone. A revert that fails leaves its item's
// status as it was, so that the client is not told a change was undone when
// it was not.
func (c *conn) undo(log *zap.Logger, batch *BatchState, done []ResponseItem) {
	if err := batch.rollback(c.srv.ctx); err != nil {
		log.Error("batch undo failed", zap.Error(err))
		return
	}
	for i := range done {
		done[i].Status = kmip14.ResultStatusOperationUndone
	}
}

// serveItem serves one batch item.
func (c *conn) serveItem(log *zap.Logger, req *RequestMessage, it *RequestItem, batch *BatchState) ResponseItem {
	start := time.Now()
	out := ResponseItem{Operation: it.Operation, ID: it.ID}
	var payload any
	err := error(it.Err)
	if it.Err == nil {
		batch.FillID(it.Payload)
		payload, err = c.callHandler(log, &Request{
			Version:   req.Header.Version,
			Operation: it.Operation,
			Payload:   it.Payload,
			Header:    &req.Header,
			Peer:      c.peer,
			Batch:     batch,
		})
	}
	if err != nil {
		ke := AsError(err)
		if ke.Reason == ReasonGeneralFailure && ke.Message == "internal error" {
			log.Warn("handler failed", zap.Stringer("operation", it.Operation), zap.Error(err))
		}
		out.Status, out.Reason, out.Message = kmip14.ResultStatusOperationFailed, ke.ReasonFor(req.Header.Version), ke.Message
	} else {
		out.Status, out.Payload = kmip14.ResultStatusSuccess, payload
		batch.RecordID(payload)
	}
	elapsed := time.Since(start)
	if o := c.srv.Observer; o != nil {
		o.ItemServed(out.Operation, out.Status, out.Reason, elapsed)
	}
	logItem(log, req, it, &out, elapsed)
	return out
}

// logItem writes the info line of one served batch item: the request and
// batch item it belongs to (the logger carries the request number, remote
// address and identity), the operation, the object, the result. Never a
// payload: key material and data stay out of logs.
func logItem(log *zap.Logger, req *RequestMessage, it *RequestItem, out *ResponseItem, d time.Duration) {
	ce := log.Check(zap.InfoLevel, "item")
	if ce == nil {
		return
	}
	object := ObjectIDOf(it.Payload)
	if object == "" {
		object = ObjectIDOf(out.Payload)
	}
	fields := []zap.Field{
		zap.Stringer("operation", out.Operation),
		zap.String("object", object),
		zap.Stringer("status", out.Status),
		zap.Duration("duration", d),
	}
	if it.ID != nil {
		fields = append(fields, zap.Binary("batch_item", it.ID))
	}
	if cv := req.Header.ClientCorrelationValue; cv != "" {
		fields = append(fields, zap.String("client_correlation", cv))
	}
	if out.Status == kmip14.ResultStatusOperationFailed {
		fields = append(fields, zap.Stringer("reason", out.Reason))
	}
	ce.Write(fields...)
}

// callHandler calls the Handler, turning a panic into General Failure.
func (c *conn) callHandler(log *zap.Logger, req *Request) (payload any, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("handler panicked", zap.Stringer("operation", req.Operation),
				zap.String("panic", fmt.Sprint(p)), zap.Stack("stack"))
			payload, err = nil, &Error{Reason: ReasonGeneralFailure, Message: "internal error"}
		}
	}()
	return c.srv.Handler.ServeKMIP(c.srv.ctx, req)
}

// encodeResponse encodes resp. When the request set a Maximum Response Size
// and the response exceeds it, the payloads are dropped from the last item
// backwards, each such item failing with Response Too Large, until the
// response fits. An item whose payload cannot be encoded fails with General
// Failure.
func (c *conn) encodeResponse(log *zap.Logger, resp *ResponseMessage, req *RequestMessage) ([]byte, error) {
	out, err := c.enc.encodeResponse(resp)
	if err != nil {
		log.Error("response payload not encodable", zap.Error(err))
		failUnencodable(resp)
		if out, err = c.enc.encodeResponse(resp); err != nil {
			return nil, err
		}
	}
	if req == nil || req.Header.MaximumResponseSize <= 0 {
		return out, nil
	}
	limit := int(req.Header.MaximumResponseSize)
	for i := len(resp.Items) - 1; i >= 0 && len(out) > limit; i-- {
		it := &resp.Items[i]
		if it.Status != kmip14.ResultStatusSuccess {
			continue
		}
		*it = ResponseItem{
			Operation: it.Operation,
			ID:        it.ID,
			Status:    kmip14.ResultStatusOperationFailed,
			Reason:    ReasonResponseTooLarge,
			Message:   fmt.Sprintf("response exceeds the Maximum Response Size of %d bytes", limit),
		}
		if out, err = c.enc.encodeResponse(resp); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// failUnencodable fails, with General Failure, each successful item of resp
// whose payload cannot be encoded.
func failUnencodable(resp *ResponseMessage) {
	var probe messageEncoder
	for i := range resp.Items {
		it := &resp.Items[i]
		if it.Status != kmip14.ResultStatusSuccess {
			continue
		}
		one := ResponseMessage{Header: resp.Header, Items: []ResponseItem{*it}}
		if _, err := probe.encodeResponse(&one); err != nil {
			*it = ResponseItem{Operation: it.Operation, ID: it.ID, Status: kmip14.ResultStatusOperationFailed,
				Reason: ReasonGeneralFailure, Message: "internal error"}
		}
	}
}

// failureResponse is a response of one failed item, for a request that could
// not be served at all.
func failureResponse(v Version, correlation string, e *Error) *ResponseMessage {
	return &ResponseMessage{
		Header: ResponseHeader{Version: v, TimeStamp: time.Now(), ClientCorrelationValue: correlation},
		Items: []ResponseItem{{
			Status:  kmip14.ResultStatusOperationFailed,
			Reason:  e.Reason,
			Message: e.Message,
		}},
	}
}

// closestVersion returns v when the server speaks it, else the newest
// version the server speaks with v's major number, else the nearest end of
// the supported range.
func closestVersion(v Version) Version {
	for _, s := range SupportedVersions { // newest first
		if s == v || (s.Major == v.Major && s.Less(v)) {
			return s
		}
	}
	for _, s := range SupportedVersions {
		if s.Major == v.Major {
			return s
		}
	}
	if v.Major > SupportedVersions[0].Major {
		return SupportedVersions[0]
	}
	return SupportedVersions[len(SupportedVersions)-1]
}

// requestVersion reads the Protocol Version of a request that could not be
// decoded, where well-formed requests put it (the first field of the first
// field), so that even a malformed request is answered in its version when
// possible. It returns 1.0 otherwise.
func requestVersion(b []byte) Version {
	// Request Message / Request Header / Protocol Version / Major, Minor.
	const major, minor = 24, 40
	if len(b) < minor+16 ||
		binary.BigEndian.Uint32(b[8:12]) != uint32(kmip14.TagRequestHeader)<<8|0x01 ||
		binary.BigEndian.Uint32(b[16:20]) != uint32(kmip14.TagProtocolVersion)<<8|0x01 ||
		binary.BigEndian.Uint32(b[major:major+4]) != uint32(kmip14.TagProtocolVersionMajor)<<8|0x02 ||
		binary.BigEndian.Uint32(b[minor:minor+4]) != uint32(kmip14.TagProtocolVersionMinor)<<8|0x02 {
		return V1_0
	}
	v := Version{
		Major: int(int32(binary.BigEndian.Uint32(b[major+8 : major+12]))),
		Minor: int(int32(binary.BigEndian.Uint32(b[minor+8 : minor+12]))),
	}
	return closestVersion(v)
}

// requestLogFields describes a served request for the debug log: version,
// operations and results, never payloads.
func requestLogFields(req *RequestMessage, resp *ResponseMessage, d time.Duration) []zap.Field {
	ops := make([]string, len(resp.Items))
	for i, it := range resp.Items {
		ops[i] = it.Operation.String() + ":" + it.Status.String()
		if it.Status != kmip14.ResultStatusSuccess {
			ops[i] += "(" + it.Reason.String() + ")"
		}
	}
	fields := []zap.Field{zap.Stringer("version", resp.Header.Version), zap.Strings("items", ops), zap.Duration("duration", d)}
	if req != nil && len(req.Items) != len(resp.Items) {
		fields = append(fields, zap.Int("items_requested", len(req.Items)))
	}
	return fields
}
