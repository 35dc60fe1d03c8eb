package conformance

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// TestCertifyCannotMintAClientIdentity replays issue 12's attack against
// the built kmipd with its dev PKI and default settings: a client with an
// ordinary certificate creates a key pair, gets the private key and asks
// Certify for a certificate with another client's subject, then without a
// request for one of its own, and tries to log in with what it got to read
// the other client's key. The request for the other subject is Permission
// Denied (and audited); the certificate it gets is signed by the separate
// Certify CA with the emailProtection EKU only and no DNS name, and the
// TLS listener refuses it. With the request subject policy, where the
// certificate does carry the victim's subject, the listener still refuses
// it; and a client of another trusted CA with the victim's very subject is
// another identity, which does not see the victim's key.
func TestCertifyCannotMintAClientIdentity(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	victim := d.client(t)
	secret := createKey(t, victim, "victim-secret", "")
	const victimSubject = "CN=kmip-client,O=kmipd"

	attackerDir := filepath.Join(t.TempDir(), "attacker")
	if out, err := exec.Command(kmipctlBin, "pki", "issue", "attacker", "--pki", filepath.Join(dir, "pki"), "--out", attackerDir).CombinedOutput(); err != nil {
		t.Fatalf("kmipctl pki issue: %v\n%s", err, out)
	}
	attacker := dialWith(t, d, filepath.Join(attackerDir, "client.crt"), filepath.Join(attackerDir, "client.key"))
	_, pub, signer := attackerKeyPair(t, attacker)

	csr := victimCSR(t, signer, victimSubject)
	_, err := try(attacker, kmip14.OperationCertify, &kmip.CertifyRequest{UniqueIdentifier: pub,
		CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: csr})
	requireReason(t, err, kmip.ReasonPermissionDenied)

	certID := do[*kmip.CertifyResponse](t, attacker, kmip14.OperationCertify, &kmip.CertifyRequest{UniqueIdentifier: pub}).UniqueIdentifier
	minted := getCertificate(t, attacker, certID)
	if minted.Subject.String() == victimSubject || minted.Subject.String() == "CN=attacker,O=kmipd" {
		t.Errorf("Certify issued the subject %v, a client identity", minted.Subject)
	}
	if !slices.Equal(minted.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}) || len(minted.DNSNames)+len(minted.IPAddresses) != 0 {
		t.Errorf("Certify issued EKU %v, names %v %v; want emailProtection alone and no DNS or IP name", minted.ExtKeyUsage, minted.DNSNames, minted.IPAddresses)
	}
	if verifiesUnder(t, minted, d.pki(certs.CACertFile)) {
		t.Error("the Certify certificate chains to the CA that authenticates clients")
	}
	requireRefusedLogin(t, d, minted, signer, secret)

	d.stop(t)
	out, err := exec.Command(kmipctlBin, "audit", "export", "--data-dir", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kmipctl audit export: %v\n%s", err, out)
	}
	if !auditHasRefusal(string(out), "Certify", `"reason":"PermissionDenied"`) {
		t.Errorf("the refused Certify is not in the audit trail:\n%.3000s", out)
	}

	// The request policy copies the victim's subject, and the listener
	// still does not take the certificate as a client's.
	d = startDaemon(t, dir, "KMIPD_CERTIFY_SUBJECT=request")
	attacker = dialWith(t, d, filepath.Join(attackerDir, "client.crt"), filepath.Join(attackerDir, "client.key"))
	certID = do[*kmip.CertifyResponse](t, attacker, kmip14.OperationCertify, &kmip.CertifyRequest{UniqueIdentifier: pub,
		CertificateRequestType: kmip14.CertificateRequestTypePKCS_10, CertificateRequest: csr}).UniqueIdentifier
	minted = getCertificate(t, attacker, certID)
	if minted.Subject.String() != victimSubject {
		t.Fatalf("the request policy issued %v, want the request's subject", minted.Subject)
	}
	requireRefusedLogin(t, d, minted, signer, secret)
	d.stop(t)

	// Another trusted CA issuing the victim's subject is another identity.
	byoc := filepath.Join(t.TempDir(), "byoc")
	if _, err := certs.EnsureDevPKI(byoc, nil); err != nil {
		t.Fatal(err)
	}
	d = startDaemon(t, dir, "KMIPD_TLS_CLIENT_CA="+filepath.Join(byoc, certs.CACertFile))
	twin := dialWith(t, d, filepath.Join(byoc, certs.ClientCertFile), filepath.Join(byoc, certs.ClientKeyFile))
	_, err = try(twin, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: secret})
	requireReason(t, err, kmip.ReasonItemNotFound)
	if got := getMaterial(t, d.client(t), secret); len(got) != 32 {
		t.Errorf("the victim reads %d bytes of its key", len(got))
	}
	d.stop(t)
}

