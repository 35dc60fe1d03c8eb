package conformance

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

const softHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// softHSMToken makes a SoftHSM2 token in a temporary directory and returns
// the KMIPD_* settings that point kmipd at it. It skips when SoftHSM2 is not
// installed, and fails under CI=true, where .ci/run installs it.
func softHSMToken(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(softHSMModule); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and SoftHSM2 is missing: %v", err)
		}
		t.Skip("SoftHSM2 is not installed (apt-get install softhsm2)")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	conf := filepath.Join(dir, "softhsm2.conf")
	pin := filepath.Join(dir, "pin")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pin, []byte("4321\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	init := exec.Command("softhsm2-util", "--init-token", "--free", "--label", "kmipd-test", "--pin", "4321", "--so-pin", "8765")
	init.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util: %v\n%s", err, out)
	}
	return []string{
		"SOFTHSM2_CONF=" + conf,
		"KMIPD_HSM_PROVIDER=pkcs11",
		"KMIPD_HSM_MODULE=" + softHSMModule,
		"KMIPD_HSM_TOKEN_LABEL=kmipd-test",
		"KMIPD_HSM_PIN_FILE=" + pin,
	}
}

// TestPKCS11Daemon runs kmipd with its key-encryption key in a SoftHSM2
// token: keys created and registered through it come back intact, also
// after a restart, and no software key file is written.
func TestPKCS11Daemon(t *testing.T) {
	env := softHSMToken(t)
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir, env...)
	c := d.client(t)

	created := createKey(t, c, "hsm-key", "")
	material := getMaterial(t, c, created)
	if len(material) != 32 {
		t.Fatalf("created key has %d bytes, want 32", len(material))
	}
	known := bytes.Repeat([]byte{0x5a}, 16)
	registered := do[*kmip.RegisterResponse](t, c, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey,
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw, Material: known,
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128,
		}},
		Attributes: kmip.Attributes{{Name: kmip.AttrCryptographicUsageMask, Value: int32(kmip14.CryptographicUsageMaskEncrypt)}},
	}).UniqueIdentifier

	if _, err := os.Stat(filepath.Join(dataDir, "kek.key")); !os.IsNotExist(err) {
		t.Errorf("a software key file exists with the PKCS#11 module configured (stat: %v)", err)
	}
	d.stop(t)
	d = d.restart(t)
	c = d.client(t)
	if got := getMaterial(t, c, created); !bytes.Equal(got, material) {
		t.Error("the created key changed across a restart")
	}
	if got := getMaterial(t, c, registered); !bytes.Equal(got, known) {
		t.Error("the registered key changed across a restart")
	}
}
