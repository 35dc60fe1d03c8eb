package certs

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// File names of a PKI directory, as written by EnsureDevPKI and IssueClient.
const (
	CACertFile     = "ca.crt"
	CAKeyFile      = "ca.key"
	ServerCertFile = "server.crt"
	ServerKeyFile  = "server.key"
	ClientCertFile = "client.crt"
	ClientKeyFile  = "client.key"
	// The CA of Certify and ReCertify, which authenticates no client.
	CertifyCACertFile = "certify-ca.crt"
	CertifyCAKeyFile  = "certify-ca.key"
)

// DevClientName is the CN (and DNS SAN) of the client certificate that
// EnsureDevPKI issues.
const DevClientName = "kmip-client"

// EnsureDevPKI makes dir hold a development PKI: a CA (ca.crt, ca.key), a
// server certificate (server.crt, server.key) for localhost, 127.0.0.1, ::1,
// this machine's host name and the extra hosts (DNS names or IP addresses),
// a client certificate (client.crt, client.key) named DevClientName, and a
// separate CA for the Certify operation (certify-ca.crt, certify-ca.key),
// so that the certificates clients obtain through Certify are never signed
// by the CA that authenticates clients. dir is created with mode 0700 if
// missing; keys are written with mode 0600.
//
// Existing files are never overwritten: EnsureDevPKI writes only the pairs
// that are missing, issuing missing leaves from the existing CA, and
// reports whether it wrote anything. A pair of which only one file exists,
// or leaf certificates without a CA, is an error.
func EnsureDevPKI(dir string, hosts []string) (created bool, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, fmt.Errorf("certs: %w", err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }

	caExists, err := pairExists(path(CACertFile), path(CAKeyFile))
	if err != nil {
		return false, err
	}
	serverExists, err := pairExists(path(ServerCertFile), path(ServerKeyFile))
	if err != nil {
		return false, err
	}
	clientExists, err := pairExists(path(ClientCertFile), path(ClientKeyFile))
	if err != nil {
		return false, err
	}
	certifyExists, err := pairExists(path(CertifyCACertFile), path(CertifyCAKeyFile))
	if err != nil {
		return false, err
	}
	if caExists && serverExists && clientExists && certifyExists {
		return false, nil
	}

	// Validate the host names before anything is written.
	serverTmpl, err := serverTemplate(serverHosts(hosts))
	if err != nil {
		return false, err
	}
	now := time.Now()
	if !certifyExists {
		kp, err := newCA(now, "kmipd development Certify CA")
		if err != nil {
			return false, err
		}
		if err := writeKeyPair(kp, path(CertifyCACertFile), path(CertifyCAKeyFile)); err != nil {
			return false, err
		}
		created = true
	}
	if caExists && serverExists && clientExists {
		return created, nil
	}
	var ca issuer
	if caExists {
		if ca, err = loadIssuer(path(CACertFile), path(CAKeyFile)); err != nil {
			return false, err
		}
	} else {
		if serverExists || clientExists {
			return false, fmt.Errorf("certs: %s holds leaf certificates but no %s", dir, CACertFile)
		}
		kp, err := newCA(now, "kmipd development CA")
		if err != nil {
			return false, err
		}
		if err := writeKeyPair(kp, path(CACertFile), path(CAKeyFile)); err != nil {
			return false, err
		}
		created = true
		if ca.cert, err = x509.ParseCertificate(kp.certDER); err != nil {
			return created, fmt.Errorf("certs: %w", err)
		}
		ca.key = kp.key
	}

	if !serverExists {
		if _, err := issueTo(ca, serverTmpl, now, path(ServerCertFile), path(ServerKeyFile)); err != nil {
			return created, err
		}
		created = true
	}
	if !clientExists {
		tmpl, err := clientTemplate(DevClientName)
		if err != nil {
			return created, err
		}
		cert, err := issueTo(ca, tmpl, now, path(ClientCertFile), path(ClientKeyFile))
		if err != nil {
			return created, err
		}
		created = true
		if err := recordIssued(dir, cert); err != nil {
			return created, err
		}
	}
	return created, nil
}

// IssueClient issues a client certificate named name (its CN and DNS SAN,
// EKU clientAuth) from the CA in caCertFile and caKeyFile, writes
// outDir/client.crt, outDir/client.key (mode 0600) and a copy of the CA
// certificate as outDir/ca.crt, creating outDir with mode 0700 if missing,
// and returns the certificate. Existing client files are an error; an
// existing ca.crt is kept if it is the same CA certificate, and is an error
// otherwise. IssueClientFromPKI also records the certificate.
func IssueClient(caCertFile, caKeyFile, name, outDir string) (*x509.Certificate, error) {
	tmpl, err := clientTemplate(name)
	if err != nil {
		return nil, err
	}
	ca, err := loadIssuer(caCertFile, caKeyFile)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	certFile, keyFile := filepath.Join(outDir, ClientCertFile), filepath.Join(outDir, ClientKeyFile)
	for _, f := range []string{certFile, keyFile} {
		if fileExists(f) {
			return nil, fmt.Errorf("certs: %s already exists", f)
		}
	}
	if err := copyCACert(caCertFile, filepath.Join(outDir, CACertFile)); err != nil {
		return nil, err
	}
	return issueTo(ca, tmpl, time.Now(), certFile, keyFile)
}

// issueTo issues a leaf from tmpl, writes it to certFile and keyFile and
// returns the certificate.
func issueTo(ca issuer, tmpl *x509.Certificate, now time.Time, certFile, keyFile string) (*x509.Certificate, error) {
	kp, err := issueLeaf(ca, tmpl, now)
	if err != nil {
		return nil, err
	}
	if err := writeKeyPair(kp, certFile, keyFile); err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(kp.certDER)
	if err != nil {
		return nil, fmt.Errorf("certs: %w", err)
	}
	return cert, nil
}

// copyCACert copies the CA certificate file src to dst unless dst already
// holds the same bytes.
func copyCACert(src, dst string) error {
	data, err := readPEMFile(src)
	if err != nil {
		return err
	}
	err = writeFileExclusive(dst, data, 0o644)
	if !errors.Is(err, fs.ErrExist) {
		return err
	}
	existing, rerr := readPEMFile(dst)
	if rerr != nil || !bytes.Equal(existing, data) {
		return fmt.Errorf("certs: %s exists and is not the CA certificate %s", dst, src)
	}
	return nil
}

// pairExists reports whether both a certificate and its key exist; one
// without the other is an error.
func pairExists(certFile, keyFile string) (bool, error) {
	c, k := fileExists(certFile), fileExists(keyFile)
	if c != k {
		present, missing := certFile, keyFile
		if k {
			present, missing = keyFile, certFile
		}
		return false, fmt.Errorf("certs: %s exists without %s; remove it or restore both", present, missing)
	}
	return c, nil
}

// serverHosts returns the names a development server certificate covers.
func serverHosts(extra []string) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if name, err := os.Hostname(); err == nil && validName.MatchString(name) {
		hosts = append(hosts, name)
	}
	return append(hosts, extra...)
}
