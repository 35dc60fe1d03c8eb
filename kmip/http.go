package kmip

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"

	"go.uber.org/zap"
)

// HTTPPath is the request URI of the KMIP HTTPS profile.
const HTTPPath = "/kmip"

// maxHTTPHeaderBytes bounds the request line and headers of a KMIP HTTPS
// request; real clients send a few hundred bytes.
const maxHTTPHeaderBytes = 16 << 10

// HTTPHandler serves KMIP over HTTPS (the HTTPS profile): each POST to
// HTTPPath carries one request message and is answered with one response
// message, in the encoding its Content-Type names (see Encoding).
//
// Messages are served by the Server the handler was made for, exactly as on
// its TTLV connections: same Handler, Identify, Logger, Limits and Observer,
// and the Maximum Response Size applies to the TTLV form of the response.
// The client is identified from its verified certificate on every request.
//
// Errors: a method other than POST is answered 405, another path 404, an
// unsupported Content-Type 415, a client the Server cannot identify 403. A
// body larger than Limits.MaxMessageSize, or an XML or JSON body that is not
// a well-formed KMIP message, is answered with a KMIP response failing with
// Invalid Message, in the request's encoding. A TTLV body that is not one
// complete Request Message is answered 400, as the TTLV server closes such
// a connection.
//
// HTTPHandler is safe for concurrent use.
type HTTPHandler struct {
	srv *Server
}

// NewHTTPHandler returns the HTTPS handler of s. s needs its Handler; its
// TLSConfig is not used by the handler (see NewHTTPServer).
func NewHTTPHandler(s *Server) *HTTPHandler {
	s.init()
	return &HTTPHandler{srv: s}
}

// ServeHTTP serves one KMIP request.
func (h *HTTPHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.srv
	if r.URL.Path != HTTPPath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "KMIP requests are POSTed", http.StatusMethodNotAllowed)
		return
	}
	enc, ok := encodingOf(r.Header.Get("Content-Type"))
	if !ok {
		http.Error(w, "Content-Type must be application/octet-stream, text/xml or application/json", http.StatusUnsupportedMediaType)
		return
	}
	log := s.log.With(zap.String("remote", r.RemoteAddr), zap.Stringer("encoding", enc))
	peer, err := h.identify(r)
	if err != nil {
		log.Debug("client refused", zap.Error(err))
		http.Error(w, "client not identified", http.StatusForbidden)
		return
	}
	log = log.With(zap.String("identity", peer.Identity))

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.limits.MaxMessageSize)))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		log.Warn("request too large", zap.Int64("limit", tooLarge.Limit))
		h.fail(w, log, enc, fmt.Sprintf("message larger than %d bytes", s.limits.MaxMessageSize))
		return
	case err != nil:
		log.Debug("request body not read", zap.Error(err))
		http.Error(w, "request body not read", http.StatusBadRequest)
		return
	}

	// A TTLV body is framed here and validated by the normal decoding path;
	// a text body is converted to TTLV and validated first.
	msg := body
	if enc == EncodingTTLV {
		err = checkRequestFrame(body, s.limits.MaxMessageSize)
	} else {
		msg, err = toTTLV(enc, body, s.limits.MaxMessageSize)
	}
	if err != nil {
		log.Debug("request not decodable", zap.Error(err))
		if enc == EncodingTTLV {
			http.Error(w, "not a KMIP Request Message", http.StatusBadRequest)
			return
		}
		h.fail(w, log, enc, "not a KMIP "+enc.String()+" message")
		return
	}
	out := s.serveMessage(log, peer, msg)
	if out == nil {
		http.Error(w, "response not encodable", http.StatusInternalServerError)
		return
	}
	h.reply(w, log, enc, out)
}

// identify describes the client of r, identified by the Server.
func (h *HTTPHandler) identify(r *http.Request) (*Peer, error) {
	if r.TLS == nil {
		return nil, errors.New("not a TLS connection")
	}
	peer := &Peer{TLS: r.TLS}
	if addr, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil {
		peer.Addr = addr
	}
	if h.srv.Identify != nil {
		id, err := h.srv.Identify(r.TLS)
		if err != nil {
			return nil, fmt.Errorf("identify: %w", err)
		}
		peer.Identity = id
	}
	return peer, nil
}

