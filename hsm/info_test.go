package hsm

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestSoftwareModuleInfo(t *testing.T) {
	c := openTest(t, Config{Provider: ProviderSoftware, KeyFile: filepath.Join(t.TempDir(), "kek")})
	mi, ok := c.(ModuleInformer)
	if !ok {
		t.Fatalf("%T does not implement ModuleInformer", c)
	}
	info, err := mi.ModuleInfo()
	if err != nil {
		t.Fatal(err)
	}
	want := ModuleInfo{CryptokiVersion: ModuleVersion{2, 40}, ManufacturerID: "kmipd", LibraryDescription: "kmipd software module", LibraryVersion: buildVersion()}
	if info != want {
		t.Errorf("ModuleInfo = %+v, want %+v", info, want)
	}
	c.Close()
	if _, err := mi.ModuleInfo(); !errors.Is(err, ErrClosed) {
		t.Errorf("ModuleInfo after Close: %v, want ErrClosed", err)
	}
}

func TestParseModuleVersion(t *testing.T) {
	for v, want := range map[string]ModuleVersion{
		"v1.4.2":                               {1, 4},
		"v0.3.0-rc.1":                          {0, 3},
		"v2.0.1-0.20260101000000-abcdef+dirty": {2, 0},
		"(devel)":                              {},
		"":                                     {},
		"v300.1.0":                             {},
	} {
		if got := parseModuleVersion(v); got != want {
			t.Errorf("parseModuleVersion(%q) = %v, want %v", v, got, want)
		}
	}
}
