package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kmipd/kmipd/certs"
)

func TestCertifyConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "kmipd.yaml")
	yml := "certify:\n  ca_cert: /yaml/ca.crt\n  ca_key: /yaml/ca.key\n  validity: 720h\n"
	if err := os.WriteFile(file, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newCommand()
	if err := cmd.Flags().Parse([]string{"--certify-ca-cert", "/flag/ca.crt"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(file, cmd.Flags(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Certify.CACert != "/flag/ca.crt" || cfg.Certify.CAKey != "/yaml/ca.key" || cfg.Certify.Validity != 720*time.Hour {
		t.Errorf("certify config %+v, want the flag's certificate, the YAML's key and validity", cfg.Certify)
	}
}

// TestOpenCertifier: no CA configured and no dev PKI means no Certifier (a
// nil interface, so the server offers no Certify); with the dev PKI of
// `make run` its separate Certify CA certifies, never the client CA; a
// Certify CA that the TLS listener trusts for clients is refused unless
// certify.client_ca says so; half a configuration is an error.
func TestOpenCertifier(t *testing.T) {
	if c, err := openCertifier(defaultConfig(), ""); c != nil || err != nil {
		t.Fatalf("without a CA: %v, %v; want nil, nil", c, err)
	}
	pki := filepath.Join(t.TempDir(), "pki")
	if _, err := certs.EnsureDevPKI(pki, nil); err != nil {
		t.Fatal(err)
	}
	dev := defaultConfig()
	dev.TLS.CA = filepath.Join(pki, certs.CACertFile) // as run sets it with the dev PKI
	c, err := openCertifier(dev, pki)
	if err != nil || c == nil {
		t.Fatalf("with the dev PKI: %v, %v", c, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := c.ca.Certify(certs.CertifyRequest{PublicKey: &key.PublicKey, Caller: "CN=kmip-client,O=kmipd", KeyName: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	verifies := func(caFile string) bool {
		caPEM, err := os.ReadFile(filepath.Join(pki, caFile))
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		_, err = cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err == nil
	}
	if !verifies(certs.CertifyCACertFile) || verifies(certs.CACertFile) {
		t.Error("the certificate is not the Certify CA's alone")
	}

	// A reload that makes the client CAs trust the Certify CA is refused.
	trusting := dev
	trusting.TLS.ClientCAs = []string{filepath.Join(pki, certs.CertifyCACertFile)}
	if err := c.checkTrust(trusting); err == nil {
		t.Error("client CAs trusting the Certify CA passed the check")
	}

	clientCA := dev
	clientCA.Certify.CACert, clientCA.Certify.CAKey = filepath.Join(pki, certs.CACertFile), filepath.Join(pki, certs.CAKeyFile)
	if _, err := openCertifier(clientCA, pki); err == nil {
		t.Error("the client CA was accepted as Certify CA")
	}
	clientCA.Certify.ClientCA = true
	if c, err := openCertifier(clientCA, pki); err != nil || c == nil {
		t.Errorf("the client CA with certify.client_ca: %v, %v", c, err)
	}

	half := defaultConfig()
	half.Certify.CACert = filepath.Join(pki, certs.CACertFile)
	if _, err := openCertifier(half, pki); err == nil {
		t.Error("a CA certificate without its key was accepted")
	}
}
