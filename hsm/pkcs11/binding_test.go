package pkcs11

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/kmipd/kmipd/hsm"
)

// TestOpenBoundPKCS11 binds a data directory to a SoftHSM2 token: the
// record names the token with its serial; a rotation that retires the old
// epoch leaves the record verifiable; another token (without the KEK) is
// refused and gets no KEK generated.
func TestOpenBoundPKCS11(t *testing.T) {
	h := newSoftHSM(t)
	cfg := hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: h.initToken(t, "T", "1234")}
	record := filepath.Join(t.TempDir(), hsm.BindingFile)
	open := func(cfg hsm.Config) (hsm.Crypto, *hsm.Binding, error) {
		return hsm.OpenBound(cfg, hsm.BindOptions{Path: record, Sealed: true}, nil)
	}

	c, b, err := hsm.OpenBound(cfg, hsm.BindOptions{Path: record}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := b.Module(); m.Provider != hsm.ProviderPKCS11 || m.TokenLabel != "T" || m.TokenSerial == "" || m.KEKID != hsm.DefaultKEKID {
		t.Errorf("record names %+v", m)
	}
	rot := c.(hsm.Rotator)
	old := rot.KeyIDs()
	if _, err := rot.Rotate(); err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if err := rot.Retire(id); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	if c, _, err = open(cfg); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	c.Close()

	other := hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: h.initToken(t, "U", "1234")}
	c, _, err = open(other)
	var be *hsm.BindingError
	if !errors.As(err, &be) {
		if err == nil {
			c.Close()
		}
		t.Fatalf("a token without the KEK: %v, want a *BindingError", err)
	}
	if probe, err := hsm.Open(hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: other.PKCS11, KEKMustExist: true}, nil); !errors.Is(err, hsm.ErrNoKEK) {
		if err == nil {
			probe.Close()
		}
		t.Errorf("the other token after the refused start: %v, want ErrNoKEK (no KEK generated)", err)
	}
}
