package handlers

import "github.com/kmipd/kmipd/certs"

// Certifier is the certification authority behind Certify and ReCertify: it
// issues X.509 certificates for the public keys the server manages.
// certs.Certifier implements it with an issuing CA loaded from PEM files.
//
// Certify returns the DER encoding of a new X.509 certificate for
// r.PublicKey, a *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey or
// X25519 *ecdh.PublicKey, with r.CSR (a DER PKCS#10 request, or nil), on
// behalf of r.Caller. The Certifier verifies the request and decides, by its
// policy, the subject, serial number, validity, key usage and extensions.
//
// A request it refuses (the CSR does not parse, its signature does not
// verify, it is for another key) yields a *kmip.Error of reason Invalid
// CSR; a subject the policy does not give this caller, Permission Denied; a
// key it cannot certify, Invalid Field. Any other error is a failure of the
// CA. Errors never hold key material.
//
// Certify is called concurrently from many requests.
type Certifier interface {
	Certify(r certs.CertifyRequest) (der []byte, err error)
}
