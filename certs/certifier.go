package certs

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// DefaultCertifyValidity is how long the certificates a Certifier issues
// are valid when its configuration does not say.
const DefaultCertifyValidity = 365 * 24 * time.Hour

// Certifier is the certification authority behind the KMIP Certify and
// ReCertify operations: it issues X.509 certificates for the public keys the
// server manages, signed by an issuing CA loaded from PEM files (an RSA,
// ECDSA or Ed25519 key), under a CertifyPolicy. It implements
// handlers.Certifier.
//
// Every certificate gets a random 128-bit serial number, a validity of the
// configured length that never extends beyond the CA's own NotAfter, a Key
// Usage that follows the subject key's type and the Extended Key Usages of
// the policy. It is never a CA itself. Of a certificate request only the
// subject and the alternative names the policy allows are taken: the CA,
// not the requester, decides the extensions.
//
// A Certifier is immutable and safe for concurrent use.
type Certifier struct {
	ca       issuer
	validity time.Duration
	policy   CertifyPolicy
	ekus     []x509.ExtKeyUsage // of policy
	now      func() time.Time
}

// Subject policies of a Certifier (CertifyPolicy.Subject).
const (
	// SubjectDerived (the default): the subject is DerivedSubject of the
	// caller and the key; a request for any other subject is refused.
	SubjectDerived = "derived"
	// SubjectRequest: the subject of the certificate request (or, without
	// one, the subject asked for, else the derived one). Only for a CA that
	// authenticates no client (see CertifyPolicy.ClientCA).
	SubjectRequest = "request"
)

// CertifyPolicy is what a Certifier puts in the certificates it issues.
// The zero value is the safe default: derived subjects, Extended Key Usage
// emailProtection only, no alternative names.
type CertifyPolicy struct {
	// Subject is SubjectDerived ("" means it) or SubjectRequest.
	Subject string
	// ExtKeyUsages are the Extended Key Usages of every certificate, by
	// their names in ExtKeyUsageNames; empty means emailProtection. A
	// certificate without any would be valid for every purpose (RFC 5280
	// section 4.2.1.12), TLS client authentication included, so there is
	// always at least one.
	ExtKeyUsages []string
	// AltNames are the kinds of subject alternative names copied from a
	// certificate request: "dns", "ip", "email", "uri". Empty: none (a DNS
	// or IP name would make the certificate one other clients may accept as
	// a server's).
	AltNames []string
	// ClientCA is set when the operator deliberately certifies with a CA
	// that also authenticates clients. The subject policy must then be
	// SubjectDerived, so that no certificate names an existing client.
	ClientCA bool
}

// ExtKeyUsageNames are the Extended Key Usages a CertifyPolicy may name.
var ExtKeyUsageNames = map[string]x509.ExtKeyUsage{
	"serverAuth":      x509.ExtKeyUsageServerAuth,
	"clientAuth":      x509.ExtKeyUsageClientAuth,
	"codeSigning":     x509.ExtKeyUsageCodeSigning,
	"emailProtection": x509.ExtKeyUsageEmailProtection,
	"timeStamping":    x509.ExtKeyUsageTimeStamping,
	"ocspSigning":     x509.ExtKeyUsageOCSPSigning,
}

// altNameKinds are the kinds CertifyPolicy.AltNames may name.
var altNameKinds = []string{"dns", "ip", "email", "uri"}

