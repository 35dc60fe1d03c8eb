package certs

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
)

// maxCRLFile bounds the size of a CRL file read (about 300,000 entries).
const maxCRLFile = 16 << 20

// revocations is the set of revoked certificates of one CRL file, by
// issuer. It is immutable once built and safe for concurrent use.
type revocations struct {
	serials map[string]map[string]bool // RawIssuer -> serial (hex) -> revoked
}

// readCRL reads a CRL file, PEM (one or more "X509 CRL" blocks) or DER (one
// CRL), and checks that each CRL is signed by one of cas, whose subject it
// names as its issuer. A CRL past its NextUpdate still applies: its
// revocations stay true, and refusing every client would be worse.
func readCRL(path string, cas []*x509.Certificate) (*revocations, error) {
	data, err := readFileLimited(path, maxCRLFile)
	if err != nil {
		return nil, err
	}
	ders, err := crlBlocks(data)
	if err != nil {
		return nil, fmt.Errorf("certs: %s: %w", path, err)
	}
	r := &revocations{serials: make(map[string]map[string]bool)}
	for _, der := range ders {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			return nil, fmt.Errorf("certs: %s: %w", path, err)
		}
		if !signedByOneOf(crl, cas) {
			return nil, fmt.Errorf("certs: %s: CRL of %q is not signed by a configured client CA", path, crl.Issuer)
		}
		set := r.serials[string(crl.RawIssuer)]
		if set == nil {
			set = make(map[string]bool)
			r.serials[string(crl.RawIssuer)] = set
		}
		for _, e := range crl.RevokedCertificateEntries {
			set[serialText(e.SerialNumber)] = true
		}
	}
	return r, nil
}

// crlBlocks returns the DER CRLs of a PEM or DER file.
func crlBlocks(data []byte) ([][]byte, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		return [][]byte{data}, nil
	}
	var ders [][]byte
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == "X509 CRL" {
			ders = append(ders, block.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("no PEM X509 CRL block")
	}
	return ders, nil
}

func signedByOneOf(crl *x509.RevocationList, cas []*x509.Certificate) bool {
	for _, ca := range cas {
		if bytes.Equal(ca.RawSubject, crl.RawIssuer) && crl.CheckSignatureFrom(ca) == nil {
			return true
		}
	}
	return false
}

// revoked reports whether cert is on the list. A nil list revokes nothing.
func (r *revocations) revoked(cert *x509.Certificate) bool {
	if r == nil || cert == nil || cert.SerialNumber == nil {
		return false
	}
	return r.serials[string(cert.RawIssuer)][serialText(cert.SerialNumber)]
}

// serialText is the form of serial numbers in this package's files and
// listings: upper-case hexadecimal without separators.
func serialText(n *big.Int) string {
	return fmt.Sprintf("%X", n)
}
