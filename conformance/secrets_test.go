package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestNoKeyMaterialInLogsAuditOrAtRest runs the daemon with debug logging
// through a full key life (create, register, get, encrypt, export, import,
// split and join, refused and failed operations, revoke, destroy), then
// searches everything it wrote — its log, the exported audit trail and
// every file under the data directory — for the bytes of every key it
// handled, raw, in hex and in base64. None may appear: material is sealed
// at rest and never logged.
func TestNoKeyMaterialInLogsAuditOrAtRest(t *testing.T) {
	dataDir := t.TempDir()
	d := startDaemon(t, dataDir, "KMIPD_LOG_LEVEL=debug")
	c := d.client(t)

	var secrets [][]byte
	for i := range 3 {
		id := createKey(t, c, "secret-scan-"+string(rune('a'+i)), "")
		secrets = append(secrets, getMaterial(t, c, id))
		do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id})
		enc := do[*kmip.EncryptResponse](t, c, kmip14.OperationEncrypt, &kmip.EncryptRequest{
			UniqueIdentifier: id,
			Parameters:       &kmip.CryptographicParameters{BlockCipherMode: kmip14.BlockCipherModeGCM},
			Data:             []byte("plaintext that is not key material"),
		})
		if len(enc.Data) == 0 {
			t.Fatal("Encrypt returned no ciphertext")
		}
		// A refused Destroy of an Active key, then the real end of life.
		_, err := try(c, kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: id})
		requireReason(t, err, kmip.ReasonPermissionDenied)
		do[*kmip.RevokeResponse](t, c, kmip14.OperationRevoke, &kmip.RevokeRequest{UniqueIdentifier: id,
			Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
		do[*kmip.DestroyResponse](t, c, kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: id})
	}
	registered := [][]byte{
		[]byte("\x8a\x11registered-aes-key!!\x00\x7f\xfe\x01\x02\x03\x04\x05\x06\x07"), // 32 bytes
		[]byte("a password kept as secret data"),
	}
	secrets = append(secrets, registered...)
	symID := do[*kmip.RegisterResponse](t, c, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey,
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw, Material: registered[0],
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256,
		}},
	}).UniqueIdentifier
	if got := getMaterial(t, c, symID); !bytes.Equal(got, registered[0]) {
		t.Fatal("the registered key came back different")
	}
	do[*kmip.RegisterResponse](t, c, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSecretData,
		Object: kmip.Object{Type: kmip14.ObjectTypeSecretData, SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: registered[1]}},
	})
	// Export releases the registered key; Import brings in another.
	exported := do[*kmip.ExportResponse](t, c, kmip14.OperationExport, &kmip.ExportRequest{UniqueIdentifier: symID})
	if exported.Object.KeyBlock == nil || !bytes.Equal(exported.Object.KeyBlock.Material, registered[0]) {
		t.Fatal("Export returned other material than registered")
	}
	imported := []byte("\x01imported key material, 32 bytes")
	secrets = append(secrets, imported)
	do[*kmip.ImportResponse](t, c, kmip14.OperationImport, &kmip.ImportRequest{
		UniqueIdentifier: "imported-for-the-secret-scan", ObjectType: kmip14.ObjectTypeSymmetricKey,
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw, Material: imported,
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 256,
		}},
	})
	// Split the registered key into parts (each part is material too) and
	// join two of them back.
	parts := do[*kmip.CreateSplitKeyResponse](t, c, kmip14.OperationCreateSplitKey, &kmip.CreateSplitKeyRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifier: symID,
		SplitKeyParts: 3, SplitKeyThreshold: 2, SplitKeyMethod: kmip14.SplitKeyMethodPolynomialSharingGF2_8,
	}).UniqueIdentifiers
	for _, id := range parts {
		secrets = append(secrets, getMaterial(t, c, id))
	}
	joined := do[*kmip.JoinSplitKeyResponse](t, c, kmip14.OperationJoinSplitKey, &kmip.JoinSplitKeyRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey, UniqueIdentifiers: parts[1:],
	}).UniqueIdentifier
	if !bytes.Equal(getMaterial(t, c, joined), registered[0]) {
		t.Fatal("Join Split Key rebuilt another key")
	}

	// A Register that fails: the length attribute contradicts the material.
	_, err := try(c, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSymmetricKey,
		Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
			FormatType: kmip14.KeyFormatTypeRaw, Material: registered[0],
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: 128,
		}},
	})
	if err == nil {
		t.Fatal("a Register whose length contradicts its material succeeded")
	}
	d.stop(t)

	out, err := exec.Command(kmipctlBin, "audit", "export", "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("kmipctl audit export: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"Encrypt"`) && !strings.Contains(string(out), "Encrypt") {
		t.Fatalf("the audit export lacks the operations of the run:\n%.2000s", out)
	}
	texts := readFiles(t, dataDir)
	texts["daemon log"], texts["audit export"] = []byte(d.log.String()), out
	for _, secret := range secrets {
		for _, where := range whereFound(texts, secret) {
			t.Errorf("key material (%d bytes) found in %s", len(secret), where)
		}
	}
	if !strings.Contains(d.log.String(), `"level":"debug"`) {
		t.Error("the daemon wrote no debug lines: the scan did not see the most verbose log")
	}
}

// readFiles returns the content of every file under root (root itself when
// it is a file), by path.
func readFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	texts := map[string][]byte{}
	if err := filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		texts[path] = b
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return texts
}

// whereFound returns the names of the texts that hold secret raw, in hex
// (either case) or in base64.
func whereFound(texts map[string][]byte, secret []byte) []string {
	forms := [][]byte{secret, []byte(hex.EncodeToString(secret)), []byte(strings.ToUpper(hex.EncodeToString(secret))),
		[]byte(base64.StdEncoding.EncodeToString(secret))}
	var found []string
	for where, text := range texts {
		for _, form := range forms {
			if bytes.Contains(text, form) {
				found = append(found, where)
				break
			}
		}
	}
	return found
}
