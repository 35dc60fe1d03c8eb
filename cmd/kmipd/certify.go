package main

import (
	"errors"
	"path/filepath"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/handlers"
)

// openCertifier returns the certification authority of Certify and
// ReCertify: the CA that cfg.Certify names or, when it names none and
// devPKIDir is the development PKI kmipd runs with, that PKI's CA. It
// returns nil, and the server offers neither operation, when there is
// neither. A CA that does not load is an error.
func openCertifier(cfg Config, devPKIDir string) (handlers.Certifier, error) {
	certFile, keyFile := cfg.Certify.CACert, cfg.Certify.CAKey
	switch {
	case certFile != "" || keyFile != "":
		if certFile == "" || keyFile == "" {
			return nil, errors.New("ca_cert and ca_key are given together")
		}
	case devPKIDir != "":
		certFile, keyFile = filepath.Join(devPKIDir, certs.CACertFile), filepath.Join(devPKIDir, certs.CAKeyFile)
	default:
		return nil, nil
	}
	ca, err := certs.NewCertifier(certFile, keyFile, cfg.Certify.Validity)
	if err != nil {
		return nil, err // a nil *certs.Certifier must not become a non-nil interface
	}
	return ca, nil
}
