package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
)

// ErrNoIdentity reports a connection without a verified client certificate.
var ErrNoIdentity = errors.New("certs: no verified client certificate")

// Identify returns the identity of the client of a TLS connection that
// trusts a single CA: the subject of its verified leaf certificate in RFC
// 4514 form, for example "CN=kmip-client,O=kmipd". It is IdentifyUnder with
// every trust anchor counted as primary. It returns ErrNoIdentity if the
// connection has no verified chain or the certificate's subject is empty.
func Identify(cs *tls.ConnectionState) (string, error) {
	return identify(cs, func(*x509.Certificate) bool { return true })
}

// IdentifyUnder returns the identity of the client of a TLS connection: the
// certificate's subject under the CA that vouches for it, so that the same
// subject from two trusted CAs is two identities.
//
// When a verified chain ends at one of primary (the server's own client
// CA), the identity is the subject of the leaf in RFC 4514 form, for
// example "CN=kmip-client,O=kmipd". Otherwise it is that subject followed by
// ";ca=sha256:" and the hex SHA-256 of the trust anchor's
// SubjectPublicKeyInfo, for example "CN=array-1,O=acme;ca=sha256:9f86...".
// An RFC 4514 string escapes every ';' of its values (section 2.4), so no
// subject of a primary client reads as a qualified identity.
//
// It returns ErrNoIdentity if the connection has no verified chain or the
// certificate's subject is empty.
func IdentifyUnder(cs *tls.ConnectionState, primary []*x509.Certificate) (string, error) {
	return identify(cs, func(anchor *x509.Certificate) bool {
		return slices.ContainsFunc(primary, anchor.Equal)
	})
}

// identify names the leaf of cs's verified chains: its bare subject when
// one of the chains ends at an anchor isPrimary accepts, else the subject
// qualified by the anchor of the first chain.
func identify(cs *tls.ConnectionState, isPrimary func(anchor *x509.Certificate) bool) (string, error) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return "", ErrNoIdentity
	}
	subject := cs.VerifiedChains[0][0].Subject.String()
	if subject == "" {
		return "", ErrNoIdentity
	}
	for _, chain := range cs.VerifiedChains {
		if isPrimary(chain[len(chain)-1]) {
			return subject, nil
		}
	}
	chain := cs.VerifiedChains[0]
	return QualifiedIdentity(subject, chain[len(chain)-1]), nil
}

// QualifiedIdentity is the identity of a client of subject whose
// certificate chains to anchor, a CA other than the server's own client CA
// (see IdentifyUnder).
func QualifiedIdentity(subject string, anchor *x509.Certificate) string {
	sum := sha256.Sum256(anchor.RawSubjectPublicKeyInfo)
	return subject + ";ca=sha256:" + hex.EncodeToString(sum[:])
}

// IdentityOfFile returns the identity a server gives the client presenting
// the certificate in certFile when it trusts the CA certificates of
// primaryCAFile (tls.ca) and of otherCAFiles (tls.client_cas), as
// IdentifyUnder names it: for writing authorization policies and
// auth.users bindings before the client connects (kmipctl pki identity).
// The certificate must verify for client authentication under those CAs.
func IdentityOfFile(certFile, primaryCAFile string, otherCAFiles []string) (string, error) {
	cert, err := readCertificate(certFile)
	if err != nil {
		return "", err
	}
	primary, err := readCertificates(primaryCAFile)
	if err != nil {
		return "", err
	}
	roots := x509.NewCertPool()
	for _, ca := range primary {
		roots.AddCert(ca)
	}
	for _, f := range otherCAFiles {
		cas, err := readCertificates(f)
		if err != nil {
			return "", err
		}
		for _, ca := range cas {
			roots.AddCert(ca)
		}
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return "", fmt.Errorf("certs: %s: %w", certFile, err)
	}
	return IdentifyUnder(&tls.ConnectionState{VerifiedChains: chains}, primary)
}
