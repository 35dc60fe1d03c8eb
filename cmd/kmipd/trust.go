package main

import (
	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// serverFiles names the TLS files of cfg: the server certificate and key,
// the client CAs (tls.ca, then every tls.client_cas file) and the CRL.
func serverFiles(cfg Config) certs.ServerFiles {
	cas := append([]string{cfg.TLS.CA}, cfg.TLS.ClientCAs...)
	return certs.ServerFiles{Cert: cfg.TLS.Cert, Key: cfg.TLS.Key, ClientCAs: cas, CRL: cfg.TLS.CRL}
}

// requireCredential wraps next with the KMIP Credential check of cfg.Auth
// when auth.require_password is set, and returns next unchanged otherwise:
// the users' password hashes and identities, failures counted by limiter,
// refusals told to observer (both may be nil).
func requireCredential(next kmip.Handler, cfg Config, limiter *certs.FailureLimiter, observer certs.CredentialObserver) (kmip.Handler, error) {
	if !cfg.Auth.RequirePassword {
		return next, nil
	}
	hashes := make(map[string]string, len(cfg.Auth.Users))
	users := make(map[string][]string, len(cfg.Auth.Users))
	for name, u := range cfg.Auth.Users {
		hashes[name], users[name] = u.PasswordHash, u.Identities
	}
	check, err := certs.NewPasswordHashes(hashes)
	if err != nil {
		return nil, err
	}
	return certs.RequireCredential(next, certs.CredentialPolicy{Check: check, Users: users, Limiter: limiter, Observer: observer}), nil
}