// compiled checks p and returns its Extended Key Usages.
func (p CertifyPolicy) compiled() ([]x509.ExtKeyUsage, error) {
	switch p.Subject {
	case "", SubjectDerived:
	case SubjectRequest:
		if p.ClientCA {
			return nil, errors.New("certs: a Certify CA that authenticates clients needs the derived subject policy")
		}
	default:
		return nil, fmt.Errorf("certs: subject policy %q: want %q or %q", p.Subject, SubjectDerived, SubjectRequest)
	}
	for _, kind := range p.AltNames {
		if !slices.Contains(altNameKinds, kind) {
			return nil, fmt.Errorf("certs: alternative name kind %q: want one of %v", kind, altNameKinds)
		}
	}
	names := p.ExtKeyUsages
	if len(names) == 0 {
		names = []string{"emailProtection"}
	}
	var ekus []x509.ExtKeyUsage
	for _, name := range names {
		eku, ok := ExtKeyUsageNames[name]
		if !ok {
			return nil, fmt.Errorf("certs: extended key usage %q: want one of serverAuth, clientAuth, codeSigning, emailProtection, timeStamping, ocspSigning", name)
		}
		if (eku == x509.ExtKeyUsageClientAuth || eku == x509.ExtKeyUsageServerAuth) && !p.ClientCA {
			// A TLS certificate from Certify is a way to mint identities;
			// only an operator who chose a client CA on purpose gets it.
			return nil, fmt.Errorf("certs: extended key usage %s needs a Certify CA configured as a client CA", name)
		}
		ekus = append(ekus, eku)
	}
	return ekus, nil
}

// NewCertifier returns a Certifier issuing with the CA certificate and key
// of the PEM files caCertFile and caKeyFile, valid for validity (0 means
// DefaultCertifyValidity), under policy. It fails when a file cannot be
// read, the certificate is not a CA's that may sign certificates, the key
// is not the certificate's, validity is negative or the policy is invalid.
// Errors never show key material.
func NewCertifier(caCertFile, caKeyFile string, validity time.Duration, policy CertifyPolicy) (*Certifier, error) {
	if validity < 0 {
		return nil, errors.New("certs: negative certificate validity")
	}
	if validity == 0 {
		validity = DefaultCertifyValidity
	}
	ekus, err := policy.compiled()
	if err != nil {
		return nil, err
	}
	ca, err := loadIssuer(caCertFile, caKeyFile)
	if err != nil {
		return nil, err
	}
	return &Certifier{ca: ca, validity: validity, policy: policy, ekus: ekus, now: time.Now}, nil
}

// CACertificate returns the issuing CA's certificate, which verifies every
// certificate c issues.
func (c *Certifier) CACertificate() *x509.Certificate { return c.ca.cert }

// TrustedBy reports whether a TLS listener trusting the CA certificates of
// files would accept the certificates c issues: c's CA is one of them (the
// same public key) or chains to one of them. kmipd refuses to start in that
// case unless the policy's ClientCA says the operator wants exactly that.
func (c *Certifier) TrustedBy(files []string) (bool, error) {
	roots := x509.NewCertPool()
	mine, _ := c.ca.cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	for _, f := range files {
		cas, err := readCertificates(f)
		if err != nil {
			return false, err
		}
		for _, ca := range cas {
			if mine != nil && mine.Equal(ca.PublicKey) {
				return true, nil
			}
			roots.AddCert(ca)
		}
	}
	_, err := c.ca.cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, CurrentTime: c.now()})
	return err == nil, nil
}

// ClientCA reports whether c's policy allows it to be a client CA.
func (c *Certifier) ClientCA() bool { return c.policy.ClientCA }

// CertifyRequest is what the server asks a Certifier to certify.
type CertifyRequest struct {
	// PublicKey is the key to certify: *rsa.PublicKey, *ecdsa.PublicKey,
	// ed25519.PublicKey or X25519 *ecdh.PublicKey.
	PublicKey crypto.PublicKey
	// CSR is a DER PKCS#10 request for PublicKey, or nil.
	CSR []byte
	// Caller is the identity of the client asking; KeyName names the key
	// (its first Name, else its Unique Identifier). The derived subject is
	// made of both.
	Caller, KeyName string
	// Subject, if not empty, is the subject asked for without a CSR (the
	// old certificate's in ReCertify).
	Subject pkix.Name
}

