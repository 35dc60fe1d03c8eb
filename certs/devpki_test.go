package certs

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

var allFiles = []string{CACertFile, CAKeyFile, ServerCertFile, ServerKeyFile, ClientCertFile, ClientKeyFile, CertifyCACertFile, CertifyCAKeyFile}

func readAll(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := make(map[string][]byte)
	for _, f := range allFiles {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = b
	}
	return m
}

func TestEnsureDevPKICreatesAndIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "pki")
	created, err := EnsureDevPKI(dir, []string{"kmip.example.test", "10.1.2.3"})
	if err != nil || !created {
		t.Fatalf("EnsureDevPKI = %v, %v; want true, nil", created, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("dir mode = %04o, want 0700", perm)
	}
	for _, f := range allFiles {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o644)
		if filepath.Ext(f) == ".key" {
			want = 0o600
		}
		if perm := info.Mode().Perm(); perm != want {
			t.Errorf("%s mode = %04o, want %04o", f, perm, want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(allFiles)+1 { // + IssuedDir
		t.Errorf("dir holds %d entries, want %d (temporary files left?)", len(entries), len(allFiles)+1)
	}
	if issued, err := ListIssued(dir); err != nil || len(issued) != 1 || issued[0].Name != DevClientName {
		t.Errorf("ListIssued = %+v, %v; want the dev client", issued, err)
	}

	before := readAll(t, dir)
	created, err = EnsureDevPKI(dir, []string{"other.example.test"})
	if err != nil || created {
		t.Fatalf("second EnsureDevPKI = %v, %v; want false, nil", created, err)
	}
	after := readAll(t, dir)
	for _, f := range allFiles {
		if !bytes.Equal(before[f], after[f]) {
			t.Errorf("%s changed on the second call", f)
		}
	}
}

func TestDevPKICertificates(t *testing.T) {
	dir := testPKI(t)
	ca := mustReadCert(t, filepath.Join(dir, CACertFile))
	server := mustReadCert(t, filepath.Join(dir, ServerCertFile))
	client := mustReadCert(t, filepath.Join(dir, ClientCertFile))

	if !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA: IsCA=%v MaxPathLen=%d", ca.IsCA, ca.MaxPathLen)
	}
	for name, c := range map[string]*x509.Certificate{"ca": ca, "server": server, "client": client} {
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() != rsaBits {
			t.Errorf("%s: public key is not RSA %d", name, rsaBits)
		}
		if c.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Errorf("%s: signature algorithm %v", name, c.SignatureAlgorithm)
		}
		if c.NotBefore.After(time.Now()) {
			t.Errorf("%s: not yet valid", name)
		}
	}
	if years := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24 / 365; years < 9.9 || years > 10.1 {
		t.Errorf("CA validity %.1f years, want 10", years)
	}
	if years := server.NotAfter.Sub(server.NotBefore).Hours() / 24 / 365; years < 1.9 || years > 2.1 {
		t.Errorf("server validity %.1f years, want 2", years)
	}

	hostname, _ := os.Hostname()
	for _, name := range []string{"localhost", hostname, "kmip.example.test"} {
		if !slices.Contains(server.DNSNames, name) {
			t.Errorf("server SANs %v lack %q", server.DNSNames, name)
		}
	}
	for _, ip := range []string{"127.0.0.1", "::1", "192.0.2.10"} {
		if !slices.ContainsFunc(server.IPAddresses, net.ParseIP(ip).Equal) {
			t.Errorf("server IP SANs %v lack %s", server.IPAddresses, ip)
		}
	}
	if !slices.Equal(server.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("server EKU = %v, want serverAuth", server.ExtKeyUsage)
	}
	if !slices.Equal(client.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("client EKU = %v, want clientAuth", client.ExtKeyUsage)
	}
	if client.Subject.CommonName != DevClientName || !slices.Equal(client.DNSNames, []string{DevClientName}) {
		t.Errorf("client CN %q SANs %v", client.Subject.CommonName, client.DNSNames)
	}
	for _, c := range []*x509.Certificate{server, client} {
		if c.KeyUsage&x509.KeyUsageKeyEncipherment == 0 || c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
			t.Errorf("%s key usage %v lacks digitalSignature or keyEncipherment", c.Subject, c.KeyUsage)
		}
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := server.Verify(x509.VerifyOptions{Roots: roots, DNSName: "localhost"}); err != nil {
		t.Errorf("server does not verify for localhost: %v", err)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client does not verify for clientAuth: %v", err)
	}
}

func TestEnsureDevPKIIssuesMissingLeaf(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureDevPKI(dir, nil); err != nil {
		t.Fatal(err)
	}
	before := readAll(t, dir)
	os.Remove(filepath.Join(dir, ClientCertFile))
	os.Remove(filepath.Join(dir, ClientKeyFile))
	created, err := EnsureDevPKI(dir, nil)
	if err != nil || !created {
		t.Fatalf("EnsureDevPKI = %v, %v; want true, nil", created, err)
	}
	after := readAll(t, dir)
	for _, f := range []string{CACertFile, CAKeyFile, ServerCertFile, ServerKeyFile} {
		if !bytes.Equal(before[f], after[f]) {
			t.Errorf("%s changed", f)
		}
	}
	roots := x509.NewCertPool()
	roots.AddCert(mustReadCert(t, filepath.Join(dir, CACertFile)))
	client := mustReadCert(t, filepath.Join(dir, ClientCertFile))
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("reissued client does not verify against the existing CA: %v", err)
	}
}

