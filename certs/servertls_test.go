package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// newDevPKI makes a development PKI (its own CA) in a fresh directory.
func newDevPKI(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := EnsureDevPKI(dir, nil); err != nil {
		t.Fatal(err)
	}
	return dir
}

// clientOf returns a client configuration that trusts the server of
// serverPKI and presents the client certificate in clientDir.
func clientOf(t *testing.T, serverPKI, clientDir string) *tls.Config {
	t.Helper()
	cfg, err := ClientConfig(pkiPath(serverPKI, CACertFile), pkiPath(clientDir, ClientCertFile), pkiPath(clientDir, ClientKeyFile), "localhost")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func newServerTLS(t *testing.T, files ServerFiles) *ServerTLS {
	t.Helper()
	s, err := NewServerTLS(files)
	if err != nil {
		t.Fatalf("NewServerTLS: %v", err)
	}
	return s
}

func serverFiles(dir string, clientCAs ...string) ServerFiles {
	return ServerFiles{Cert: pkiPath(dir, ServerCertFile), Key: pkiPath(dir, ServerKeyFile), ClientCAs: clientCAs}
}

func expectAccepted(t *testing.T, addr string, results <-chan result, cfg *tls.Config, wantCN string) {
	t.Helper()
	id, _, err := exchange(addr, cfg)
	if err != nil {
		t.Fatalf("client refused: %v", err)
	}
	if r := serverResult(t, results); r.err != nil || r.identity != "CN="+wantCN+",O=kmipd" {
		t.Fatalf("server saw identity %q, %v; want CN=%s", r.identity, r.err, wantCN)
	}
	if id != "CN="+wantCN+",O=kmipd" {
		t.Fatalf("client read identity %q", id)
	}
}

func TestBringYourOwnCA(t *testing.T) {
	dir := testPKI(t)
	operator := newDevPKI(t) // the operator's own CA and a client of it
	stranger := newDevPKI(t)
	s := newServerTLS(t, serverFiles(dir, pkiPath(dir, CACertFile), pkiPath(operator, CACertFile)))
	addr, results := startServer(t, s.Config())

	expectAccepted(t, addr, results, clientOf(t, dir, dir), DevClientName)
	expectAccepted(t, addr, results, clientOf(t, dir, operator), DevClientName)
	expectRefused(t, addr, results, clientOf(t, dir, stranger))
}

func TestRevokedClientRefusedAndCRLReloaded(t *testing.T) {
	dir := newDevPKI(t)
	alice, bob := t.TempDir(), t.TempDir()
	for name, out := range map[string]string{"alice": alice, "bob": bob} {
		if _, err := IssueClientFromPKI(dir, name, out); err != nil {
			t.Fatal(err)
		}
	}
	revoked, err := RevokeClient(dir, "alice", time.Now())
	if err != nil || len(revoked) != 1 || revoked[0].Name != "alice" {
		t.Fatalf("RevokeClient(alice) = %+v, %v", revoked, err)
	}
	files := serverFiles(dir, pkiPath(dir, CACertFile))
	files.CRL = pkiPath(dir, CRLFile)
	s := newServerTLS(t, files)
	addr, results := startServer(t, s.Config())

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := clientOf(t, dir, alice)
		cfg.MaxVersion = version
		expectRefused(t, addr, results, cfg)
	}
	bobCfg := clientOf(t, dir, bob)
	expectAccepted(t, addr, results, bobCfg, "bob")

	// Revoking bob rewrites the CRL file; the next handshake re-reads it,
	// also for a client that would resume its session.
	if _, err := RevokeClient(dir, "bob", time.Now()); err != nil {
		t.Fatal(err)
	}
	expectRefused(t, addr, results, bobCfg)
	expectAccepted(t, addr, results, clientOf(t, dir, dir), DevClientName)

	list, err := ListIssued(dir)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]bool{}
	for _, c := range list {
		states[c.Name] = c.Revoked
	}
	if len(list) != 3 || !states["alice"] || !states["bob"] || states[DevClientName] {
		t.Errorf("ListIssued = %+v", list)
	}
	if again, err := RevokeClient(dir, revoked[0].Serial, time.Now()); err != nil || len(again) != 0 {
		t.Errorf("revoking alice again by serial = %+v, %v; want nothing new", again, err)
	}
	if _, err := RevokeClient(dir, "nobody", time.Now()); err == nil {
		t.Error("RevokeClient of an unknown name succeeded")
	}
}

