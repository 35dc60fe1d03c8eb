package certs

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// handshake runs one TLS handshake between s and a client with the
// certificate certFile/keyFile over an in-memory pipe and returns the
// identity s gives the client, or the server's handshake error.
func handshake(t *testing.T, s *ServerTLS, serverCA, certFile, keyFile string) (string, error) {
	t.Helper()
	clientCfg, err := ClientConfig(serverCA, certFile, keyFile, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	deadline := time.Now().Add(10 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	go func() {
		c := tls.Client(b, clientCfg)
		if c.Handshake() == nil {
			io.Copy(io.Discard, c) //nolint:errcheck // until the server closes
		}
		c.Close()
	}()
	srv := tls.Server(a, s.Config())
	if err := srv.Handshake(); err != nil {
		return "", err
	}
	cs := srv.ConnectionState()
	return s.Identify(&cs)
}

// TestClientCertificateNeedsClientAuthEKU: a certificate of a trusted CA
// without the clientAuth EKU (none at all, as the Certify certificates of
// older versions had, or another usage) does not authenticate; the legacy
// option admits the one without any EKU, never one for another usage.
func TestClientCertificateNeedsClientAuthEKU(t *testing.T) {
	dir := testPKI(t)
	out := t.TempDir()
	noEKU, noEKUKey := issueTestLeaf(t, dir, &x509.Certificate{Subject: pkix.Name{CommonName: "no-eku"}}, out, "no-eku")
	email, emailKey := issueTestLeaf(t, dir, &x509.Certificate{Subject: pkix.Name{CommonName: "email"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}, out, "email")
	ca := pkiPath(dir, CACertFile)

	strict, err := NewServerTLS(serverFiles(dir, ca))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(t, strict, ca, noEKU, noEKUKey); !errors.Is(err, ErrNoClientAuthEKU) {
		t.Errorf("no EKU: %v, want ErrNoClientAuthEKU", err)
	}
	if _, err := handshake(t, strict, ca, email, emailKey); err == nil {
		t.Error("an emailProtection certificate authenticated as a client")
	}
	if id, err := handshake(t, strict, ca, pkiPath(dir, ClientCertFile), pkiPath(dir, ClientKeyFile)); err != nil || id != "CN=kmip-client,O=kmipd" {
		t.Errorf("the dev client: %q, %v", id, err)
	}

	legacy, err := NewServerTLS(serverFiles(dir, ca), AllowClientCertsWithoutEKU())
	if err != nil {
		t.Fatal(err)
	}
	if id, err := handshake(t, legacy, ca, noEKU, noEKUKey); err != nil || id != "CN=no-eku" {
		t.Errorf("no EKU under the legacy option: %q, %v", id, err)
	}
	if _, err := handshake(t, legacy, ca, email, emailKey); err == nil {
		t.Error("an emailProtection certificate authenticated under the legacy option")
	}
}

// twoCAServer returns the test PKI, a second dev PKI and a ServerTLS that
// trusts the first's CA as its own (tls.ca) and the second's as a further
// client CA (tls.client_cas).
func twoCAServer(t *testing.T) (own, other string, s *ServerTLS) {
	t.Helper()
	own, other = testPKI(t), t.TempDir()
	if _, err := EnsureDevPKI(other, nil); err != nil {
		t.Fatal(err)
	}
	s, err := NewServerTLS(serverFiles(own, pkiPath(own, CACertFile), pkiPath(other, CACertFile)))
	if err != nil {
		t.Fatal(err)
	}
	return own, other, s
}

// TestIdentityIsSubjectUnderItsCA: the same subject issued by two trusted
// CAs is two identities; the server's own client CA (the first file) gives
// bare subjects, any other CA subjects qualified by its key's hash.
func TestIdentityIsSubjectUnderItsCA(t *testing.T) {
	own, other, s := twoCAServer(t)
	ownCA, otherCA := pkiPath(own, CACertFile), pkiPath(other, CACertFile)
	fromOwn, err := handshake(t, s, ownCA, pkiPath(own, ClientCertFile), pkiPath(own, ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	fromOther, err := handshake(t, s, ownCA, pkiPath(other, ClientCertFile), pkiPath(other, ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if fromOwn != "CN=kmip-client,O=kmipd" {
		t.Errorf("own CA's client: %q, want the bare subject", fromOwn)
	}
	anchor, err := readCertificate(otherCA)
	if err != nil {
		t.Fatal(err)
	}
	if fromOther == fromOwn || fromOther != QualifiedIdentity("CN=kmip-client,O=kmipd", anchor) || !strings.HasPrefix(fromOther, "CN=kmip-client,O=kmipd;ca=sha256:") {
		t.Errorf("other CA's client with the same subject: %q", fromOther)
	}
	// A primary client whose subject spells a qualified identity is escaped.
	dir := t.TempDir()
	spoof, spoofKey := issueTestLeaf(t, own, &x509.Certificate{Subject: pkix.Name{CommonName: "kmip-client", Organization: []string{"kmipd" + strings.TrimPrefix(fromOther, "CN=kmip-client,O=kmipd")}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, dir, "spoof")
	if id, err := handshake(t, s, ownCA, spoof, spoofKey); err != nil || id == fromOther {
		t.Errorf("a subject spelling another CA's identity: %q, %v", id, err)
	}
}

// TestIdentityOfFile names, offline, the identities the handshake gives.
func TestIdentityOfFile(t *testing.T) {
	own, other, s := twoCAServer(t)
	ownCA, otherCA := pkiPath(own, CACertFile), pkiPath(other, CACertFile)
	for _, dir := range []string{own, other} {
		want, err := handshake(t, s, ownCA, pkiPath(dir, ClientCertFile), pkiPath(dir, ClientKeyFile))
		if err != nil {
			t.Fatal(err)
		}
		got, err := IdentityOfFile(pkiPath(dir, ClientCertFile), ownCA, []string{otherCA})
		if err != nil || got != want {
			t.Errorf("IdentityOfFile = %q, %v; the handshake gives %q", got, err, want)
		}
	}
	if _, err := IdentityOfFile(pkiPath(other, ClientCertFile), ownCA, nil); err == nil {
		t.Error("a certificate of an untrusted CA was named")
	}
}
