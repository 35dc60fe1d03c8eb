package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kmipd/kmipd/kmip"
)

// writeTestCA writes a self-signed CA with key, valid until notAfter, as
// PEM files in a temporary directory and returns their paths.
func writeTestCA(t *testing.T, key crypto.Signer, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certify test CA", Organization: []string{"kmipd tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func newTestCertifier(t *testing.T, caKey crypto.Signer, notAfter time.Time, validity time.Duration) *Certifier {
	t.Helper()
	return newPolicyCertifier(t, caKey, notAfter, validity, CertifyPolicy{})
}

func newPolicyCertifier(t *testing.T, caKey crypto.Signer, notAfter time.Time, validity time.Duration, policy CertifyPolicy) *Certifier {
	t.Helper()
	certFile, keyFile := writeTestCA(t, caKey, notAfter)
	c, err := NewCertifier(certFile, keyFile, validity, policy)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustECDSA(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// verifyIssued parses der and checks that c's CA verifies it and that it
// certifies pub.
func verifyIssued(t *testing.T, c *Certifier, der []byte, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(c.CACertificate())
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("the CA does not verify the certificate: %v", err)
	}
	if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
		t.Fatal("the certificate is for another key")
	}
	if cert.IsCA {
		t.Error("issued a CA certificate")
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 128 {
		t.Errorf("serial number %v is not a positive 128-bit number", cert.SerialNumber)
	}
	return cert
}

func TestCertifyPublicKey(t *testing.T) {
	_, edCA, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	far := time.Now().Add(10 * 365 * 24 * time.Hour)
	cas := map[string]crypto.Signer{"ECDSA CA": mustECDSA(t), "Ed25519 CA": edCA}
	keys := []struct {
		name  string
		pub   crypto.PublicKey
		usage x509.KeyUsage
	}{
		{"RSA", &rsaKey.PublicKey, x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment},
		{"ECDSA", &mustECDSA(t).PublicKey, x509.KeyUsageDigitalSignature},
		{"Ed25519", edPub, x509.KeyUsageDigitalSignature},
	}
	for caName, caKey := range cas {
		c := newTestCertifier(t, caKey, far, 0)
		for _, k := range keys {
			t.Run(caName+"/"+k.name, func(t *testing.T) {
				before := time.Now()
				der, err := c.Certify(CertifyRequest{PublicKey: k.pub, Caller: "CN=alice", KeyName: "db-" + k.name})
				if err != nil {
					t.Fatal(err)
				}
				cert := verifyIssued(t, c, der, k.pub)
				if want := DerivedSubject("CN=alice", "db-"+k.name); cert.Subject.String() != want.String() {
					t.Errorf("subject %v, want %v", cert.Subject, want)
				}
				if cert.KeyUsage != k.usage {
					t.Errorf("key usage %v, want %v", cert.KeyUsage, k.usage)
				}
				if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}) {
					t.Errorf("extended key usage %v, want emailProtection alone", cert.ExtKeyUsage)
				}
				if d := cert.NotAfter.Sub(before.Add(DefaultCertifyValidity)); d < -2*time.Second || d > 2*time.Second {
					t.Errorf("NotAfter %v, want one year from now", cert.NotAfter)
				}
			})
		}
	}
	// Two certificates for one key have different serial numbers.
	c := newTestCertifier(t, mustECDSA(t), far, 0)
	a, _ := c.Certify(CertifyRequest{PublicKey: edPub, Caller: "CN=alice", KeyName: "a"})
	b, _ := c.Certify(CertifyRequest{PublicKey: edPub, Caller: "CN=alice", KeyName: "a"})
	ca, _ := x509.ParseCertificate(a)
	cb, _ := x509.ParseCertificate(b)
	if ca == nil || cb == nil || ca.SerialNumber.Cmp(cb.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
}

func TestDerivedSubjectsDifferByCaller(t *testing.T) {
	a, b := DerivedSubject("CN=alice", "k"), DerivedSubject("CN=bob", "k")
	if a.String() == b.String() || a.CommonName != "k" || len(a.OrganizationalUnit) != 1 {
		t.Errorf("derived subjects %v and %v", a, b)
	}
}

// newCSR returns a DER PKCS#10 request signed by key.
func newCSR(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:        pkix.Name{CommonName: "mongo-1.example.test", OrganizationalUnit: []string{"storage"}},
		DNSNames:       []string{"mongo-1.example.test"},
		EmailAddresses: []string{"ops@example.test"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestCertifyRequestSubjectPolicy: under the default derived policy a CSR
// for another subject (another client's, say) is Permission Denied, one
// with the derived subject or none is certified without its alternative
// names; the request policy takes the CSR's subject and the alternative
// names it allows.
func TestCertifyRequestSubjectPolicy(t *testing.T) {
	far := time.Now().Add(24 * time.Hour * 3650)
	key := mustECDSA(t)
	derived := DerivedSubject("CN=alice", "mongo-key")
	req := func(csr []byte) CertifyRequest {
		return CertifyRequest{PublicKey: &key.PublicKey, CSR: csr, Caller: "CN=alice", KeyName: "mongo-key"}
	}

	c := newTestCertifier(t, mustECDSA(t), far, 90*24*time.Hour)
	_, err := c.Certify(req(newCSR(t, key)))
	var kerr *kmip.Error
	if !errors.As(err, &kerr) || kerr.Reason != kmip.ReasonPermissionDenied {
		t.Errorf("a CSR for another subject: %v, want Permission Denied", err)
	}
	_, err = c.Certify(CertifyRequest{PublicKey: &key.PublicKey, Caller: "CN=alice", KeyName: "k", Subject: pkix.Name{CommonName: "kmip-client"}})
	if !errors.As(err, &kerr) || kerr.Reason != kmip.ReasonPermissionDenied {
		t.Errorf("another subject asked without CSR: %v, want Permission Denied", err)
	}
	for name, subject := range map[string]pkix.Name{"empty subject": {}, "derived subject": derived} {
		der, err := c.Certify(req(csrFor(t, key, subject)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cert := verifyIssued(t, c, der, &key.PublicKey)
		if cert.Subject.String() != derived.String() || len(cert.DNSNames)+len(cert.EmailAddresses) != 0 {
			t.Errorf("%s: subject %v names %v %v, want %v and no alternative names", name, cert.Subject, cert.DNSNames, cert.EmailAddresses, derived)
		}
		if d := cert.NotAfter.Sub(cert.NotBefore); d != 90*24*time.Hour+clockSkewAllowed {
			t.Errorf("valid for %v, want the configured 90 days (+ the backdating)", d)
		}
	}

	c = newPolicyCertifier(t, mustECDSA(t), far, 0, CertifyPolicy{Subject: SubjectRequest, AltNames: []string{"email"}})
	der, err := c.Certify(req(newCSR(t, key)))
	if err != nil {
		t.Fatal(err)
	}
	cert := verifyIssued(t, c, der, &key.PublicKey)
	if cert.Subject.CommonName != "mongo-1.example.test" || len(cert.Subject.OrganizationalUnit) != 1 {
		t.Errorf("subject %v, want the request's", cert.Subject)
	}
	if len(cert.DNSNames) != 0 || len(cert.EmailAddresses) != 1 {
		t.Errorf("alternative names %v %v, want the e-mail address alone", cert.DNSNames, cert.EmailAddresses)
	}
}

// csrFor returns a DER PKCS#10 request of subject with the names of newCSR.
func csrFor(t *testing.T, key crypto.Signer, subject pkix.Name) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: subject, DNSNames: []string{"kmip.example.test"}, EmailAddresses: []string{"ops@example.test"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestCertifyPolicyRefuses(t *testing.T) {
	caFile, caKey := writeTestCA(t, mustECDSA(t), time.Now().Add(time.Hour))
	for name, p := range map[string]CertifyPolicy{
		"clientAuth without client_ca":    {ExtKeyUsages: []string{"clientAuth"}},
		"serverAuth without client_ca":    {ExtKeyUsages: []string{"serverAuth"}},
		"request subjects by a client CA": {Subject: SubjectRequest, ClientCA: true},
		"unknown EKU":                     {ExtKeyUsages: []string{"anything"}},
		"unknown subject policy":          {Subject: "copy"},
		"unknown alternative name":        {AltNames: []string{"x400"}},
	} {
		if _, err := NewCertifier(caFile, caKey, 0, p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := NewCertifier(caFile, caKey, 0, CertifyPolicy{ExtKeyUsages: []string{"clientAuth"}, ClientCA: true})
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := c.TrustedBy([]string{caFile})
	if err != nil || !trusted {
		t.Errorf("TrustedBy(its own CA file) = %v, %v", trusted, err)
	}
	otherFile, _ := writeTestCA(t, mustECDSA(t), time.Now().Add(time.Hour))
	if trusted, err := c.TrustedBy([]string{otherFile}); err != nil || trusted {
		t.Errorf("TrustedBy(another CA) = %v, %v", trusted, err)
	}
}

func TestCertifyRefusesBadRequests(t *testing.T) {
	c := newTestCertifier(t, mustECDSA(t), time.Now().Add(24*time.Hour*3650), 0)
	key, other := mustECDSA(t), mustECDSA(t)
	badSignature := newCSR(t, key)
	badSignature[len(badSignature)-3] ^= 0xff // inside the signature value
	cases := map[string]struct {
		pub crypto.PublicKey
		csr []byte
	}{
		"bad signature":  {&key.PublicKey, badSignature},
		"another key":    {&other.PublicKey, newCSR(t, key)},
		"not PKCS#10":    {&key.PublicKey, []byte{0x30, 0x03, 0x02, 0x01, 0x00}},
		"empty, not nil": {&key.PublicKey, []byte{}},
	}
	for name, tc := range cases {
		der, err := c.Certify(CertifyRequest{PublicKey: tc.pub, CSR: tc.csr, Caller: "CN=alice", KeyName: "x"})
		var kerr *kmip.Error
		if !errors.As(err, &kerr) || kerr.Reason != kmip.ReasonInvalidCSR {
			t.Errorf("%s: issued %d bytes, error %v; want Invalid CSR", name, len(der), err)
		}
	}
	_, err := c.Certify(CertifyRequest{PublicKey: struct{}{}, Caller: "CN=alice", KeyName: "x"})
	var kerr *kmip.Error
	if !errors.As(err, &kerr) || kerr.Reason != kmip.ReasonInvalidField {
		t.Errorf("unknown key type: %v, want Invalid Field", err)
	}
}

func TestCertifyValidityClampedToCA(t *testing.T) {
	caEnd := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	c := newTestCertifier(t, mustECDSA(t), caEnd, 8760*time.Hour)
	key := mustECDSA(t)
	der, err := c.Certify(CertifyRequest{PublicKey: &key.PublicKey, KeyName: "short"})
	if err != nil {
		t.Fatal(err)
	}
	cert := verifyIssued(t, c, der, &key.PublicKey)
	if !cert.NotAfter.Equal(caEnd) {
		t.Errorf("NotAfter %v, want the CA's %v", cert.NotAfter, caEnd)
	}
	c.now = func() time.Time { return caEnd.Add(time.Second) }
	if _, err := c.Certify(CertifyRequest{PublicKey: &key.PublicKey, KeyName: "late"}); err == nil {
		t.Error("an expired CA issued a certificate")
	}
}

func TestNewCertifierRefuses(t *testing.T) {
	caFile, caKey := writeTestCA(t, mustECDSA(t), time.Now().Add(time.Hour))
	_, otherKey := writeTestCA(t, mustECDSA(t), time.Now().Add(time.Hour))
	if _, err := NewCertifier(caFile, otherKey, 0, CertifyPolicy{}); err == nil {
		t.Error("accepted a key that is not the CA's")
	}
	if _, err := NewCertifier(caFile, caKey, -time.Hour, CertifyPolicy{}); err == nil {
		t.Error("accepted a negative validity")
	}
	leafCert, leafKey := issueTestLeaf(t, testPKI(t), &x509.Certificate{Subject: pkix.Name{CommonName: "leaf"}}, t.TempDir(), "leaf")
	if _, err := NewCertifier(leafCert, leafKey, 0, CertifyPolicy{}); err == nil {
		t.Error("accepted a leaf certificate as CA")
	}
}
