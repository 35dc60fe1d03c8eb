package certs

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"regexp"
	"time"
)

// Key size and validity of the certificates this package issues.
const (
	rsaBits          = 3072
	caValidity       = 10 * 365 * 24 * time.Hour
	leafValidity     = 2 * 365 * 24 * time.Hour
	clockSkewAllowed = time.Hour // NotBefore is backdated by this much
	organization     = "kmipd"
)

// issuer is a CA certificate and its private key.
type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// keyPair is a freshly issued certificate (DER) and its private key.
type keyPair struct {
	certDER []byte
	key     *rsa.PrivateKey
}

// newCA creates a self-signed CA certificate that may sign leaf
// certificates only (path length 0).
func newCA(now time.Time, commonName string) (keyPair, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{organization}},
		NotBefore:             now.Add(-clockSkewAllowed),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	return sign(tmpl, nil)
}

// serverTemplate returns a server certificate template for the given DNS
// names and IP addresses; the first DNS name is the CN.
func serverTemplate(hosts []string) (*x509.Certificate, error) {
	tmpl := &x509.Certificate{
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	seen := make(map[string]bool)
	for _, h := range hosts {
		if h == "" || seen[h] {
			continue
		}
		seen[h] = true
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if !validName.MatchString(h) {
			return nil, fmt.Errorf("certs: host %q is neither an IP address nor a DNS name", h)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	cn := "kmipd server"
	if len(tmpl.DNSNames) > 0 {
		cn = tmpl.DNSNames[0]
	}
	tmpl.Subject = pkix.Name{CommonName: cn, Organization: []string{organization}}
	return tmpl, nil
}

// validName matches DNS names (with an optional leading wildcard label) and
// client names: letters, digits, '-', '_' and '.', at most 253 characters.
var validName = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?$`)

// clientTemplate returns a client certificate template for name, which is
// both the CN and a DNS SAN.
func clientTemplate(name string) (*x509.Certificate, error) {
	if !validName.MatchString(name) || name[0] == '*' {
		return nil, fmt.Errorf("certs: client name %q: want letters, digits, '-', '_' and '.'", name)
	}
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{organization}},
		DNSNames:    []string{name},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, nil
}

// issueLeaf signs a leaf certificate from tmpl with ca, valid for
// leafValidity but not beyond the CA.
func issueLeaf(ca issuer, tmpl *x509.Certificate, now time.Time) (keyPair, error) {
	tmpl.NotBefore = now.Add(-clockSkewAllowed)
	tmpl.NotAfter = now.Add(leafValidity)
	if tmpl.NotAfter.After(ca.cert.NotAfter) {
		tmpl.NotAfter = ca.cert.NotAfter
	}
	// KeyEncipherment serves the RSA key-exchange suites (LegacySuites).
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	tmpl.BasicConstraintsValid = true
	return sign(tmpl, &ca)
}

// sign generates a key for tmpl, gives it a random serial number and signs
// it with parent, or self-signs if parent is nil.
func sign(tmpl *x509.Certificate, parent *issuer) (keyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return keyPair{}, fmt.Errorf("certs: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return keyPair{}, fmt.Errorf("certs: serial number: %w", err)
	}
	tmpl.SerialNumber = serial.Add(serial, big.NewInt(1))
	tmpl.SignatureAlgorithm = x509.SHA256WithRSA
	parentCert, signer := tmpl, crypto.Signer(key)
	if parent != nil {
		parentCert, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), signer)
	if err != nil {
		return keyPair{}, fmt.Errorf("certs: sign certificate: %w", err)
	}
	return keyPair{certDER: der, key: key}, nil
}

// loadIssuer reads a CA certificate and its private key from PEM files.
func loadIssuer(certFile, keyFile string) (issuer, error) {
	cert, err := readCertificate(certFile)
	if err != nil {
		return issuer{}, err
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return issuer{}, fmt.Errorf("certs: %s is not a CA certificate", certFile)
	}
	key, err := readPrivateKey(keyFile)
	if err != nil {
		return issuer{}, err
	}
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return issuer{}, fmt.Errorf("certs: %s does not hold the key of %s", keyFile, certFile)
	}
	return issuer{cert: cert, key: key}, nil
}

// fileExists reports whether path exists; errors other than "does not
// exist" count as existing so that nothing is written over them.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}
