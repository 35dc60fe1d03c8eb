package certs

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// pythonClient loads the PEM files into Python's ssl module (the stack of
// PyKMIP on Debian) and, given an address, connects with mutual TLS,
// prints the protocol and cipher and the identity line the test server
// writes. A non-empty ciphers argument limits the client to TLS 1.2 with
// that OpenSSL cipher string.
const pythonClient = `
import socket, ssl, sys
ca, cert, key, addr, ciphers = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(ca)
if not addr:
    print("loaded")
    sys.exit(0)
if ciphers:
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
host, port = addr.rsplit(":", 1)
with socket.create_connection((host, int(port)), timeout=10) as sock:
    with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
        line = tls.makefile("r").readline().strip()
        print(tls.version(), tls.cipher()[0], line)
`

// pyKMIPTLS12Ciphers is the part of PyKMIP's TLS12AuthenticationSuite
// default cipher list that OpenSSL 3 still knows.
const pyKMIPTLS12Ciphers = "AES128-SHA256:AES256-SHA256:DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:" +
	"ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:" +
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"

func requirePythonSSL(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import ssl").Run(); err != nil {
		t.Skipf("%s with ssl not available: %v", python, err)
	}
}

func runPython(t *testing.T, dir, certFile, keyFile, addr, ciphers string) (string, error) {
	t.Helper()
	out, err := exec.Command(python, "-c", pythonClient,
		filepath.Join(dir, CACertFile), certFile, keyFile, addr, ciphers).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestPEMsLoadInPython(t *testing.T) {
	requirePythonSSL(t)
	dir := testPKI(t)
	for _, pair := range [][2]string{{ClientCertFile, ClientKeyFile}, {ServerCertFile, ServerKeyFile}, {CACertFile, CAKeyFile}} {
		out, err := runPython(t, dir, filepath.Join(dir, pair[0]), filepath.Join(dir, pair[1]), "", "")
		if err != nil || out != "loaded" {
			t.Errorf("Python ssl cannot load %s/%s: %v\n%s", pair[0], pair[1], err, out)
		}
	}
}

func TestPythonClientHandshake(t *testing.T) {
	requirePythonSSL(t)
	dir := testPKI(t)
	cert, key := filepath.Join(dir, ClientCertFile), filepath.Join(dir, ClientKeyFile)

	t.Run("default", func(t *testing.T) {
		addr, results := startServer(t, devServerConfig(t, dir))
		out, err := runPython(t, dir, cert, key, addr, "")
		if err != nil {
			t.Fatalf("python client: %v\n%s", err, out)
		}
		if r := serverResult(t, results); r.err != nil {
			t.Fatalf("server: %v", r.err)
		}
		// The TLS 1.3 suite depends on the CPU's AES support; not checked.
		if !strings.HasPrefix(out, "TLSv1.3 TLS_") || !strings.HasSuffix(out, " CN=kmip-client,O=kmipd") {
			t.Errorf("python client printed %q, want TLS 1.3 and identity CN=kmip-client,O=kmipd", out)
		}
	})

	// PyKMIP's TLS 1.2 suite offers only CBC suites that an RSA server
	// certificate can serve: refused by default, accepted with LegacySuites.
	t.Run("PyKMIP TLS 1.2 suites", func(t *testing.T) {
		addr, results := startServer(t, devServerConfig(t, dir))
		if out, err := runPython(t, dir, cert, key, addr, pyKMIPTLS12Ciphers); err == nil {
			t.Fatalf("python client with PyKMIP's TLS 1.2 suites connected by default: %s", out)
		}
		if r := serverResult(t, results); r.err == nil {
			t.Fatal("server accepted PyKMIP's TLS 1.2 suites by default")
		}

		addr, results = startServer(t, devServerConfig(t, dir, LegacySuites()))
		out, err := runPython(t, dir, cert, key, addr, pyKMIPTLS12Ciphers)
		if err != nil {
			t.Fatalf("python client with LegacySuites server: %v\n%s", err, out)
		}
		if r := serverResult(t, results); r.err != nil {
			t.Fatalf("server: %v", r.err)
		}
		if want := "TLSv1.2 ECDHE-RSA-AES128-SHA256 CN=kmip-client,O=kmipd"; out != want {
			t.Errorf("python client printed %q, want %q", out, want)
		}
	})
}
