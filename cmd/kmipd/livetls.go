package main

import (
	"crypto/tls"
	"slices"
	"sync/atomic"

	"github.com/kmipd/kmipd/certs"
)

// liveTLS is the server side of mutual TLS whose files a reload may change:
// it holds a certs.ServerTLS and replaces it whole when the configuration
// names other files. Connections already established are untouched; each
// new handshake uses the ServerTLS current at that moment. It is safe for
// concurrent use.
type liveTLS struct {
	opts  []certs.ServerOption
	files certs.ServerFiles // of cur; read and written by the reload goroutine only
	cur   atomic.Pointer[certs.ServerTLS]
}

// newLiveTLS reads files like certs.NewServerTLS.
func newLiveTLS(files certs.ServerFiles, opts ...certs.ServerOption) (*liveTLS, error) {
	s, err := certs.NewServerTLS(files, opts...)
	if err != nil {
		return nil, err
	}
	l := &liveTLS{opts: opts, files: files}
	l.cur.Store(s)
	return l, nil
}

// Config returns the tls.Config for a listener: each handshake gets the
// configuration of the ServerTLS current when it starts.
func (l *liveTLS) Config() *tls.Config {
	c := l.cur.Load().Config()
	c.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		return l.cur.Load().Config().GetConfigForClient(hello)
	}
	return c
}

// prepare returns what reload would put in force for files: nil when they
// are the current ones (which reload then re-reads in place), or a new
// ServerTLS read from them. Nothing changes until commit.
func (l *liveTLS) prepare(files certs.ServerFiles) (*certs.ServerTLS, error) {
	if sameFiles(files, l.files) {
		return nil, nil
	}
	return certs.NewServerTLS(files, l.opts...)
}

// commit puts next (from prepare, for files) in force, or, when next is
// nil, re-reads the current files (see certs.ServerTLS.Reload).
func (l *liveTLS) commit(files certs.ServerFiles, next *certs.ServerTLS) error {
	if next == nil {
		return l.cur.Load().Reload()
	}
	l.cur.Store(next)
	l.files = files
	return nil
}

// Identify names the client of a verified connection under the trust of
// the ServerTLS current now (certs.ServerTLS.Identify).
func (l *liveTLS) Identify(cs *tls.ConnectionState) (string, error) {
	return l.cur.Load().Identify(cs)
}

func sameFiles(a, b certs.ServerFiles) bool {
	return a.Cert == b.Cert && a.Key == b.Key && a.CRL == b.CRL && slices.Equal(a.ClientCAs, b.ClientCAs)
}