func TestCRLOfAnotherCARejected(t *testing.T) {
	dir := testPKI(t)
	other := newDevPKI(t)
	if _, err := RevokeClient(other, DevClientName, time.Now()); err != nil {
		t.Fatal(err)
	}
	files := serverFiles(dir, pkiPath(dir, CACertFile))
	files.CRL = pkiPath(other, CRLFile)
	if _, err := NewServerTLS(files); err == nil {
		t.Fatal("NewServerTLS accepted a CRL signed by a CA it does not trust")
	}
	garbage := filepath.Join(t.TempDir(), "crl.pem")
	os.WriteFile(garbage, []byte("-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"), 0o644)
	files.CRL = garbage
	if _, err := NewServerTLS(files); err == nil {
		t.Fatal("NewServerTLS accepted a malformed CRL")
	}
}

func TestReloadSwapsClientCAsAndCRL(t *testing.T) {
	dir := newDevPKI(t)
	operator := newDevPKI(t)
	caFile := filepath.Join(t.TempDir(), "client-cas.pem")
	copyFile(t, pkiPath(dir, CACertFile), caFile)
	files := serverFiles(dir, caFile)
	files.CRL = filepath.Join(t.TempDir(), "crl.pem")
	// A CRL of the dev CA that revokes another client to start with.
	mustIssueAndRevoke(t, dir, "carol")
	copyFile(t, pkiPath(dir, CRLFile), files.CRL)
	s := newServerTLS(t, files)
	addr, results := startServer(t, s.Config())

	expectRefused(t, addr, results, clientOf(t, dir, operator))
	expectAccepted(t, addr, results, clientOf(t, dir, dir), DevClientName)

	// Trust the operator CA too and revoke the dev client, then Reload.
	both := append(readBytes(t, pkiPath(dir, CACertFile)), readBytes(t, pkiPath(operator, CACertFile))...)
	if err := os.WriteFile(caFile, both, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := RevokeClient(dir, DevClientName, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.CRL, readBytes(t, pkiPath(dir, CRLFile)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	expectAccepted(t, addr, results, clientOf(t, dir, operator), DevClientName)
	expectRefused(t, addr, results, clientOf(t, dir, dir))

	// A broken CA file fails the Reload and leaves the previous trust.
	if err := os.WriteFile(caFile, []byte("not PEM"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err == nil {
		t.Fatal("Reload accepted a CA file without certificates")
	}
	expectAccepted(t, addr, results, clientOf(t, dir, operator), DevClientName)
}

func mustIssueAndRevoke(t *testing.T, dir, name string) {
	t.Helper()
	if _, err := IssueClientFromPKI(dir, name, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := RevokeClient(dir, name, time.Now()); err != nil {
		t.Fatal(err)
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyConnectionReportsRevoked(t *testing.T) {
	dir := newDevPKI(t)
	mustIssueAndRevoke(t, dir, "dave")
	files := serverFiles(dir, pkiPath(dir, CACertFile))
	files.CRL = pkiPath(dir, CRLFile)
	s := newServerTLS(t, files)
	issued, err := readIssued(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range issued {
		err := s.verifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{c}})
		if revoked := c.Subject.CommonName == "dave"; errors.Is(err, ErrRevoked) != revoked {
			t.Errorf("%s: verifyConnection = %v, want revoked %v", c.Subject, err, revoked)
		}
	}
}