// checkRequestFrame checks that msg is exactly one message with a Request
// Message header, as readFrame would have read it from a connection.
func checkRequestFrame(msg []byte, max int) error {
	if len(msg) < headerLen {
		return fmt.Errorf("%w: %d bytes", errTruncated, len(msg))
	}
	n, err := checkHeader(msg[:headerLen], requestTag, max)
	if err != nil {
		return err
	}
	if headerLen+n != len(msg) {
		return fmt.Errorf("%w: header announces %d bytes, body has %d", errNotKMIP, headerLen+n, len(msg))
	}
	return nil
}

// fail answers a request that could not be decoded with a KMIP response
// failing with Invalid Message. The request's version is unknown, so the
// response is in 1.0, which every client parses.
func (h *HTTPHandler) fail(w http.ResponseWriter, log *zap.Logger, enc Encoding, message string) {
	var me messageEncoder
	out, err := me.encodeResponse(failureResponse(V1_0, "", Errorf(ReasonInvalidMessage, "%s", message)))
	if err != nil {
		log.Error("error response not encodable", zap.Error(err))
		http.Error(w, message, http.StatusBadRequest)
		return
	}
	h.reply(w, log, enc, out)
}

// reply writes the TTLV response out in encoding enc.
func (h *HTTPHandler) reply(w http.ResponseWriter, log *zap.Logger, enc Encoding, out []byte) {
	body, err := fromTTLV(enc, out)
	if err != nil {
		log.Error("response not convertible", zap.Stringer("encoding", enc), zap.Error(err))
		http.Error(w, "response not encodable", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", enc.ContentType())
	hdr.Set("Content-Length", strconv.Itoa(len(body)))
	hdr.Set("Cache-Control", "no-store")
	if _, err := w.Write(body); err != nil {
		log.Debug("write failed", zap.Error(err))
	}
}

// NewHTTPServer returns an http.Server that serves the HTTPS profile for s
// with s's TLS configuration (mutual TLS when s requires it) and limits:
//
//   - the TLS handshake and the request headers within
//     Limits.HandshakeTimeout, headers at most 16 KiB;
//   - the whole request within HandshakeTimeout + ReadTimeout;
//   - serving and writing within ReadTimeout + WriteTimeout of the headers;
//   - idle keep-alive connections closed after IdleTimeout;
//   - at most MaxConns connections: further ones are closed at once.
//
// Only HTTP/1.1 is offered. The Observer of s is told about every accepted
// connection. Start it with ServeHTTPS(hs, s, ln), which reports refused
// handshakes like s's own listener (ServeTLS(ln, "", "") works too, but
// then net/http only prints them), and stop it with its Shutdown or Close
// (the Server's own Shutdown does not stop it).
func NewHTTPServer(s *Server) *http.Server {
	s.init()
	l := s.limits
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	tlsConfig := s.TLSConfig.Clone()
	tlsConfig.NextProtos = []string{"http/1.1"}
	errorLog, err := zap.NewStdLogAt(s.log.Named("https"), zap.DebugLevel)
	if err != nil {
		errorLog = nil // the level is valid; net/http then logs to stderr
	}
	var open atomic.Int64
	return &http.Server{
		Handler:           NewHTTPHandler(s),
		TLSConfig:         tlsConfig,
		Protocols:         protocols,
		ReadHeaderTimeout: l.HandshakeTimeout,
		ReadTimeout:       l.HandshakeTimeout + l.ReadTimeout,
		WriteTimeout:      l.ReadTimeout + l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    maxHTTPHeaderBytes,
		ErrorLog:          errorLog,
		ConnState: func(c net.Conn, state http.ConnState) {
			switch state {
			case http.StateNew:
				if s.Observer != nil {
					s.Observer.ConnOpened(c.RemoteAddr())
				}
				if open.Add(1) > int64(l.MaxConns) {
					s.log.Warn("connection refused: too many connections",
						zap.Stringer("remote", c.RemoteAddr()), zap.Int("max_conns", l.MaxConns))
					c.Close()
				}
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
				if s.Observer != nil {
					s.Observer.ConnClosed(c.RemoteAddr())
				}
			}
		},
	}
}
