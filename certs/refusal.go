package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Reasons a TLS handshake of a client was refused, as RefusalReason names
// them (the values of the reason label of kmipd_tls_handshake_failures_total).
const (
	RefusalUnknownAuthority = "unknown_authority"       // the client certificate chains to no trusted CA
	RefusalRevoked          = "revoked"                 // it is on the CRL
	RefusalNoClientAuthEKU  = "missing_client_auth_eku" // it does not name clientAuth
	RefusalExpired          = "expired"                 // it is expired or not yet valid
	RefusalBadCertificate   = "bad_certificate"         // otherwise invalid, unparsable or badly signed
	RefusalNoCertificate    = "no_client_certificate"   // the client sent none
	RefusalProtocolVersion  = "protocol_version"        // no TLS version in common (1.2 and 1.3 offered)
	RefusalCipherSuite      = "cipher_suite"            // no cipher suite in common
	RefusalPeerAlert        = "peer_alert"              // the client aborted with an alert (it refused the server)
	RefusalNotTLS           = "not_tls"                 // the first bytes are not a TLS record
	RefusalTimeout          = "timeout"                 // the handshake did not finish in time
	RefusalClosed           = "closed"                  // the client closed or reset the connection
	RefusalShutdown         = "shutdown"                // the server was stopping
	RefusalOther            = "other"                   // anything else
)

// RefusalReason names why a server-side TLS handshake (or the
// identification after it) failed with err: one of the Refusal constants.
// It reads the error types of crypto/x509 (UnknownAuthorityError,
// CertificateInvalidError), of crypto/tls (CertificateVerificationError,
// RecordHeaderError, AlertError, and the alert a client sends, which the
// server gets as a "remote error" *net.OpError), this package's ErrRevoked
// and ErrNoClientAuthEKU, and network timeouts. crypto/tls has no types for
// version, cipher-suite and missing-certificate failures; those are told
// from its messages.
func RefusalReason(err error) string {
	var (
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		opErr     *net.OpError
		netErr    net.Error
		verifyErr *tls.CertificateVerificationError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrRevoked):
		return RefusalRevoked
	case errors.Is(err, ErrNoClientAuthEKU):
		return RefusalNoClientAuthEKU
	case errors.As(err, &unknownCA):
		return RefusalUnknownAuthority
	case errors.As(err, &invalid):
		switch invalid.Reason {
		case x509.Expired:
			return RefusalExpired
		case x509.IncompatibleUsage:
			return RefusalNoClientAuthEKU
		}
		return RefusalBadCertificate
	case errors.As(err, &verifyErr):
		return RefusalBadCertificate
	case errors.As(err, &recordErr):
		return RefusalNotTLS
	case errors.As(err, &alertErr), errors.As(err, &opErr) && opErr.Op == "remote error":
		return RefusalPeerAlert
	case errors.Is(err, context.Canceled):
		return RefusalShutdown
	case errors.As(err, &netErr) && netErr.Timeout():
		return RefusalTimeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return RefusalClosed
	}
	return refusalFromMessage(err.Error())
}

// refusalMessages are the texts of crypto/tls's untyped handshake errors.
var refusalMessages = []struct{ text, reason string }{
	{"offered only unsupported versions", RefusalProtocolVersion},
	{"offered TLS version older than", RefusalProtocolVersion},
	{"no cipher suite supported by both", RefusalCipherSuite},
	{"didn't provide a certificate", RefusalNoCertificate},
	{"certificate", RefusalBadCertificate}, // parse, signature, key type and size failures
}

// refusalFromMessage classifies an error of crypto/tls by its text.
func refusalFromMessage(msg string) string {
	if !strings.HasPrefix(msg, "tls: ") {
		return RefusalOther
	}
	for _, m := range refusalMessages {
		if strings.Contains(msg, m.text) {
			return m.reason
		}
	}
	return RefusalOther
}
