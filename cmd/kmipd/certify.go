package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
)

// openCertifier returns the certification authority of Certify and
// ReCertify: the CA that cfg.Certify names or, when it names none and
// devPKIDir is the development PKI kmipd runs with, that PKI's separate
// Certify CA. It returns nil, and the server offers neither operation, when
// there is neither. A CA that does not load, an invalid policy, or a CA the
// TLS listener trusts for client certificates (tls.ca, tls.client_cas)
// without certify.client_ca is an error: a CA that authenticates clients
// would let any client mint itself another client's identity.
func openCertifier(cfg Config, devPKIDir string) (handlers.Certifier, error) {
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
		return nil, err // a nil *certs.Certifier must not become a non-nil interface
	}
	if err := checkCertifyCA(ca, cfg, certFile); err != nil {
		return nil, err
	}
	return ca, nil
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

// checkCertifyCA refuses a Certify CA that the client CAs of cfg trust,
// unless cfg.Certify.ClientCA (under which the policy is the derived one).
func checkCertifyCA(ca *certs.Certifier, cfg Config, certFile string) error {
	var clientCAs []string
	for _, f := range serverFiles(cfg).ClientCAs {
		if f != "" {
			clientCAs = append(clientCAs, f)
		}
	}
	trusted, err := ca.TrustedBy(clientCAs)
	if err != nil {
		return err
	}
	if trusted && !ca.ClientCA() {
		return fmt.Errorf("the Certify CA %s is trusted for client certificates (tls.ca or tls.client_cas): "+
			"certificates it issues would authenticate as clients; use a separate issuing CA, "+
			"or set certify.client_ca: true to allow exactly that under the derived subject policy", certFile)
	}
	return nil
}
