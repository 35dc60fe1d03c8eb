package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
)

func TestRefusalReason(t *testing.T) {
	verify := func(err error) error { return &tls.CertificateVerificationError{Err: err} }
	for _, c := range []struct {
		err  error
		want string
	}{
		{verify(x509.UnknownAuthorityError{}), RefusalUnknownAuthority},
		{verify(x509.CertificateInvalidError{Reason: x509.Expired}), RefusalExpired},
		{verify(x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}), RefusalNoClientAuthEKU},
		{verify(x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}), RefusalBadCertificate},
		{ErrRevoked, RefusalRevoked},
		{fmt.Errorf("identify: %w", ErrNoClientAuthEKU), RefusalNoClientAuthEKU},
		{tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, RefusalNotTLS},
		{&net.OpError{Op: "remote error", Err: errors.New("tls: unknown certificate authority")}, RefusalPeerAlert},
		{tls.AlertError(48), RefusalPeerAlert},
		{&net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, RefusalTimeout},
		{io.EOF, RefusalClosed},
		{errors.New("tls: client didn't provide a certificate"), RefusalNoCertificate},
		{errors.New("tls: no cipher suite supported by both client and server; client offered: [5]"), RefusalCipherSuite},
		{errors.New("tls: failed to parse client certificate: x509: malformed"), RefusalBadCertificate},
		{errors.New("something else"), RefusalOther},
	} {
		if got := RefusalReason(c.err); got != c.want {
			t.Errorf("RefusalReason(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

// TestRefusalReasonOfOldProtocol runs a handshake of a TLS 1.1 client
// against a TLS 1.2 floor: the server's error is a protocol version one.
func TestRefusalReasonOfOldProtocol(t *testing.T) {
	server, client := net.Pipe()
	defer server.Close()
	go func() {
		defer client.Close()
		tls.Client(client, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}).Handshake()
	}()
	err := tls.Server(server, &tls.Config{MinVersion: tls.VersionTLS12}).Handshake()
	if got := RefusalReason(err); got != RefusalProtocolVersion {
		t.Errorf("RefusalReason(%v) = %q, want %q", err, got, RefusalProtocolVersion)
	}
}
