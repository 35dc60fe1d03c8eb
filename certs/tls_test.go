package certs

import (
	"crypto/fips140"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestMutualTLSHandshakeAndIdentify(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := devClientConfig(t, dir, "localhost")
			cfg.MaxVersion = version
			id, cs, err := exchange(addr, cfg)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			r := serverResult(t, results)
			if r.err != nil {
				t.Fatalf("server: %v", r.err)
			}
			const want = "CN=kmip-client,O=kmipd"
			if r.identity != want || id != want {
				t.Errorf("identity = %q (client saw %q), want %q", r.identity, id, want)
			}
			if cs.Version != version {
				t.Errorf("negotiated %s, want %s", tls.VersionName(cs.Version), tls.VersionName(version))
			}
			if version == tls.VersionTLS12 && !slices.Contains(DefaultSuites, cs.CipherSuite) {
				t.Errorf("negotiated suite %s is not in DefaultSuites", tls.CipherSuiteName(cs.CipherSuite))
			}
		})
	}
}

func TestEveryDefaultSuiteNegotiates(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))
	for _, suite := range DefaultSuites {
		name := tls.CipherSuiteName(suite)
		cfg := devClientConfig(t, dir, "localhost")
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{suite}
		_, cs, err := exchange(addr, cfg)
		r := serverResult(t, results)
		// The dev certificate is RSA: the ECDSA suites cannot be chosen.
		isECDSA := slices.Contains([]uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		}, suite)
		isChaCha := suite == tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
		if isECDSA || (isChaCha && fips140.Enabled()) { // FIPS 140-3 mode drops ChaCha20
			if err == nil {
				t.Errorf("%s negotiated, though not available here", name)
			}
			continue
		}
		if err != nil || r.err != nil {
			t.Errorf("%s: client %v, server %v", name, err, r.err)
			continue
		}
		if cs.CipherSuite != suite {
			t.Errorf("offered only %s, negotiated %s", name, tls.CipherSuiteName(cs.CipherSuite))
		}
	}
}

func TestSessionResumption(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := devClientConfig(t, dir, "127.0.0.1")
			cfg.MaxVersion = version
			if _, cs, err := exchange(addr, cfg); err != nil || cs.DidResume {
				t.Fatalf("first connection: resumed=%v, %v", cs.DidResume, err)
			}
			serverResult(t, results)
			_, cs, err := exchange(addr, cfg)
			if err != nil {
				t.Fatalf("second connection: %v", err)
			}
			r := serverResult(t, results)
			if !cs.DidResume || !r.state.DidResume {
				t.Fatalf("second connection did not resume (client %v, server %v)", cs.DidResume, r.state.DidResume)
			}
			if r.err != nil || r.identity != "CN=kmip-client,O=kmipd" {
				t.Fatalf("identity on resumed session = %q, %v", r.identity, r.err)
			}
		})
	}
}

// expectRefused dials with cfg and checks that both sides fail.
func expectRefused(t *testing.T, addr string, results <-chan result, cfg *tls.Config) {
	t.Helper()
	id, _, err := exchange(addr, cfg)
	if err == nil {
		t.Fatalf("client connected and read identity %q", id)
	}
	if r := serverResult(t, results); r.err == nil {
		t.Fatalf("server accepted the connection with identity %q", r.identity)
	}
}

func TestClientWithoutCertificateRefused(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		cfg := devClientConfig(t, dir, "localhost")
		cfg.Certificates = nil
		cfg.MaxVersion = version
		expectRefused(t, addr, results, cfg)
	}
}

func TestClientFromAnotherCARefused(t *testing.T) {
	dir := testPKI(t)
	other := t.TempDir()
	if _, err := EnsureDevPKI(other, nil); err != nil {
		t.Fatal(err)
	}
	addr, results := startServer(t, devServerConfig(t, dir))
	cfg := devClientConfig(t, dir, "localhost")
	cert, err := tls.LoadX509KeyPair(filepath.Join(other, ClientCertFile), filepath.Join(other, ClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	expectRefused(t, addr, results, cfg)
}

func TestClientWithoutClientAuthEKURefused(t *testing.T) {
	dir := testPKI(t)
	out := t.TempDir()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "server-only", Organization: []string{organization}},
		DNSNames:    []string{"server-only"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	certFile, keyFile := issueTestLeaf(t, dir, tmpl, out, "serveronly")
	addr, results := startServer(t, devServerConfig(t, dir))
	cfg := devClientConfig(t, dir, "localhost")
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	expectRefused(t, addr, results, cfg)
}

func TestTLS11Refused(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))
	cfg := devClientConfig(t, dir, "localhost")
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS11, tls.VersionTLS11
	expectRefused(t, addr, results, cfg)
}