// DerivedSubject is the subject of a certificate the derived policy issues
// for caller's key named keyName: CN keyName, OU "kmipd-" and the first 16
// bytes of the SHA-256 of caller in hex. It is distinct for every caller, so
// one client's certificates never carry another client's subject.
func DerivedSubject(caller, keyName string) pkix.Name {
	sum := sha256.Sum256([]byte(caller))
	return pkix.Name{CommonName: keyName, OrganizationalUnit: []string{"kmipd-" + hex.EncodeToString(sum[:16])}}
}

// Certify issues a certificate for r.PublicKey and returns it in DER.
//
// A CSR must parse, its signature must verify and its key must be
// r.PublicKey. Under the derived subject policy the subject is
// DerivedSubject(r.Caller, r.KeyName), and a CSR or r.Subject naming
// another subject is refused with reason Permission Denied; under the
// request policy it is the CSR's subject, else r.Subject, else the derived
// one. Alternative names of the CSR are copied as the policy allows.
//
// A request that does not parse, whose signature does not verify or whose
// key is not r.PublicKey is refused with a *kmip.Error of reason Invalid
// CSR; a key type X.509 cannot certify (anything but RSA, ECDSA, Ed25519
// and X25519) with one of reason Invalid Field. Other errors (an expired
// CA, a signing failure) are plain.
func (c *Certifier) Certify(r CertifyRequest) ([]byte, error) {
	usage, ok := keyUsageFor(r.PublicKey)
	if !ok {
		return nil, kmip.Errorf(kmip.ReasonInvalidField, "a %T cannot be certified", r.PublicKey)
	}
	tmpl := &x509.Certificate{KeyUsage: usage, ExtKeyUsage: c.ekus, BasicConstraintsValid: true}
	asked := r.Subject
	if r.CSR != nil {
		req, err := checkedRequest(r.CSR, r.PublicKey)
		if err != nil {
			return nil, err
		}
		asked = req.Subject
		c.copyAltNames(tmpl, req)
	}
	subject, err := c.subject(r, asked)
	if err != nil {
		return nil, err
	}
	tmpl.Subject = subject
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
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca.cert, r.PublicKey, c.ca.key)
	if err != nil {
		return nil, fmt.Errorf("certs: sign certificate: %w", err)
	}
	return der, nil
}

// subject applies the subject policy to r, whose CSR (or ReCertify) asked
// for asked (empty when nothing was asked).
func (c *Certifier) subject(r CertifyRequest, asked pkix.Name) (pkix.Name, error) {
	derived := DerivedSubject(r.Caller, r.KeyName)
	empty := len(asked.ToRDNSequence()) == 0
	if c.policy.Subject == SubjectRequest {
		if empty {
			return derived, nil
		}
		return asked, nil
	}
	if !empty && asked.String() != derived.String() {
		return pkix.Name{}, kmip.Errorf(kmip.ReasonPermissionDenied,
			"the certification policy issues only the subject %q to this client, not %q", derived.String(), asked.String())
	}
	return derived, nil
}

// copyAltNames copies the alternative names of req that the policy allows
// into tmpl.
func (c *Certifier) copyAltNames(tmpl *x509.Certificate, req *x509.CertificateRequest) {
	for _, kind := range c.policy.AltNames {
		switch kind {
		case "dns":
			tmpl.DNSNames = req.DNSNames
		case "ip":
			tmpl.IPAddresses = req.IPAddresses
		case "email":
			tmpl.EmailAddresses = req.EmailAddresses
		case "uri":
			tmpl.URIs = req.URIs
		}
	}
}

// checkedRequest parses a DER PKCS#10 request for pub and checks its
// signature and key.
func checkedRequest(der []byte, pub crypto.PublicKey) (*x509.CertificateRequest, error) {
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request does not parse as PKCS#10")
	}
	if err := req.CheckSignature(); err != nil {
		return nil, kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request's signature does not verify")
	}
	k, ok := req.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !k.Equal(pub) {
		return nil, kmip.Errorf(kmip.ReasonInvalidCSR, "the certificate request is for another key")
	}
	return req, nil
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
