package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrRevoked is the handshake error of a client whose certificate is on
// the configured CRL.
var ErrRevoked = errors.New("certs: client certificate revoked")

// ErrNoClientAuthEKU is the handshake error of a client whose certificate
// does not name the clientAuth Extended Key Usage. Go's verifier accepts a
// certificate without any Extended Key Usage for every purpose (RFC 5280
// section 4.2.1.12), so one issued for anything else (a Certify
// certificate of an older version, an e-mail certificate) would otherwise
// authenticate as a client.
var ErrNoClientAuthEKU = errors.New("certs: client certificate lacks the clientAuth extended key usage")

// ServerFiles names the files of the server side of mutual TLS.
type ServerFiles struct {
	Cert, Key string // the server certificate and its private key (PEM)
	// ClientCAs are PEM files of the CA certificates whose client
	// certificates are accepted: the server's own CA and any operator CA
	// (bring-your-own CA). At least one is required.
	ClientCAs []string
	// CRL, if not empty, is a PEM or DER X.509 CRL file; each CRL in it must
	// be signed by one of the ClientCAs. Clients it lists are refused.
	CRL string
}

// ServerTLS is the server side of mutual TLS with everything it trusts
// reloadable without a restart: the server certificate (re-read when its
// files change, see Reloader), the client CAs and the CRL (swapped
// together by Reload), and the CRL also re-read at the next handshake
// after its file changes. Connections already established are untouched by
// a reload; new handshakes use the new state.
//
// A ServerTLS is safe for concurrent use.
type ServerTLS struct {
	files  ServerFiles
	opts   serverOptions
	base   *tls.Config
	cert   *Reloader
	reload sync.Mutex // serializes Reload and CRL re-reads
	trust  atomic.Pointer[trust]
}

// trust is what client certificates are checked against; immutable.
type trust struct {
	pool     *x509.CertPool
	cas      []*x509.Certificate
	primary  []*x509.Certificate // of ClientCAs[0], whose clients' identities are bare subjects
	crl      *revocations
	crlStamp os.FileInfo // the CRL file as it was read; nil without CRL
}

// NewServerTLS reads files and returns the server's TLS state: client
// certificates required, verified against files.ClientCAs, naming the EKU
// clientAuth (or, with AllowClientCertsWithoutEKU, naming no EKU at all)
// and checked against the CRL, TLS 1.2 or 1.3, the suites of
// DefaultSuites (and LegacyCipherSuites with the LegacySuites option),
// session tickets enabled. Any unreadable or invalid file is an error.
func NewServerTLS(files ServerFiles, opts ...ServerOption) (*ServerTLS, error) {
	if len(files.ClientCAs) == 0 {
		return nil, errors.New("certs: no client CA file")
	}
	var o serverOptions
	for _, opt := range opts {
		opt(&o)
	}
	cert, err := NewReloader(files.Cert, files.Key)
	if err != nil {
		return nil, err
	}
	s := &ServerTLS{files: files, opts: o, cert: cert}
	t, err := s.readTrust()
	if err != nil {
		return nil, err
	}
	s.trust.Store(t)
	suites := slices.Clone(DefaultSuites)
	if o.legacySuites {
		suites = append(suites, LegacyCipherSuites...)
	}
	s.base = &tls.Config{
		GetCertificate:   cert.GetCertificate,
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        t.pool,
		VerifyConnection: s.verifyConnection,
		MinVersion:       tls.VersionTLS12,
		MaxVersion:       tls.VersionTLS13,
		CipherSuites:     suites,
		// Session tickets stay enabled; Go rotates the ticket keys itself.
		// VerifyConnection also runs on resumption, so a client revoked
		// after its first handshake cannot resume either.
	}
	return s, nil
}

// Config returns the tls.Config for a listener. Each handshake gets a copy
// of it holding the client CAs current at that moment.
func (s *ServerTLS) Config() *tls.Config {
	c := s.base.Clone()
	c.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		hc := s.base.Clone()
		hc.ClientCAs = s.trust.Load().pool
		return hc, nil
	}
	return c
}

// Reload re-reads the server certificate, the client CAs and the CRL. The
// client CAs and the CRL are replaced together, and only if all of them
// read correctly; otherwise the previous ones stay in use and the error
// says what failed. The certificate is reloaded on its own (a failure keeps
// the previous one).
func (s *ServerTLS) Reload() error {
	certErr := s.cert.Reload()
	s.reload.Lock()
	defer s.reload.Unlock()
	t, err := s.readTrust()
	if err == nil {
		s.trust.Store(t)
	}
	return errors.Join(certErr, err)
}

// readTrust reads the client CAs and the CRL.
func (s *ServerTLS) readTrust() (*trust, error) {
	t := &trust{pool: x509.NewCertPool()}
	for i, f := range s.files.ClientCAs {
		cas, err := readCertificates(f)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			t.primary = cas
		}
		for _, ca := range cas {
			t.pool.AddCert(ca)
		}
		t.cas = append(t.cas, cas...)
	}
	if s.files.CRL == "" {
		return t, nil
	}
	stamp, err := os.Stat(s.files.CRL)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	if t.crl, err = readCRL(s.files.CRL, t.cas); err != nil {
		return nil, err
	}
	t.crlStamp = stamp
	return t, nil
}

// verifyConnection refuses a client whose leaf certificate does not name
// the clientAuth EKU or is revoked, first re-reading the CRL if its file
// changed since it was read.
func (s *ServerTLS) verifyConnection(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return nil // RequireAndVerifyClientCert has refused already
	}
	if err := s.checkEKU(cs.PeerCertificates[0]); err != nil {
		return err
	}
	t := s.refreshCRL()
	if t.crl.revoked(cs.PeerCertificates[0]) {
		return ErrRevoked
	}
	return nil
}

// refreshCRL returns the current trust, with the CRL re-read if its file
// changed (another modification time, size or inode). A CRL that does not
// read correctly leaves the previous one in use; so does a CRL file that
// disappeared: revocations are never dropped silently.
func (s *ServerTLS) refreshCRL() *trust {
	t := s.trust.Load()
	if s.files.CRL == "" {
		return t
	}
	stamp, err := os.Stat(s.files.CRL)
	if err != nil || !changed(t.crlStamp, stamp) {
		return t
	}
	s.reload.Lock()
	defer s.reload.Unlock()
	if t = s.trust.Load(); !changed(t.crlStamp, stamp) {
		return t // another handshake re-read it
	}
	next := *t
	next.crlStamp = stamp // a broken file is retried after its next change
	if crl, err := readCRL(s.files.CRL, t.cas); err == nil {
		next.crl = crl
	}
	s.trust.Store(&next)
	return &next
}

// checkEKU requires leaf to name the clientAuth Extended Key Usage, or, with
// AllowClientCertsWithoutEKU, to have no Extended Key Usage at all. (Go's
// verifier has already refused a leaf whose usages exclude clientAuth.)
func (s *ServerTLS) checkEKU(leaf *x509.Certificate) error {
	if slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
		return nil
	}
	if s.opts.allowNoEKU && len(leaf.ExtKeyUsage) == 0 && len(leaf.UnknownExtKeyUsage) == 0 {
		return nil
	}
	return ErrNoClientAuthEKU
}

// Identify returns the identity of the client of a connection s verified:
// IdentifyUnder with the CA certificates of the first client CA file (the
// server's own client CA, tls.ca) as the primary ones.
func (s *ServerTLS) Identify(cs *tls.ConnectionState) (string, error) {
	return IdentifyUnder(cs, s.trust.Load().primary)
}
