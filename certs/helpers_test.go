package certs

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sharedPKI is a development PKI made once for the tests that only read it.
var (
	sharedOnce sync.Once
	sharedDir  string
	sharedErr  error
)

func testPKI(t *testing.T) string {
	t.Helper()
	sharedOnce.Do(func() {
		sharedDir, sharedErr = os.MkdirTemp("", "certs-test-")
		if sharedErr == nil {
			sharedDir = filepath.Join(sharedDir, "pki")
			_, sharedErr = EnsureDevPKI(sharedDir, []string{"kmip.example.test", "192.0.2.10"})
		}
	})
	if sharedErr != nil {
		t.Fatalf("EnsureDevPKI: %v", sharedErr)
	}
	return sharedDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(filepath.Dir(sharedDir))
	}
	os.Exit(code)
}

// issueTestLeaf issues a leaf from the CA in dir with tmpl into
// outDir/name.crt and outDir/name.key and returns their paths.
func issueTestLeaf(t *testing.T, dir string, tmpl *x509.Certificate, outDir, name string) (certFile, keyFile string) {
	t.Helper()
	ca, err := loadIssuer(filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	kp, err := issueLeaf(ca, tmpl, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(outDir, name+".crt"), filepath.Join(outDir, name+".key")
	if err := writeKeyPair(kp, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// result is what the test server saw of one connection.
type result struct {
	identity string
	state    tls.ConnectionState
	err      error
}

// startServer serves TLS on 127.0.0.1 with cfg. For each connection it
// completes the handshake, reports it on the returned channel, writes the
// client's identity as a line and closes the connection.
func startServer(t *testing.T, cfg *tls.Config) (addr string, results <-chan result) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan result, 16)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				tc := conn.(*tls.Conn)
				tc.SetDeadline(time.Now().Add(10 * time.Second))
				if err := tc.Handshake(); err != nil {
					ch <- result{err: err}
					return
				}
				cs := tc.ConnectionState()
				id, err := Identify(&cs)
				ch <- result{identity: id, state: cs, err: err}
				fmt.Fprintf(tc, "%s\n", id)
			}()
		}
	}()
	return ln.Addr().String(), ch
}

// exchange dials addr with cfg, reads the identity line the test server
// writes and returns it with the client's connection state.
func exchange(addr string, cfg *tls.Config) (string, tls.ConnectionState, error) {
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", addr, cfg)
	if err != nil {
		return "", tls.ConnectionState{}, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", conn.ConnectionState(), err
	}
	return strings.TrimSuffix(line, "\n"), conn.ConnectionState(), nil
}

// serverResult waits for the test server's report of one connection.
func serverResult(t *testing.T, results <-chan result) result {
	t.Helper()
	select {
	case r := <-results:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no connection reached the server")
		return result{}
	}
}

func pkiPath(dir, name string) string { return filepath.Join(dir, name) }

func devServerConfig(t *testing.T, dir string, opts ...ServerOption) *tls.Config {
	t.Helper()
	cfg, err := ServerConfig(pkiPath(dir, ServerCertFile), pkiPath(dir, ServerKeyFile), pkiPath(dir, CACertFile), opts...)
	if err != nil {
		t.Fatalf("ServerConfig: %v", err)
	}
	return cfg
}

func devClientConfig(t *testing.T, dir, serverName string) *tls.Config {
	t.Helper()
	cfg, err := ClientConfig(pkiPath(dir, CACertFile), pkiPath(dir, ClientCertFile), pkiPath(dir, ClientKeyFile), serverName)
	if err != nil {
		t.Fatalf("ClientConfig: %v", err)
	}
	return cfg
}
