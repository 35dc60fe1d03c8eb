package handlers

import (
	"crypto"
	"crypto/x509/pkix"
)

// Certifier is the certification authority behind Certify and ReCertify: it
// issues X.509 certificates for the public keys the server manages.
// certs.Certifier implements it with an issuing CA loaded from PEM files.
//
// Certify returns the DER encoding of a new X.509 certificate for pub, a
// *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or X25519
// *ecdh.PublicKey. With csr nil the certificate's subject is subject;
// otherwise csr is a DER PKCS#10 request for pub, whose signature the
// Certifier verifies and whose subject (and alternative names) it certifies
// instead of subject. The Certifier chooses the serial number, validity,
// key usage and extensions.
//
// A request it refuses (csr does not parse, its signature does not verify,
// it is for another key) yields a *kmip.Error of reason Invalid CSR; a key
// it cannot certify, one of reason Invalid Field. Any other error is a
// failure of the CA. Errors never hold key material.
//
// Certify is called concurrently from many requests.
type Certifier interface {
	Certify(pub crypto.PublicKey, csr []byte, subject pkix.Name) (der []byte, err error)
}
