package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/certs"
	"github.com/kmipd/kmipd/kmip"
)

// TestSIGHUPReloadsConfig changes a user's password hash and the client CA
// files in kmipd.yaml, sends SIGHUP to a running kmipd, and checks that the
// new password is accepted and the old one refused on a connection opened
// before the reload (which stays served), that a client of the newly named
// CA gets in, that a broken file is refused and the settings in force
// kept, and that a setting needing a restart is reported as such.
func TestSIGHUPReloadsConfig(t *testing.T) {
	dir := t.TempDir()
	// A second PKI: its CA is the operator's own, named only after the reload.
	byoc := filepath.Join(t.TempDir(), "byoc")
	if _, err := certs.EnsureDevPKI(byoc, nil); err != nil {
		t.Fatal(err)
	}
	oldHash, err := certs.HashPassword("old-secret")
	if err != nil {
		t.Fatal(err)
	}
	newHash, err := certs.HashPassword("new-secret")
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(t.TempDir(), "kmipd.yaml")
	writeConfig := func(body string) {
		t.Helper()
		if err := os.WriteFile(config, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	authSection := func(hash string) string {
		// No back-off: the test retries at once after a refused password.
		return fmt.Sprintf("auth:\n  require_password: true\n  lockout: {max_failures: 0, backoff_base: 0s}\n"+
			"  users:\n    operator:\n      password_hash: %q\n", hash)
	}
	writeConfig(authSection(oldHash))
	d := startDaemon(t, dir, "KMIPD_CONFIG="+config)

	existing := d.client(t)
	existing.Credential = &kmip.Credential{Type: 1, Username: "operator", Password: "old-secret"}
	createKey(t, existing, "before-reload", "")
	if err := byocRequest(d, byoc, "new-secret"); err == nil {
		t.Fatal("a client of a CA the configuration does not name was served")
	}

	writeConfig(authSection(newHash) + fmt.Sprintf("tls:\n  client_cas: [%q]\nlimits:\n  max_conns: 77\n", filepath.Join(byoc, "ca.crt")))
	d.sighup(t, "configuration reloaded")
	if !strings.Contains(d.log.String(), `"setting":"limits.max_conns"`) {
		t.Error("the changed limits.max_conns was not reported as needing a restart")
	}

	// The connection opened before the reload is still served, under the
	// new credentials.
	_, err = try(existing, kmip14.OperationCreate, createRequest("", ""))
	requireReason(t, err, kmip.ReasonAuthenticationNotSuccessful)
	existing.Credential.Password = "new-secret"
	createKey(t, existing, "after-reload", "")
	if err := byocRequest(d, byoc, "new-secret"); err != nil {
		t.Fatalf("a client of the newly named CA: %v", err)
	}

	// A broken file is refused: the settings in force stay.
	writeConfig("auth: [this is not the auth section\n")
	d.sighup(t, "reload refused")
	createKey(t, existing, "after-refused-reload", "")
	if err := byocRequest(d, byoc, "new-secret"); err != nil {
		t.Fatalf("after a refused reload: %v", err)
	}
	d.stop(t)
}

// sighup sends SIGHUP to d and waits for a log line containing msg after it.
func (d *daemon) sighup(t *testing.T, msg string) {
	t.Helper()
	before := strings.Count(d.log.String(), msg)
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(d.log.String(), msg) == before {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after SIGHUP", msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// byocRequest connects with the client certificate of the PKI in dir
// (trusting d's server certificate) and creates a key with password.
func byocRequest(d *daemon, dir, password string) error {
	cfg, err := certs.ClientConfig(d.pki("ca.crt"), filepath.Join(dir, "client.crt"), filepath.Join(dir, "client.key"), "localhost")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	c, err := kmip.Dial(ctx, d.addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.Credential = &kmip.Credential{Type: 1, Username: "operator", Password: password}
	_, err = c.Do(ctx, kmip14.OperationCreate, createRequest("", ""))
	return err
}
