package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
)

// certifyCA is the certification authority of Certify and ReCertify that
// kmipd runs with, and the file of its certificate.
type certifyCA struct {
	ca       *certs.Certifier
	certFile string
}

// openCertifier returns the certification authority of Certify and
// ReCertify: the CA that cfg.Certify names or, when it names none and
// devPKIDir is the development PKI kmipd runs with, that PKI's separate
// Certify CA. It returns nil, and the server offers neither operation, when
// there is neither. A CA that does not load, an invalid policy, or a CA the
// TLS listener trusts for client certificates (see checkTrust) is an error.
func openCertifier(cfg Config, devPKIDir string) (*certifyCA, error) {
	certFile, keyFile := cfg.Certify.CACert, cfg.Certify.CAKey
	switch {
	case certFile != "" || keyFile != "":
		if certFile == "" || keyFile == "" {
			return nil, errors.New("ca_cert and ca_key are given together")
		}
	case devPKIDir != "":
		certFile, keyFile = filepath.Join(devPKIDir, certs.CertifyCACertFile), filepath.Join(devPKIDir, certs.CertifyCAKeyFile)
	default:
		return nil, nil
	}
	ca, err := certs.NewCertifier(certFile, keyFile, cfg.Certify.Validity, certifyPolicy(cfg))
	if err != nil {
		return nil, err
	}
	c := &certifyCA{ca: ca, certFile: certFile}
	if err := c.checkTrust(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// certifier is c as the handlers use it: a nil interface when c is nil, so
// that the server offers no Certify.
func (c *certifyCA) certifier() handlers.Certifier {
	if c == nil {
		return nil
	}
	return c.ca
}

// certifyPolicy is the certs.CertifyPolicy of cfg.Certify.
func certifyPolicy(cfg Config) certs.CertifyPolicy {
	return certs.CertifyPolicy{
		Subject:      cfg.Certify.Subject,
		ExtKeyUsages: cfg.Certify.ExtKeyUsages,
		AltNames:     cfg.Certify.AltNames,
		ClientCA:     cfg.Certify.ClientCA,
	}
}

// checkTrust refuses a Certify CA that the client CAs of cfg (tls.ca,
// tls.client_cas) trust, unless the policy allows a client CA (and then
// issues derived subjects only): a CA that authenticates clients would let
// any client mint itself another client's identity. A reload that would
// make the client CAs trust it is refused the same way. A nil c passes.
func (c *certifyCA) checkTrust(cfg Config) error {
	if c == nil {
		return nil
	}
	var clientCAs []string
	for _, f := range serverFiles(cfg).ClientCAs {
		if f != "" {
			clientCAs = append(clientCAs, f)
		}
	}
	trusted, err := c.ca.TrustedBy(clientCAs)
	if err != nil {
		return err
	}
	if trusted && !c.ca.ClientCA() {
		return fmt.Errorf("the Certify CA %s is trusted for client certificates (tls.ca or tls.client_cas): "+
			"certificates it issues would authenticate as clients; use a separate issuing CA, "+
			"or set certify.client_ca: true to allow exactly that under the derived subject policy", c.certFile)
	}
	return nil
}
