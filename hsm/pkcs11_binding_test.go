package hsm

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestOpenBoundPKCS11 binds a data directory to a SoftHSM2 token: the
// record names the token with its serial; a rotation that retires the old
// epoch leaves the record verifiable; another token (without the KEK) is
// refused and gets no KEK generated.
func TestOpenBoundPKCS11(t *testing.T) {
	h := newSoftHSM(t)
	cfg := Config{Provider: ProviderPKCS11, PKCS11: h.initToken(t, "T", "1234")}
	record := filepath.Join(t.TempDir(), BindingFile)
	open := func(cfg Config) (Crypto, *Binding, error) {
		return OpenBound(cfg, BindOptions{Path: record, Sealed: true}, nil)
	}

	c, b, err := OpenBound(cfg, BindOptions{Path: record}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := b.Module(); m.Provider != ProviderPKCS11 || m.TokenLabel != "T" || m.TokenSerial == "" || m.KEKID != DefaultKEKID {
		t.Errorf("record names %+v", m)
	}
	rot := c.(Rotator)
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

	other := Config{Provider: ProviderPKCS11, PKCS11: h.initToken(t, "U", "1234")}
	c, _, err = open(other)
	var be *BindingError
	if !errors.As(err, &be) {
		if err == nil {
			c.Close()
		}
		t.Fatalf("a token without the KEK: %v, want a *BindingError", err)
	}
	if probe, err := Open(Config{Provider: ProviderPKCS11, PKCS11: other.PKCS11, KEKMustExist: true}, nil); !errors.Is(err, ErrNoKEK) {
		if err == nil {
			probe.Close()
		}
		t.Errorf("the other token after the refused start: %v, want ErrNoKEK (no KEK generated)", err)
	}
}
