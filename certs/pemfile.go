package certs

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxPEMFile bounds the size of a certificate, key or CA bundle file read.
const maxPEMFile = 1 << 20

// readPEMFile reads a file of at most maxPEMFile bytes.
func readPEMFile(path string) ([]byte, error) {
	return readFileLimited(path, maxPEMFile)
}

// readFileLimited reads a file of at most limit bytes; a larger file is an
// error.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("certs: %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		clear(data)
		return nil, fmt.Errorf("certs: %s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// readCertificate returns the first certificate in a PEM file.
func readCertificate(path string) (*x509.Certificate, error) {
	data, err := readPEMFile(path)
	if err != nil {
		return nil, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == "CERTIFICATE" {
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("certs: %s: %w", path, err)
			}
			return cert, nil
		}
	}
	return nil, fmt.Errorf("certs: %s: no PEM certificate", path)
}

// readCertPool returns a pool of all certificates in a PEM file.
func readCertPool(path string) (*x509.CertPool, error) {
	data, err := readPEMFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("certs: %s: no PEM certificate", path)
	}
	return pool, nil
}

// readCertificates returns all certificates in a PEM file; a file without
// one is an error.
func readCertificates(path string) ([]*x509.Certificate, error) {
	data, err := readPEMFile(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certs: %s: %w", path, err)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("certs: %s: no PEM certificate", path)
	}
	return certs, nil
}

// readPrivateKey reads a PKCS #8, PKCS #1 or SEC 1 PEM private key. Errors
// name the file, never its content.
func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := readPEMFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	clear(data)
	if block == nil {
		return nil, fmt.Errorf("certs: %s: no PEM private key", path)
	}
	defer clear(block.Bytes)
	var key any
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("certs: %s: unexpected PEM block %q", path, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("certs: %s: malformed private key", path)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("certs: %s: unsupported private key type", path)
	}
	return signer, nil
}

// writeKeyPair writes a key to keyFile (mode 0600) and then its
// certificate to certFile (mode 0644); neither file may exist. The
// certificate is written last, so its presence implies the key's.
func writeKeyPair(kp keyPair, certFile, keyFile string) error {
	der, err := x509.MarshalPKCS8PrivateKey(kp.key)
	if err != nil {
		return fmt.Errorf("certs: encode private key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	clear(der)
	defer clear(keyPEM)
	if err := writeFileExclusive(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.certDER})
	return writeFileExclusive(certFile, certPEM, 0o644)
}

// writeFileExclusive creates path with data and mode perm. The file
// appears complete or not at all (a temporary file linked into place), and
// an existing file is never replaced: that is an error wrapping
// fs.ErrExist.
func writeFileExclusive(path string, data []byte, perm os.FileMode) error {
	return writeViaTemp(path, data, perm, os.Link)
}

// writeViaTemp writes data to a synced temporary file beside path and then
// puts it in place with place (os.Link: only if path does not exist;
// os.Rename: replacing it), so that path is never seen half-written.
func writeViaTemp(path string, data []byte, perm os.FileMode, place func(tmp, path string) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(perm)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("certs: write %s: %w", path, err)
	}
	return nil
}
