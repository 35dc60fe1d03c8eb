package pkcs11

import (
	"errors"
	"strings"
	"testing"

	"github.com/kmipd/kmipd/hsm"
)

// TestPKCS11ModuleInfo checks that the PKCS#11 provider reports the
// library's own C_GetInfo: SoftHSM2's manufacturer, a description.
func TestPKCS11ModuleInfo(t *testing.T) {
	c := openTest(t, hsm.Config{Provider: hsm.ProviderPKCS11, PKCS11: newSoftHSMToken(t)})
	mi, ok := c.(hsm.ModuleInformer)
	if !ok {
		t.Fatalf("%T does not implement ModuleInformer", c)
	}
	info, err := mi.ModuleInfo()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.ManufacturerID, "SoftHSM") || info.LibraryDescription == "" {
		t.Errorf("ModuleInfo = %+v, want SoftHSM's", info)
	}
	if info.CryptokiVersion.Major < 2 {
		t.Errorf("Cryptoki version %v", info.CryptokiVersion)
	}
	c.Close()
	if _, err := mi.ModuleInfo(); !errors.Is(err, hsm.ErrClosed) {
		t.Errorf("ModuleInfo after Close: %v, want ErrClosed", err)
	}
}
