package certs

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// DefaultCertifyValidity is how long the certificates a Certifier issues
// are valid when its configuration does not say.
const DefaultCertifyValidity = 365 * 24 * time.Hour

// Certifier is the certification authority behind the KMIP Certify and
// ReCertify operations: it issues X.509 certificates for the public keys the
// server manages, signed by an issuing CA loaded from PEM files (an RSA,
// ECDSA or Ed25519 key). It implements handlers.Certifier.
//
// Every certificate gets a random 128-bit serial number, a validity of the
// configured length that never extends beyond the CA's own NotAfter, and a
// Key Usage that follows the subject key's type. It is never a CA itself,
// and nothing of a certificate request but its names is copied: the CA,
// not the requester, decides the extensions.
//
// A Certifier is immutable and safe for concurrent use.
type Certifier struct {
	ca       issuer
	validity time.Duration
	now      func() time.Time
}

// NewCertifier returns a Certifier issuing with the CA certificate and key
// of the PEM files caCertFile and caKeyFile, valid for validity (0 means
// DefaultCertifyValidity). It fails when a file cannot be read, the
// certificate is not a CA's that may sign certificates, the key is not the
// certificate's, or validity is negative. Errors never show key material.
func NewCertifier(caCertFile, caKeyFile string, validity time.Duration) (*Certifier, error) {
	if validity < 0 {
		return nil, errors.New("certs: negative certificate validity")
	}
	if validity == 0 {
		validity = DefaultCertifyValidity
	}
	ca, err := loadIssuer(caCertFile, caKeyFile)
	if err != nil {
		return nil, err
	}
	return &Certifier{ca: ca, validity: validity, now: time.Now}, nil
}

// CACertificate returns the issuing CA's certificate, which verifies every
// certificate c issues.
func (c *Certifier) CACertificate() *x509.Certificate { return c.ca.cert }

// Certify issues a certificate for pub and returns it in DER.
//
// With csr nil the certificate's subject is subject. Otherwise csr is a DER
// PKCS#10 request for pub: its signature must verify and its key must be
// pub; the certificate then takes the request's subject and its DNS, e-mail,
// IP and URI alternative names, and subject is not used.
//
// A request that does not parse, whose signature does not verify or whose
// key is not pub is refused with a *kmip.Error of reason Invalid CSR; a key
// type X.509 cannot certify (anything but RSA, ECDSA, Ed25519 and X25519)
// with one of reason Invalid Field. Other errors (an expired CA, a signing
// failure) are plain.
func (c *Certifier) Certify(pub crypto.PublicKey, csr []byte, subject pkix.Name) ([]byte, error) {
	usage, ok := keyUsageFor(pub)
	if !ok {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "a %T cannot be certified", pub)
	}
	tmpl := &x509.Certificate{Subject: subject, KeyUsage: usage, BasicConstraintsValid: true}
	if csr != nil {
		if err := fromRequest(tmpl, csr, pub); err != nil {
			return nil, err
		}
	}
	now := c.now()
	if !now.Before(c.ca.cert.NotAfter) {
		return nil, errors.New("certs: the issuing CA certificate has expired")
	}
	tmpl.NotBefore = now.Add(-clockSkewAllowed)
	tmpl.NotAfter = now.Add(c.validity)
	if tmpl.NotAfter.After(c.ca.cert.NotAfter) {
		tmpl.NotAfter = c.ca.cert.NotAfter
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca.cert, pub, c.ca.key)
	if err != nil {
		return nil, fmt.Errorf("certs: sign certificate: %w", err)
	}
	return der, nil
}

// fromRequest checks a DER PKCS#10 request for pub and copies its names
// into tmpl.
func fromRequest(tmpl *x509.Certificate, der []byte, pub crypto.PublicKey) error {
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request does not parse as PKCS#10")
	}
	if err := req.CheckSignature(); err != nil {
		return kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request's signature does not verify")
	}
	k, ok := req.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(pub) {
		return kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request is for another key")
	}
	tmpl.Subject = req.Subject
	tmpl.DNSNames = req.DNSNames
	tmpl.EmailAddresses = req.EmailAddresses
	tmpl.IPAddresses = req.IPAddresses
	tmpl.URIs = req.URIs
	return nil
}

// keyUsageFor returns the Key Usage of a certificate for pub: signing for
// every signature key, key encipherment too for RSA, key agreement only for
// X25519. ok is false for a key X.509 cannot certify.
func keyUsageFor(pub crypto.PublicKey) (usage x509.KeyUsage, ok bool) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, true
	case *ecdsa.PublicKey, ed25519.PublicKey:
		return x509.KeyUsageDigitalSignature, true
	case *ecdh.PublicKey:
		return x509.KeyUsageKeyAgreement, k.Curve() == ecdh.X25519()
	}
	return 0, false
}

// randomSerial returns a random serial number of at most 128 bits, never 0.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	n, err := rand.Int(rand.Reader, limit.Sub(limit, big.NewInt(1)))
	if err != nil {
		return nil, fmt.Errorf("certs: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil
}
