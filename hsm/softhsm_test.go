package hsm

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/zap/zaptest"
)

// softHSMModules are where distributions install the SoftHSM2 library.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// skipOrFail skips the test, or fails it when running in CI (CI=true),
// where every test must run.
func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", reason)
	}
	t.Skip(reason)
}

// softHSM is a SoftHSM2 installation whose token directory lies in a test's
// temporary directory.
type softHSM struct {
	module string
	dir    string
}

// newSoftHSM writes a softhsm2.conf with its token directory in
// t.TempDir() and points SOFTHSM2_CONF at it for the rest of the test.
// SoftHSM2 reads the variable when the module is initialised, so no
// provider may be open when it is called. It skips the test when SoftHSM2
// or cgo is missing, and fails it instead under CI=true.
func newSoftHSM(t testing.TB) *softHSM {
	t.Helper()
	if !pkcs11Supported {
		skipOrFail(t, "the PKCS#11 provider needs cgo")
	}
	var module string
	for _, m := range softHSMModules {
		if _, err := os.Stat(m); err == nil {
			module = m
			break
		}
	}
	if _, err := exec.LookPath("softhsm2-util"); err != nil || module == "" {
		skipOrFail(t, "SoftHSM2 is not installed (apt-get install softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	content := "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n"
	if err := os.WriteFile(conf, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	return &softHSM{module: module, dir: dir}
}

// initToken creates a token labelled label with user PIN pin, writes the
// PIN to a 0600 file and returns the provider configuration for it.
func (h *softHSM) initToken(t testing.TB, label, pin string) PKCS11Config {
	t.Helper()
	out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "5678").CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	pinFile, err := os.CreateTemp(h.dir, "pin-*")
	if err != nil {
		t.Fatal(err)
	}
	defer pinFile.Close()
	if _, err := pinFile.WriteString(pin + "\n"); err != nil {
		t.Fatal(err)
	}
	return PKCS11Config{Module: h.module, TokenLabel: label, PinFile: pinFile.Name()}
}

// newSoftHSMToken returns the configuration of a fresh SoftHSM2 token "T"
// with PIN 1234 in t.TempDir().
func newSoftHSMToken(t testing.TB) PKCS11Config {
	t.Helper()
	return newSoftHSM(t).initToken(t, "T", "1234")
}

// openTest opens the module cfg selects and closes it when the test ends.
func openTest(t testing.TB, cfg Config) Crypto {
	t.Helper()
	c, err := Open(cfg, zaptest.NewLogger(t))
	if errors.Is(err, errNoPKCS11) {
		skipOrFail(t, err.Error())
	}
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}
