package kmip

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ServeHTTPS serves hs, an http.Server from NewHTTPServer(s), on ln until
// hs is shut down or closed, and returns as hs.Serve does.
//
// Unlike hs.ServeTLS, it completes each TLS handshake itself before net/http
// sees the connection, so that a refused handshake (unknown CA, revoked,
// no clientAuth EKU, wrong version) is logged and reported to the
// Observer's HandshakeFailed exactly as on s's own TTLV listener, where
// net/http would only print it. At most Limits.MaxConns handshakes are in
// progress at once (further connections wait to be accepted), each within
// Limits.HandshakeTimeout.
func ServeHTTPS(hs *http.Server, s *Server, ln net.Listener) error {
	s.init()
	hl := &handshakeListener{
		Listener:  ln,
		config:    hs.TLSConfig,
		srv:       s,
		done:      make(chan struct{}),
		handshook: make(chan net.Conn),
		slots:     make(chan struct{}, s.limits.MaxConns),
	}
	go hl.acceptLoop()
	return hs.Serve(hl)
}

// handshakeListener is the listener of ServeHTTPS: Accept returns
// connections whose TLS handshake has succeeded. It is safe for concurrent
// use.
type handshakeListener struct {
	net.Listener
	config *tls.Config
	srv    *Server

	handshook chan net.Conn // completed handshakes, for Accept
	slots     chan struct{} // one per handshake in progress
	done      chan struct{} // closed by Close
	closeOnce sync.Once

	mu      sync.Mutex
	acceptE error // why the raw listener stopped, once it has
}

// acceptLoop accepts raw connections until the listener fails, and hands
// each to a goroutine of its own for its handshake.
func (l *handshakeListener) acceptLoop() {
	for {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return
		}
		raw, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond) // as net/http backs off
				continue
			}
			l.mu.Lock()
			l.acceptE = err
			l.mu.Unlock()
			l.Close()
			return
		}
		go l.handshake(raw)
	}
}

// handshake completes the TLS handshake of raw and passes the connection to
// Accept, or reports the refusal and closes it.
func (l *handshakeListener) handshake(raw net.Conn) {
	defer func() { <-l.slots }()
	s := l.srv
	c := tls.Server(raw, l.config)
	raw.SetDeadline(time.Now().Add(s.limits.HandshakeTimeout))
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	go func() {
		select {
		case <-l.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := c.HandshakeContext(ctx); err != nil {
		s.log.Debug("connection refused", zap.String("remote", raw.RemoteAddr().String()), zap.String("listener", "https"), zap.Error(err))
		if ho, ok := s.Observer.(HandshakeObserver); ok {
			ho.HandshakeFailed(raw.RemoteAddr(), err)
		}
		c.Close()
		return
	}
	raw.SetDeadline(time.Time{}) // net/http sets its own from here
	select {
	case l.handshook <- c:
	case <-l.done:
		c.Close()
	}
}

// Accept returns the next connection whose handshake succeeded.
func (l *handshakeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.handshook:
		return c, nil
	case <-l.done:
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.acceptE != nil {
			return nil, l.acceptE
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting and closes the raw listener; handshakes in
// progress are abandoned.
func (l *handshakeListener) Close() error {
	var err error
	l.closeOnce.Do(func() {
		close(l.done)
		err = l.Listener.Close()
	})
	return err
}