// dialWith connects to d with the client certificate certFile/keyFile.
func dialWith(t *testing.T, d *daemon, certFile, keyFile string) *kmip.Client {
	t.Helper()
	cfg, err := certs.ClientConfig(d.pki(certs.CACertFile), certFile, keyFile, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c, err := kmip.Dial(ctx, d.addr, cfg)
	if err != nil {
		t.Fatalf("dial with %s: %v", certFile, err)
	}
	c.Version = kmip.V1_4
	t.Cleanup(func() { c.Close() })
	return c
}

// attackerKeyPair creates an ECDSA P-256 pair on the server and gets its
// private key back (PKCS#8), as any client may for its own keys.
func attackerKeyPair(t *testing.T, c *kmip.Client) (priv, pub string, signer crypto.Signer) {
	t.Helper()
	resp := do[*kmip.CreateKeyPairResponse](t, c, kmip14.OperationCreateKeyPair, &kmip.CreateKeyPairRequest{
		CommonAttributes: kmip.Attributes{
			{Name: kmip.AttrCryptographicAlgorithm, Value: kmip14.CryptographicAlgorithmEC},
			{Name: kmip.AttrCryptographicLength, Value: int32(256)},
		},
		PrivateKeyAttributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskSign)}},
		PublicKeyAttributes:  kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskVerify)}},
	})
	got := do[*kmip.GetResponse](t, c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: resp.PrivateKeyUniqueIdentifier, KeyFormatType: kmip14.KeyFormatTypePKCS_8})
	if got.Object.KeyBlock == nil {
		t.Fatal("Get of the private key returned no key block")
	}
	key, err := x509.ParsePKCS8PrivateKey(got.Object.KeyBlock.Material)
	if err != nil {
		t.Fatal(err)
	}
	return resp.PrivateKeyUniqueIdentifier, resp.PublicKeyUniqueIdentifier, key.(crypto.Signer)
}

// victimCSR is a PKCS#10 request signed by key for subject (RFC 4514),
// with a DNS name that would make it a server's certificate too.
func victimCSR(t *testing.T, key crypto.Signer, subject string) []byte {
	t.Helper()
	if subject != "CN=kmip-client,O=kmipd" {
		t.Fatalf("victimCSR knows the dev client's subject only, not %s", subject)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "kmip-client", Organization: []string{"kmipd"}},
		DNSNames: []string{"localhost"},
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// getCertificate returns certificate id, parsed.
func getCertificate(t *testing.T, c *kmip.Client, id string) *x509.Certificate {
	t.Helper()
	got := do[*kmip.GetResponse](t, c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	cert, err := x509.ParseCertificate(got.Object.CertificateValue)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return cert
}

// verifiesUnder reports whether cert chains to a CA of caFile.
func verifiesUnder(t *testing.T, cert *x509.Certificate, caFile string) bool {
	t.Helper()
	data, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(data)
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// requireRefusedLogin requires that a client presenting cert (with the
// private key signer) cannot read secret: the handshake or the first
// request fails. The same dial with the dev client's own certificate must
// read it, so a refusal is the server's, not a broken client setup.
func requireRefusedLogin(t *testing.T, d *daemon, cert *x509.Certificate, signer crypto.Signer, secret string) {
	t.Helper()
	own, err := tls.LoadX509KeyPair(d.pki(certs.ClientCertFile), d.pki(certs.ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := getWith(t, d, own, secret); err != nil {
		t.Fatalf("the dev client, dialled as the attacker is: %v", err)
	}
	minted := tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: signer, Leaf: cert}
	if err := getWith(t, d, minted, secret); err == nil {
		t.Fatalf("a certificate from Certify (subject %v) read another client's key", cert.Subject)
	}
}

// getWith dials d presenting cert and Gets id; the error is the dial's or
// the Get's.
func getWith(t *testing.T, d *daemon, cert tls.Certificate, id string) error {
	t.Helper()
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(d.pki(certs.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c, err := kmip.Dial(ctx, d.addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Version = kmip.V1_4
	_, err = try(c, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: id})
	return err
}

// auditHasRefusal reports whether an audit export (one JSON record a line)
// holds a record of op with reason.
func auditHasRefusal(export, op, reason string) bool {
	for _, line := range strings.Split(export, "\n") {
		if strings.Contains(line, `"`+op+`"`) && strings.Contains(line, reason) {
			return true
		}
	}
	return false
}
