package conformance

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm/hsmtest"
	"github.com/kmipd/kmipd/kmip"
)

// softHSMToken makes a SoftHSM2 token in a temporary directory and returns
// the KMIPD_* settings that point kmipd at it. It skips when SoftHSM2 is not
// installed, and fails under CI=true, where .ci/run installs it.
func softHSMToken(t *testing.T) []string {
	t.Helper()
	return hsmtest.NewToken(t).DaemonEnv()
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
