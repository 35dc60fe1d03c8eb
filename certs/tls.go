package certs

import (
	"crypto/tls"
	"fmt"
)

// DefaultSuites are the TLS 1.2 cipher suites the server accepts by
// default: ECDHE key exchange with AEAD ciphers (see the package comment).
var DefaultSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// LegacyCipherSuites are the CBC suites LegacySuites adds after
// DefaultSuites, in order of preference.
var LegacyCipherSuites = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
}

// A ServerOption adjusts the configuration ServerConfig builds.
type ServerOption func(*serverOptions)

type serverOptions struct {
	legacySuites bool
	allowNoEKU   bool
}

// AllowClientCertsWithoutEKU makes the server also accept client
// certificates without an Extended Key Usage extension, as legacy clients'
// certificates may be. Off, a client certificate must name clientAuth.
func AllowClientCertsWithoutEKU() ServerOption {
	return func(o *serverOptions) { o.allowNoEKU = true }
}

// LegacySuites makes the server also accept the TLS 1.2 CBC-SHA256 suites
// of LegacyCipherSuites, among them the KMIP 1.x mandatory
// TLS_RSA_WITH_AES_128_CBC_SHA256, for clients that offer nothing better,
// such as PyKMIP's TLS12AuthenticationSuite with an RSA server certificate
// (INTEROP.md quirk 25). The RSA key-exchange suite has no forward secrecy.
func LegacySuites() ServerOption {
	return func(o *serverOptions) { o.legacySuites = true }
}

// ServerConfig returns the server side of mutual TLS with one client CA
// file and no CRL: NewServerTLS(ServerFiles{Cert: certFile, Key: keyFile,
// ClientCAs: []string{caFile}}, opts...).Config().
func ServerConfig(certFile, keyFile, caFile string, opts ...ServerOption) (*tls.Config, error) {
	s, err := NewServerTLS(ServerFiles{Cert: certFile, Key: keyFile, ClientCAs: []string{caFile}}, opts...)
	if err != nil {
		return nil, err
	}
	return s.Config(), nil
}

// ClientConfig returns the client side of mutual TLS: the client
// certificate from certFile and keyFile, the server verified against the
// CA certificates in caFile and serverName (a DNS name or IP address that
// must be among the server certificate's SANs), TLS 1.2 or 1.3 with Go's
// default suites, and a session cache so that reconnections resume.
func ClientConfig(caFile, certFile, keyFile, serverName string) (*tls.Config, error) {
	pool, err := readCertPool(caFile)
	if err != nil {
		return nil, err
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("certs: client key pair %s, %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		RootCAs:            pool,
		ServerName:         serverName,
		MinVersion:         tls.VersionTLS12,
		MaxVersion:         tls.VersionTLS13,
		ClientSessionCache: tls.NewLRUClientSessionCache(64),
	}, nil
}