func TestServerNameMustMatchSAN(t *testing.T) {
	dir := testPKI(t)
	addr, results := startServer(t, devServerConfig(t, dir))
	_, _, err := exchange(addr, devClientConfig(t, dir, "not-a-san.example.test"))
	var hostErr x509.HostnameError
	if !errors.As(err, &hostErr) {
		t.Fatalf("dial with a name not among the SANs: %v, want x509.HostnameError", err)
	}
	serverResult(t, results)
}

func TestLegacySuites(t *testing.T) {
	dir := testPKI(t)
	for _, suite := range LegacyCipherSuites {
		if suite == tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 {
			continue // needs an ECDSA server certificate
		}
		name := tls.CipherSuiteName(suite)
		t.Run(name, func(t *testing.T) {
			cfg := devClientConfig(t, dir, "localhost")
			cfg.MaxVersion = tls.VersionTLS12
			cfg.CipherSuites = []uint16{suite}

			addr, results := startServer(t, devServerConfig(t, dir))
			expectRefused(t, addr, results, cfg)

			addr, results = startServer(t, devServerConfig(t, dir, LegacySuites()))
			if suite == tls.TLS_RSA_WITH_AES_128_CBC_SHA256 && fips140.Enabled() {
				// FIPS 140-3 mode drops RSA key exchange even when configured.
				expectRefused(t, addr, results, cfg)
				return
			}
			_, cs, err := exchange(addr, cfg)
			if err != nil {
				t.Fatalf("with LegacySuites: %v", err)
			}
			if r := serverResult(t, results); r.err != nil {
				t.Fatalf("server: %v", r.err)
			}
			if cs.CipherSuite != suite {
				t.Fatalf("negotiated %s", tls.CipherSuiteName(cs.CipherSuite))
			}
		})
	}
}

func TestServerConfigErrors(t *testing.T) {
	dir := testPKI(t)
	p := func(n string) string { return filepath.Join(dir, n) }
	cases := map[string][3]string{
		"missing CA":      {p(ServerCertFile), p(ServerKeyFile), p("nope.crt")},
		"key as CA":       {p(ServerCertFile), p(ServerKeyFile), p(ServerKeyFile)},
		"mismatched pair": {p(ServerCertFile), p(ClientKeyFile), p(CACertFile)},
		"missing cert":    {p("nope.crt"), p(ServerKeyFile), p(CACertFile)},
	}
	for name, c := range cases {
		if _, err := ServerConfig(c[0], c[1], c[2]); err == nil {
			t.Errorf("%s: ServerConfig succeeded", name)
		}
	}
	if _, err := ClientConfig(p(CACertFile), p(ClientCertFile), p(ServerKeyFile), "localhost"); err == nil {
		t.Error("ClientConfig accepted a mismatched key pair")
	}
}

func TestIdentifyWithoutVerifiedChain(t *testing.T) {
	if _, err := Identify(nil); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("Identify(nil) = %v", err)
	}
	cert := mustReadCert(t, filepath.Join(testPKI(t), ClientCertFile))
	// Presented but not verified: no identity.
	cs := &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	if _, err := Identify(cs); !errors.Is(err, ErrNoIdentity) {
		t.Errorf("Identify(unverified) = %v", err)
	}
}

