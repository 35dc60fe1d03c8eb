package kmip

import "time"

// Limits bound what one client can make the server hold or wait for. A zero
// field takes its default.
type Limits struct {
	// MaxMessageSize is the largest request accepted, header included
	// (default 1 MiB). The length is checked before the body is allocated; a
	// larger request is answered with Invalid Message and the connection
	// closed.
	MaxMessageSize int

	// MaxBatchItems is the largest Batch Count accepted (default 1000). A
	// larger batch is not run: it is answered with one failed item, Invalid
	// Message in 1.x, Server Limit Exceeded in 2.x.
	MaxBatchItems int

	// MaxConns is the number of connections served at once (default 10000).
	// Connections beyond it are closed as soon as they are accepted.
	MaxConns int

	// HandshakeTimeout bounds the TLS handshake (default 10s).
	HandshakeTimeout time.Duration

	// ReadTimeout bounds the reading of the rest of a message once its first
	// byte arrived (default 30s).
	ReadTimeout time.Duration

	// IdleTimeout is how long a connection may wait for the next message
	// (default 5 min).
	IdleTimeout time.Duration

	// WriteTimeout bounds the writing of one response (default 30s).
	WriteTimeout time.Duration
}

// withDefaults returns l with every zero field set to its default.
func (l Limits) withDefaults() Limits {
	if l.MaxMessageSize <= 0 {
		l.MaxMessageSize = 1 << 20
	}
	if l.MaxBatchItems <= 0 {
		l.MaxBatchItems = 1000
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 10000
	}
	if l.HandshakeTimeout <= 0 {
		l.HandshakeTimeout = 10 * time.Second
	}
	if l.ReadTimeout <= 0 {
		l.ReadTimeout = 30 * time.Second
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 5 * time.Minute
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = 30 * time.Second
	}
	return l
}