func TestEnsureDevPKIRefusesInconsistentDir(t *testing.T) {
	t.Run("half pair", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ServerKeyFile), []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := EnsureDevPKI(dir, nil); err == nil {
			t.Fatal("EnsureDevPKI accepted server.key without server.crt")
		}
		if b, _ := os.ReadFile(filepath.Join(dir, ServerKeyFile)); string(b) != "mine" {
			t.Fatal("server.key was overwritten")
		}
	})
	t.Run("leaves without CA", func(t *testing.T) {
		dir := t.TempDir()
		for _, f := range []string{ClientCertFile, ClientKeyFile} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("mine"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := EnsureDevPKI(dir, nil); err == nil {
			t.Fatal("EnsureDevPKI accepted client files without a CA")
		}
		if _, err := os.Stat(filepath.Join(dir, CACertFile)); err == nil {
			t.Fatal("EnsureDevPKI wrote a CA next to foreign leaves")
		}
	})
	t.Run("bad host", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := EnsureDevPKI(dir, []string{"not a host!"}); err == nil {
			t.Fatal("EnsureDevPKI accepted an invalid host name")
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("EnsureDevPKI wrote %d files before refusing the host name", len(entries))
		}
	})
}

func TestIssueClient(t *testing.T) {
	dir := testPKI(t)
	out := filepath.Join(t.TempDir(), "backup")
	caCert, caKey := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	if _, err := IssueClient(caCert, caKey, "backup-01.example", out); err != nil {
		t.Fatalf("IssueClient: %v", err)
	}
	client := mustReadCert(t, filepath.Join(out, ClientCertFile))
	if got := client.Subject.String(); got != "CN=backup-01.example,O=kmipd" {
		t.Errorf("subject = %q", got)
	}
	if !slices.Equal(client.DNSNames, []string{"backup-01.example"}) {
		t.Errorf("SANs = %v", client.DNSNames)
	}
	if info, err := os.Stat(filepath.Join(out, ClientKeyFile)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("client.key: %v, %v", info, err)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("out dir: %v, %v", info, err)
	}
	want, _ := os.ReadFile(caCert)
	if got, _ := os.ReadFile(filepath.Join(out, CACertFile)); !bytes.Equal(got, want) {
		t.Error("outDir/ca.crt is not the CA certificate")
	}
	roots := x509.NewCertPool()
	roots.AddCert(mustReadCert(t, caCert))
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("issued client does not verify: %v", err)
	}

	before, _ := os.ReadFile(filepath.Join(out, ClientCertFile))
	if _, err := IssueClient(caCert, caKey, "backup-01.example", out); err == nil {
		t.Error("second IssueClient into the same dir succeeded")
	}
	if after, _ := os.ReadFile(filepath.Join(out, ClientCertFile)); !bytes.Equal(before, after) {
		t.Error("client.crt was overwritten")
	}

	for _, name := range []string{"", "a b", "*.example", "x/../y", "CN=evil,O=x"} {
		if _, err := IssueClient(caCert, caKey, name, t.TempDir()); err == nil {
			t.Errorf("IssueClient accepted name %q", name)
		}
	}
	if _, err := IssueClient(filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile), "x", t.TempDir()); err == nil {
		t.Error("IssueClient accepted a non-CA certificate as issuer")
	}
	if _, err := IssueClient(caCert, filepath.Join(dir, ServerKeyFile), "x", t.TempDir()); err == nil {
		t.Error("IssueClient accepted a key that does not match the CA")
	}
}

func mustReadCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	c, err := readCertificate(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDevPKICertifyCAIsSeparate: the development PKI's Certify CA is not
// its client CA, so that the certificates clients get through Certify are
// never trusted as client certificates.
func TestDevPKICertifyCAIsSeparate(t *testing.T) {
	dir := t.TempDir()
	if _, err := EnsureDevPKI(dir, nil); err != nil {
		t.Fatal(err)
	}
	c, err := NewCertifier(filepath.Join(dir, CertifyCACertFile), filepath.Join(dir, CertifyCAKeyFile), 0, CertifyPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	if trusted, err := c.TrustedBy([]string{filepath.Join(dir, CACertFile)}); err != nil || trusted {
		t.Errorf("the client CA trusts the Certify CA: %v, %v", trusted, err)
	}
	// A PKI of an older version, without a Certify CA, gets one.
	for _, f := range []string{CertifyCACertFile, CertifyCAKeyFile} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if created, err := EnsureDevPKI(dir, nil); err != nil || !created {
		t.Fatalf("EnsureDevPKI on a PKI without Certify CA = %v, %v", created, err)
	}
	if _, err := os.Stat(filepath.Join(dir, CertifyCAKeyFile)); err != nil {
		t.Error(err)
	}
}
