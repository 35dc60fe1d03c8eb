package certs

import (
	"crypto/tls"
	"errors"
)

// ErrNoIdentity reports a connection without a verified client certificate.
var ErrNoIdentity = errors.New("certs: no verified client certificate")

// Identify returns the identity of the client of a TLS connection: the
// subject of its verified leaf certificate in RFC 4514 form, for example
// "CN=kmip-client,O=kmipd". It returns ErrNoIdentity if the connection has
// no verified chain or the certificate's subject is empty.
//
// A later version will bind the identity also to the SHA-256 hash of the
// certificate's SubjectPublicKeyInfo.
func Identify(cs *tls.ConnectionState) (string, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", ErrNoIdentity
	}
	subject := cs.VerifiedChains[0][0].Subject.String()
	if subject == "" {
		return "", ErrNoIdentity
	}
	return subject, nil
}
