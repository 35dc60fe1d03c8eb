package hsm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// boundDir is a data directory for OpenBound tests: its record and its
// software key file.
type boundDir struct{ record, keyFile string }

func newBoundDir(t *testing.T) boundDir {
	dir := t.TempDir()
	return boundDir{record: filepath.Join(dir, BindingFile), keyFile: filepath.Join(dir, "kek.key")}
}

func (d boundDir) software() Config { return Config{Provider: ProviderSoftware, KeyFile: d.keyFile} }

// open opens the software module bound to d and closes it at the end of
// the test.
func (d boundDir) open(t *testing.T, opts BindOptions) (Crypto, *Binding) {
	t.Helper()
	opts.Path = d.record
	c, b, err := OpenBound(d.software(), opts, nil)
	if err != nil {
		t.Fatalf("OpenBound: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c, b
}

// refused requires OpenBound with cfg to fail with a *BindingError whose
// text contains every want.
func (d boundDir) refused(t *testing.T, cfg Config, opts BindOptions, want ...string) *BindingError {
	t.Helper()
	opts.Path = d.record
	c, _, err := OpenBound(cfg, opts, nil)
	if err == nil {
		c.Close()
		t.Fatal("OpenBound accepted the module")
	}
	var be *BindingError
	if !errors.As(err, &be) {
		t.Fatalf("OpenBound: %v (%T), want a *BindingError", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
	return be
}

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

func TestOpenBoundFirstStartWritesRecord(t *testing.T) {
	d := newBoundDir(t)
	c, b := d.open(t, BindOptions{})
	rec, err := readBinding(d.record)
	if err != nil || rec == nil {
		t.Fatalf("record after a first start: %v, %v", rec, err)
	}
	if rec.Module != (ModuleIdentity{Provider: ProviderSoftware, KeyFile: d.keyFile}) {
		t.Errorf("record names %+v", rec.Module)
	}
	if err := b.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
	raw, _ := os.ReadFile(d.record)
	key, _ := os.ReadFile(d.keyFile)
	if strings.Contains(string(raw), string(key[len(key)-kekSize:])) {
		t.Error("the record holds the KEK")
	}
	c.Close()
	d.open(t, BindOptions{Sealed: true}) // the same KEK opens it again
}

func TestOpenBoundRefusesAnotherProvider(t *testing.T) {
	d := newBoundDir(t)
	c, _ := d.open(t, BindOptions{})
	c.Close()
	// The module path does not exist: a refusal before opening it.
	pkcs11 := Config{Provider: ProviderPKCS11, PKCS11: PKCS11Config{Module: "/nonexistent/lib.so", TokenLabel: "kmipd"}}
	d.refused(t, pkcs11, BindOptions{Sealed: true}, "sealed by the software module", "configured with the PKCS#11 module /nonexistent/lib.so")
}

func TestOpenBoundNeverCreatesKeyFileForPKCS11Directory(t *testing.T) {
	d := newBoundDir(t)
	rec := &bindingRecord{Format: bindingFormat, Check: []byte{2, 0, 0, 0, 1},
		Module: ModuleIdentity{Provider: ProviderPKCS11, Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "kmipd", TokenSerial: "42", KEKID: DefaultKEKID}}
	if err := writeBinding(d.record, rec); err != nil {
		t.Fatal(err)
	}
	be := d.refused(t, d.software(), BindOptions{Sealed: true}, `sealed by the PKCS#11 module /usr/lib/softhsm/libsofthsm2.so (token "kmipd", serial "42"`, "configured with the software module")
	if be.Recorded == nil || be.Recorded.Provider != ProviderPKCS11 {
		t.Errorf("Recorded = %+v", be.Recorded)
	}
	if exists(d.keyFile) {
		t.Error("a key file was created for a directory sealed by PKCS#11")
	}
}

func TestOpenBoundRefusesAnotherKEK(t *testing.T) {
	d := newBoundDir(t)
	c, _ := d.open(t, BindOptions{})
	c.Close()
	if err := os.Remove(d.keyFile); err != nil {
		t.Fatal(err)
	}
	d.refused(t, d.software(), BindOptions{Sealed: true}, "does not exist")
	if exists(d.keyFile) {
		t.Error("a missing key file was created")
	}
	other, err := NewSoftware(d.keyFile) // a new KEK in its place
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	d.refused(t, d.software(), BindOptions{Sealed: true}, "does not unseal the check value", "another KEK")
}

func TestOpenBoundFollowsRotation(t *testing.T) {
	d := newBoundDir(t)
	c, _ := d.open(t, BindOptions{})
	rot := c.(Rotator)
	old := rot.KeyIDs()
	newID, err := rot.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if err := rot.Retire(id); err != nil {
			t.Fatal(err)
		}
	}
	if rec, _ := readBinding(d.record); rec.CheckEpoch != newID {
		t.Errorf("check sealed under epoch %d after rotation to %d", rec.CheckEpoch, newID)
	}
	c.Close()
	d.open(t, BindOptions{Sealed: true})
}

func TestOpenBoundAdoptsOlderDirectory(t *testing.T) {
	t.Run("no KEK", func(t *testing.T) {
		d := newBoundDir(t)
		d.refused(t, d.software(), BindOptions{Sealed: true}, "no crypto binding", "does not exist")
		if exists(d.keyFile) || exists(d.record) {
			t.Error("a key file or a record was written")
		}
	})
	t.Run("KEK that does not unseal", func(t *testing.T) {
		d := newBoundDir(t)
		s, _ := NewSoftware(d.keyFile)
		s.Close()
		d.refused(t, d.software(), BindOptions{Sealed: true, Adopt: func(Crypto) error { return ErrUnseal }}, "no crypto binding", ErrUnseal.Error())
		if exists(d.record) {
			t.Error("a record was written for a module that does not unseal the data")
		}
	})
	t.Run("KEK that unseals", func(t *testing.T) {
		d := newBoundDir(t)
		s, _ := NewSoftware(d.keyFile)
		s.Close()
		adopted := false
		d.open(t, BindOptions{Sealed: true, Adopt: func(Crypto) error { adopted = true; return nil }})
		if !adopted || !exists(d.record) {
			t.Errorf("adopted %v, record written %v", adopted, exists(d.record))
		}
	})
}

func TestBindingCheckFailsOnClosedModule(t *testing.T) {
	d := newBoundDir(t)
	c, b := d.open(t, BindOptions{})
	c.Close()
	if err := b.Check(); !errors.Is(err, ErrClosed) {
		t.Errorf("Check on a closed module: %v, want ErrClosed", err)
	}
}
