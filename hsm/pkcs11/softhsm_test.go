package pkcs11

import (
	"errors"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/hsm/hsmtest"
)

// softHSM is a SoftHSM2 installation whose token directory lies in a test's
// temporary directory, used by this process.
type softHSM struct{ *hsmtest.SoftHSM }

// newSoftHSM writes a softhsm2.conf with its token directory in
// t.TempDir() and points SOFTHSM2_CONF at it for the rest of the test.
// SoftHSM2 reads the variable when the module is initialised, so no
// provider may be open when it is called. It skips the test when SoftHSM2
// or cgo is missing, and fails it instead under CI=true.
func newSoftHSM(t testing.TB) *softHSM {
	t.Helper()
	if !supported {
		hsmtest.SkipOrFail(t, "the PKCS#11 provider needs cgo")
	}
	h := hsmtest.NewSoftHSM(t)
	h.Use(t)
	return &softHSM{h}
}

// initToken creates a token labelled label with user PIN pin and returns
// the provider configuration for it.
func (h *softHSM) initToken(t testing.TB, label, pin string) hsm.PKCS11Config {
	t.Helper()
	tok := h.InitToken(t, label, pin)
	return hsm.PKCS11Config{Module: tok.Module, TokenLabel: tok.Label, PinFile: tok.PinFile}
}

// newSoftHSMToken returns the configuration of a fresh SoftHSM2 token "T"
// with PIN 1234 in t.TempDir().
func newSoftHSMToken(t testing.TB) hsm.PKCS11Config {
	t.Helper()
	return newSoftHSM(t).initToken(t, "T", "1234")
}

// openTest opens the module cfg selects and closes it when the test ends.
func openTest(t testing.TB, cfg hsm.Config) hsm.Crypto {
	t.Helper()
	c, err := hsm.Open(cfg, zaptest.NewLogger(t))
	if errors.Is(err, errNoCgo) {
		hsmtest.SkipOrFail(t, err.Error())
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