func TestReloader(t *testing.T) {
	dir := testPKI(t)
	work := t.TempDir()
	certFile, keyFile := filepath.Join(work, "server.crt"), filepath.Join(work, "server.key")
	copyFile(t, filepath.Join(dir, ServerCertFile), certFile)
	copyFile(t, filepath.Join(dir, ServerKeyFile), keyFile)

	r, err := NewReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	first := leafSubject(t, r)

	tmpl, err := serverTemplate([]string{"renewed.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	newCert, newKey := issueTestLeaf(t, dir, tmpl, work, "renewed")
	// Replace the files as an operator would: rename over them.
	if err := os.Rename(newKey, keyFile); err != nil {
		t.Fatal(err)
	}
	if got := leafSubject(t, r); got != first {
		t.Fatalf("half-replaced pair served %q, want the previous %q", got, first)
	}
	if err := os.Rename(newCert, certFile); err != nil {
		t.Fatal(err)
	}
	if got := leafSubject(t, r); got != "CN=renewed.example.test,O=kmipd" {
		t.Fatalf("after renewal served %q", got)
	}

	if err := os.WriteFile(certFile+".tmp", []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(certFile+".tmp", certFile); err != nil {
		t.Fatal(err)
	}
	if got := leafSubject(t, r); got != "CN=renewed.example.test,O=kmipd" {
		t.Fatalf("after a broken write served %q, want the last good certificate", got)
	}
}

func leafSubject(t *testing.T, r *Reloader) string {
	t.Helper()
	c, err := r.GetCertificate(nil)
	if err != nil || c == nil {
		t.Fatalf("GetCertificate: %v", err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return leaf.Subject.String()
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestResumedSessionKeepsItsClient: a resumed session is the client's that
// made it. The server names the client of a resumed connection from the
// certificate of the original handshake (kept in the session ticket), so a
// session alice made resumes as alice, also when bob's client offers it
// (bob's configuration shares alice's session cache here, as a client
// process serving two tenants might), and never as bob; bob's own session
// resumes as bob.
func TestResumedSessionKeepsItsClient(t *testing.T) {
	dir := newDevPKI(t)
	aliceDir, bobDir := t.TempDir(), t.TempDir()
	for name, out := range map[string]string{"alice": aliceDir, "bob": bobDir} {
		if _, err := IssueClientFromPKI(dir, name, out); err != nil {
			t.Fatal(err)
		}
	}
	const aliceID, bobID = "CN=alice,O=kmipd", "CN=bob,O=kmipd"
	addr, results := startServer(t, newServerTLS(t, serverFiles(dir, pkiPath(dir, CACertFile))).Config())
	connect := func(cfg *tls.Config) result {
		t.Helper()
		_, cs, err := exchange(addr, cfg)
		r := serverResult(t, results)
		if err != nil || r.err != nil {
			t.Fatalf("client %v, server %v", err, r.err)
		}
		if cs.DidResume != r.state.DidResume {
			t.Fatalf("client resumed %v, server %v", cs.DidResume, r.state.DidResume)
		}
		return r
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			shared := tls.NewLRUClientSessionCache(4)
			alice, bob := clientOf(t, dir, aliceDir), clientOf(t, dir, bobDir)
			alice.MaxVersion, bob.MaxVersion = version, version
			alice.ClientSessionCache, bob.ClientSessionCache = shared, shared

			if r := connect(alice); r.state.DidResume || r.identity != aliceID {
				t.Fatalf("alice's first connection: resumed %v as %q", r.state.DidResume, r.identity)
			}
			if r := connect(alice); !r.state.DidResume || r.identity != aliceID {
				t.Fatalf("alice's second connection: resumed %v as %q, want a resumption as %q", r.state.DidResume, r.identity, aliceID)
			}
			// bob's client offers alice's session from the shared cache.
			r := connect(bob)
			t.Logf("bob's client offering alice's session: resumed %v, named %q", r.state.DidResume, r.identity)
			if r.identity == bobID && r.state.DidResume {
				t.Fatalf("alice's session resumed as %q", bobID)
			}
			if r.state.DidResume && r.identity != aliceID {
				t.Fatalf("alice's session resumed as %q", r.identity)
			}
			if !r.state.DidResume && r.identity != bobID {
				t.Fatalf("bob's full handshake named %q", r.identity)
			}
			// bob with his own cache: a full handshake, then his resumption.
			bob.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			if r := connect(bob); r.state.DidResume || r.identity != bobID {
				t.Fatalf("bob's first own connection: resumed %v as %q", r.state.DidResume, r.identity)
			}
			if r := connect(bob); !r.state.DidResume || r.identity != bobID {
				t.Fatalf("bob's resumption: resumed %v as %q", r.state.DidResume, r.identity)
			}
		})
	}
}
