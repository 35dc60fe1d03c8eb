package certs

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Names inside a PKI directory for the record of issued client certificates
// and the CRL that revokes them.
const (
	// IssuedDir holds a copy of every client certificate issued from the
	// PKI directory's CA, named by serial number (SERIAL.crt).
	IssuedDir = "issued"
	// CRLFile is the CRL RevokeClient writes, signed by the PKI's CA.
	CRLFile = "crl.pem"
)

// crlValidity is the NextUpdate horizon of the CRLs RevokeClient writes.
const crlValidity = 365 * 24 * time.Hour

// IssuedCert describes one client certificate issued from a PKI directory.
type IssuedCert struct {
	Serial    string // upper-case hexadecimal
	Subject   string // RFC 4514, the identity the server sees
	Name      string // the CN
	NotBefore time.Time
	NotAfter  time.Time
	Revoked   bool // listed in the PKI directory's CRLFile
}

// IssueClientFromPKI issues a client certificate named name from the CA of
// the PKI directory pkiDir (as IssueClient does, into outDir), and records
// a copy of the certificate under pkiDir/IssuedDir so that ListIssued and
// RevokeClient find it.
func IssueClientFromPKI(pkiDir, name, outDir string) (*x509.Certificate, error) {
	cert, err := IssueClient(filepath.Join(pkiDir, CACertFile), filepath.Join(pkiDir, CAKeyFile), name, outDir)
	if err != nil {
		return nil, err
	}
	if err := recordIssued(pkiDir, cert); err != nil {
		return cert, fmt.Errorf("%w (the certificate was written to %s but is not listed)", err, outDir)
	}
	return cert, nil
}

// recordIssued writes cert as pkiDir/IssuedDir/SERIAL.crt.
func recordIssued(pkiDir string, cert *x509.Certificate) error {
	dir := filepath.Join(pkiDir, IssuedDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	return writeFileExclusive(filepath.Join(dir, serialText(cert.SerialNumber)+".crt"), data, 0o644)
}

// ListIssued returns the client certificates recorded under
// pkiDir/IssuedDir, oldest first, each marked Revoked if the PKI
// directory's CRL lists it. A missing IssuedDir is an empty list.
func ListIssued(pkiDir string) ([]IssuedCert, error) {
	certs, err := readIssued(pkiDir)
	if err != nil {
		return nil, err
	}
	crl, _, err := readPKICRL(pkiDir)
	if err != nil {
		return nil, err
	}
	list := make([]IssuedCert, 0, len(certs))
	for _, c := range certs {
		list = append(list, IssuedCert{
			Serial:    serialText(c.SerialNumber),
			Subject:   c.Subject.String(),
			Name:      c.Subject.CommonName,
			NotBefore: c.NotBefore,
			NotAfter:  c.NotAfter,
			Revoked:   crl.revoked(c),
		})
	}
	return list, nil
}

func readIssued(pkiDir string) ([]*x509.Certificate, error) {
	dir := filepath.Join(pkiDir, IssuedDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	var certs []*x509.Certificate
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".crt") {
			continue
		}
		c, err := readCertificate(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	slices.SortFunc(certs, func(a, b *x509.Certificate) int { return a.NotBefore.Compare(b.NotBefore) })
	return certs, nil
}

// readPKICRL reads pkiDir/CRLFile, checked against the PKI's CA, and also
// returns its entries and number; a missing file is an empty list.
func readPKICRL(pkiDir string) (*revocations, *x509.RevocationList, error) {
	path := filepath.Join(pkiDir, CRLFile)
	if !fileExists(path) {
		return nil, nil, nil
	}
	ca, err := readCertificate(filepath.Join(pkiDir, CACertFile))
	if err != nil {
		return nil, nil, err
	}
	r, err := readCRL(path, []*x509.Certificate{ca})
	if err != nil {
		return nil, nil, err
	}
	data, err := readFileLimited(path, maxCRLFile)
	if err != nil {
		return nil, nil, err
	}
	ders, err := crlBlocks(data)
	if err != nil || len(ders) != 1 {
		return nil, nil, fmt.Errorf("certs: %s: want exactly one CRL", path)
	}
	list, err := x509.ParseRevocationList(ders[0])
	if err != nil {
		return nil, nil, fmt.Errorf("certs: %s: %w", path, err)
	}
	return r, list, nil
}

// RevokeClient revokes the client certificates recorded under
// pkiDir/IssuedDir whose CN is nameOrSerial or whose serial number is
// nameOrSerial (hexadecimal, colons and case ignored), and rewrites
// pkiDir/CRLFile, signed by the PKI's CA, with the earlier entries and the
// new ones. It returns the certificates it newly revoked; matching only
// certificates already revoked is not an error, matching none is.
func RevokeClient(pkiDir, nameOrSerial string, now time.Time) ([]IssuedCert, error) {
	ca, err := loadIssuer(filepath.Join(pkiDir, CACertFile), filepath.Join(pkiDir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	issued, err := readIssued(pkiDir)
	if err != nil {
		return nil, err
	}
	current, prev, err := readPKICRL(pkiDir)
	if err != nil {
		return nil, err
	}
	want := strings.ToUpper(strings.ReplaceAll(nameOrSerial, ":", ""))
	var matched, revoked []*x509.Certificate
	for _, c := range issued {
		if c.Subject.CommonName == nameOrSerial || serialText(c.SerialNumber) == want {
			matched = append(matched, c)
			if !current.revoked(c) {
				revoked = append(revoked, c)
			}
		}
	}
	if len(matched) == 0 {
		return nil, fmt.Errorf("certs: no issued certificate named or numbered %q in %s", nameOrSerial, pkiDir)
	}
	if len(revoked) == 0 {
		return nil, nil
	}
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now, NextUpdate: now.Add(crlValidity)}
	if prev != nil {
		tmpl.RevokedCertificateEntries = prev.RevokedCertificateEntries
		if prev.Number != nil {
			tmpl.Number = new(big.Int).Add(prev.Number, big.NewInt(1))
		}
	}
	out := make([]IssuedCert, 0, len(revoked))
	for _, c := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: c.SerialNumber, RevocationTime: now})
		out = append(out, IssuedCert{Serial: serialText(c.SerialNumber), Subject: c.Subject.String(),
			Name: c.Subject.CommonName, NotBefore: c.NotBefore, NotAfter: c.NotAfter, Revoked: true})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.cert, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certs: sign CRL: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	if err := replaceFile(filepath.Join(pkiDir, CRLFile), data, 0o644); err != nil {
		return nil, err
	}
	return out, nil
}

// replaceFile writes data to path atomically (a temporary file renamed
// over it), so that a server re-reading path sees the old or the new
// content, never a part.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	return writeViaTemp(path, data, perm, os.Rename)
}
