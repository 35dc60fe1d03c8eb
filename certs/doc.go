// Package certs provides the server's X.509 and TLS plumbing: a development
// PKI (a CA, a server and a client certificate), issuance of further client
// certificates, the mutual-TLS configurations of server and client, hot
// reload of the server certificate, client CAs and CRL, password checks of
// KMIP Credentials, and the client identity taken from a verified client
// certificate.
//
// # Keys and certificates
//
// All keys are RSA 3072 and all signatures SHA-256 with RSA PKCS #1 v1.5:
// the most widely accepted choice (OpenSSL 3 at security level 2, as used by
// PyKMIP on Python 3.11, Go, Java; Db2 requires RSA >= 2048 and SHA-2), and
// the only key type that also serves the KMIP 1.x RSA key-exchange suites.
// Server certificates carry EKU serverAuth and SANs for every name clients
// dial; client certificates carry EKU clientAuth and a DNS SAN equal to their
// CN, since some clients refuse certificates without a SAN (INTEROP.md
// quirks 22-24). Private keys are PKCS #8 PEM files of mode 0600.
//
// # Cipher suites
//
// TLS 1.2 and 1.3 are accepted; TLS 1.3 suites are fixed by Go. For TLS 1.2
// the KMIP Profiles' "TLS 1.2 Authentication Suite" lists
// TLS_RSA_WITH_AES_128_CBC_SHA256 as mandatory and, among the optional ones,
// the ECDHE AES-GCM suites. The default set here is the subset with forward
// secrecy and AEAD that Go implements:
//
//	TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256   (KMIP profile, optional)
//	TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384   (KMIP profile, optional)
//	TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256     (KMIP profile, optional)
//	TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384     (KMIP profile, optional)
//	TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 (not in the profiles; RFC 7905)
//	TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   (not in the profiles; RFC 7905)
//
// Left out by default, and added by the LegacySuites option for clients that
// offer nothing else (INTEROP.md quirk 25; PyKMIP's TLS12AuthenticationSuite
// offers only CBC suites with an RSA server certificate):
//
//	TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256   (KMIP profile, optional)
//	TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (KMIP profile, optional)
//	TLS_RSA_WITH_AES_128_CBC_SHA256         (KMIP 1.x mandatory)
//
// They use CBC with MAC-then-encrypt, and the last one RSA key exchange
// without forward secrecy; Go has not offered RSA key exchange by default
// since 1.22. Never available, because Go does not implement them:
// TLS_RSA_WITH_AES_256_CBC_SHA256, TLS_ECDHE_*_WITH_AES_256_CBC_SHA384 and
// the profiles' DHE, static ECDH, CCM, PSK and TLS 1.0 suites. In FIPS 140-3
// mode (GODEBUG=fips140=on) Go itself drops ChaCha20-Poly1305 and RSA key
// exchange from either set.
//
// # Trust, revocation and reload
//
// ServerTLS accepts client certificates of several CAs (the server's own
// and any operator CA), refuses those on a signed CRL (checked in
// VerifyConnection, so also on session resumption; the CRL file is re-read
// at the first handshake after it changes), and Reload swaps certificate,
// CAs and CRL for new handshakes only, through GetConfigForClient.
// IssueClientFromPKI records each client certificate under pki/issued;
// ListIssued and RevokeClient (which writes pki/crl.pem) work from there.
//
// # Passwords
//
// PasswordHashes verifies the Username and Password of a KMIP Credential
// against argon2id or bcrypt hashes; RequireCredential makes a
// kmip.Handler refuse the items of a message without a valid one, checked
// once per message, with usernames bound to certificate identities and
// failures limited by a FailureLimiter (back-off, then lockout, per
// identity and per username).
//
// # Identity
//
// Identify names a client by the RFC 4514 subject of its verified
// certificate. A later version will also bind the identity to the hash of
// the certificate's SubjectPublicKeyInfo, so that a certificate re-issued
// with the same subject but another key is told apart.
package certs
