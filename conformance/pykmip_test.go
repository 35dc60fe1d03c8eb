package conformance

import (
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// python is the interpreter of Debian's python3-pykmip package.
const python = "/usr/bin/python3"

// TestPyKMIP runs testdata/pykmip_interop.py, a full symmetric-key, secret
// data, opaque object and split key lifecycle through PyKMIP's ProxyKmipClient, against
// a fresh kmipd in KMIP 1.2 and in KMIP 2.0.
func TestPyKMIP(t *testing.T) {
	requirePyKMIP(t)
	for _, version := range []string{"1.2", "2.0"} {
		t.Run("KMIP"+version, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, t.TempDir())
			host, port, err := net.SplitHostPort(d.addr)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "testdata/pykmip_interop.py",
				host, port, d.pki("client.crt"), d.pki("client.key"), d.pki("ca.crt"), version)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("pykmip_interop.py %s: %v\n%s", version, err, out)
			}
			t.Logf("pykmip_interop.py %s:\n%s", version, out)
			d.stop(t)
		})
	}
}

// TestPyKMIPQuery asks every Query Function of KMIP 1.0 to 2.0 with
// PyKMIP (testdata/pykmip_query.py), which decodes the answers, against
// one kmipd.
func TestPyKMIPQuery(t *testing.T) {
	requirePyKMIP(t)
	d := startDaemon(t, t.TempDir())
	host, port, err := net.SplitHostPort(d.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, version := range []string{"1.0", "1.1", "1.2", "1.3", "1.4", "2.0"} {
		t.Run("KMIP"+version, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, python, "testdata/pykmip_query.py",
				host, port, d.pki("client.crt"), d.pki("client.key"), d.pki("ca.crt"), version)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("pykmip_query.py %s: %v\n%s", version, err, out)
			}
			t.Logf("pykmip_query.py %s:\n%s", version, out)
		})
	}
	d.stop(t)
}

// requirePyKMIP skips the test when python3-pykmip is not installed, or
// fails it under CI=true, where the package is always installed.
func requirePyKMIP(t *testing.T) {
	t.Helper()
	out, err := exec.Command(python, "-c", "import kmip").CombinedOutput()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s cannot import kmip (install python3-pykmip): %v\n%s", python, err, out)
	}
	t.Skipf("%s cannot import kmip (apt-get install python3-pykmip): %v", python, err)
}
