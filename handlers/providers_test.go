package handlers

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/kmipd/kmipd/hsm"
)

// The cryptographic tests run over both providers: the software one and a
// PKCS#11 token on SoftHSM2 (skipped when SoftHSM2 or cgo is missing,
// failed instead under CI=true). The SoftHSM2 set-up follows
// hsm/softhsm_test.go.

// softHSMModules are where distributions install the SoftHSM2 library.
var softHSMModules = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
}

// skipOrFail skips the test, or fails it when running in CI (CI=true).
func skipOrFail(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", reason)
	}
	t.Skip(reason)
}

// provider opens a cryptographic module for a test.
type provider struct {
	name string
	open func(t testing.TB) hsm.Crypto
}

// providers are the modules the cryptographic tests run over.
var providers = []provider{
	{"software", openSoftware},
	{"softhsm2", openSoftHSM},
}

func openSoftware(t testing.TB) hsm.Crypto {
	t.Helper()
	return openModule(t, hsm.Config{Provider: hsm.ProviderSoftware, KeyFile: filepath.Join(t.TempDir(), "kek")})
}

// openSoftHSM initialises a fresh SoftHSM2 token in t.TempDir() (its own
// SOFTHSM2_CONF) and opens the PKCS#11 provider on it.
func openSoftHSM(t testing.TB) hsm.Crypto {
	t.Helper()
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
	if out, err := exec.Command("softhsm2-util", "--init-token", "--free", "--label", "T", "--pin", "1234", "--so-pin", "5678").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return openModule(t, hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: hsm.PKCS11Config{Module: module, TokenLabel: "T", PinFile: pinFile}})
}

// openModule opens cfg's module and closes it when the test ends; a build
// without PKCS#11 support skips (or fails under CI=true).
func openModule(t testing.TB, cfg hsm.Config) hsm.Crypto {
	t.Helper()
	c, err := hsm.Open(cfg, zaptest.NewLogger(t))
	if err != nil && cfg.Provider == hsm.ProviderPKCS11 {
		skipOrFail(t, "PKCS#11 provider: "+err.Error())
	}
	if err != nil {
		t.Fatalf("hsm.Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// forEachProvider runs test with a harness over each provider.
func forEachProvider(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			c := p.open(t)
			test(t, newHarnessWith(t, func(cfg *Config) { cfg.Crypto = c }))
		})
	}
}
