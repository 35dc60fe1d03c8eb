package handlers

import (
	"path/filepath"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/hsm/hsmtest"
	_ "github.com/kmipd/kmipd/hsm/pkcs11" // registers the PKCS#11 provider with hsm.Open
)

// The cryptographic tests run over both providers: the software one and a
// PKCS#11 token on SoftHSM2 (skipped when SoftHSM2 or cgo is missing,
// failed instead under CI=true).

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
	tok := hsmtest.NewToken(t)
	tok.Use(t)
	return openModule(t, hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: hsm.PKCS11Config{Module: tok.Module, TokenLabel: tok.Label, PinFile: tok.PinFile}})
}

// openModule opens cfg's module and closes it when the test ends; a build
// without PKCS#11 support skips (or fails under CI=true).
func openModule(t testing.TB, cfg hsm.Config) hsm.Crypto {
	t.Helper()
	c, err := hsm.Open(cfg, zaptest.NewLogger(t))
	if err != nil && cfg.Provider == hsm.ProviderPKCS11 {
		hsmtest.SkipOrFail(t, "PKCS#11 provider: "+err.Error())
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
