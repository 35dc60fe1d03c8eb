package conformance

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/hsm/hsmtest"
	_ "github.com/kmipd/kmipd/hsm/pkcs11" // registers the PKCS#11 provider with hsm.Open
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// TestDestroyLeavesNoMaterial is the attack of issue 12, part 2: with
// destroy_grace 0, a key is destroyed; the attacker then stops the server
// and, holding everything the server holds (its data directory, its KEK,
// its token), reads every version of every value Badger keeps, and of the
// online backup taken after the Destroy (restored with the key slots it
// carries), and tries to unseal every byte string in them with the
// server's own crypto module and key slots.
// Nothing of the destroyed keys may come back, nor be found in the clear in
// any file, while the live keys still unseal (the scan's own check). Both
// providers.
func TestDestroyLeavesNoMaterial(t *testing.T) {
	t.Run("software", func(t *testing.T) {
		dir := t.TempDir()
		destroyLeavesNoMaterial(t, dir, nil, hsm.Config{KeyFile: filepath.Join(dir, "kek.key")})
	})
	t.Run("pkcs11", func(t *testing.T) {
		tok := hsmtest.NewToken(t)
		tok.Use(t)
		destroyLeavesNoMaterial(t, t.TempDir(), tok.DaemonEnv(), hsm.Config{Provider: hsm.ProviderPKCS11,
			PKCS11: hsm.PKCS11Config{Module: tok.Module, TokenLabel: tok.Label, PinFile: tok.PinFile}})
	})
}

func destroyLeavesNoMaterial(t *testing.T, dir string, env []string, module hsm.Config) {
	env = append(env, "KMIPD_DESTROY_GRACE=0s")
	d := startDaemon(t, dir, env...)
	operator := certSubject(t, d.pki("client.crt"))
	d.stop(t)
	d = startDaemon(t, dir, append(env, "KMIPD_BACKUP_OPERATOR="+operator)...)
	c := d.client(t)

	register := func(key []byte) string {
		return do[*kmip.RegisterResponse](t, c, kmip14.OperationRegister, &kmip.RegisterRequest{
			ObjectType: kmip14.ObjectTypeSymmetricKey,
			Object: kmip.Object{Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{
				FormatType: kmip14.KeyFormatTypeRaw, Material: key, Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(len(key) * 8)}},
		}).UniqueIdentifier
	}
	key32 := func(s string) []byte { return append([]byte(s), bytes.Repeat([]byte{0xA5}, 32-len(s))...) }
	registered := key32("\xd3\x57destroyed key, registered")
	regID := register(registered)
	createdID := createKey(t, c, "destroy-trace-created", "")
	created := getMaterial(t, c, createdID)
	liveRegistered := key32("\x11\xeelive key that must stay")
	liveID := register(liveRegistered)
	liveCreatedID := createKey(t, c, "destroy-trace-live", "")
	liveCreated := getMaterial(t, c, liveCreatedID)

	// Several versions of each destroyed object hold its sealed material.
	for _, id := range []string{regID, createdID} {
		do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: id})
		do[*kmip.RevokeResponse](t, c, kmip14.OperationRevoke, &kmip.RevokeRequest{UniqueIdentifier: id,
			Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
		do[*kmip.DestroyResponse](t, c, kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: id})
	}
	backupFile := filepath.Join(t.TempDir(), "after-destroy.kmipdbak")
	if _, stderr, err := d.ctl(t, "backup", "--out", backupFile); err != nil {
		t.Fatalf("online backup: %v\n%s", err, stderr)
	}
	d.stop(t)

	crypto, err := hsm.Open(module, nil)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := hsm.OpenSlotted(crypto, filepath.Join(dir, hsm.KeySlotsFile))
	if err != nil {
		crypto.Close()
		t.Fatal(err)
	}
	defer sl.Close()
	ids := []string{regID, createdID, liveID, liveCreatedID}
	destroyed := map[string][]byte{"registered": registered, "created": created}
	live := map[string][]byte{"live registered": liveRegistered, "live created": liveCreated}

	// The backup restores on its own, with the key slots it carries.
	restoredDir := t.TempDir()
	f, err := os.Open(backupFile)
	if err != nil {
		t.Fatal(err)
	}
	err = store.RestoreWith(filepath.Join(restoredDir, "db"), f, hsm.ModuleSealer(sl), func(r io.Reader) (func() error, error) {
		return hsm.StageKeySlots(filepath.Join(restoredDir, hsm.KeySlotsFile), r)
	})
	f.Close()
	if err != nil {
		t.Fatalf("restore the backup: %v", err)
	}
	restoredSlots, err := hsm.OpenKeySlots(filepath.Join(restoredDir, hsm.KeySlotsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer restoredSlots.Close()
	fromBackup := hsm.NewSlotted(hsm.ModuleSealer(sl), restoredSlots) // not closed: sl closes the module
	for name, where := range map[string]struct {
		db string
		c  hsm.Crypto
	}{"data directory": {filepath.Join(dir, "db"), sl}, "backup": {filepath.Join(restoredDir, "db"), fromBackup}} {
		plain, versions := unsealEveryVersion(t, where.db, where.c, ids)
		t.Logf("%s: %d values (all versions), %d unsealed", name, versions, len(plain))
		for what, key := range destroyed {
			if containsAny(plain, key) {
				t.Errorf("%s: the %s key's material unseals from a stored version after Destroy", name, what)
			}
		}
		for what, key := range live {
			if !containsAny(plain, key) {
				t.Errorf("%s: the %s key does not unseal: the scan would miss material", name, what)
			}
		}
	}
	files := readFiles(t, dir) // secrets_test.go
	files[backupFile] = readFiles(t, backupFile)[backupFile]
	for what, key := range destroyed {
		for _, where := range whereFound(files, key) {
			t.Errorf("the %s key's bytes are in the clear in %s", what, where)
		}
	}
}

// unsealEveryVersion opens the Badger directory db read-only and tries to
// unseal, for each of ids, every byte string of every version of every
// value that could be sealed material: each suffix and each
// length-prefixed field (the store's encodings) starting with a seal
// format byte. It returns the plaintexts and the number of values read.
func unsealEveryVersion(t *testing.T, db string, c hsm.Crypto, ids []string) ([][]byte, int) {
	t.Helper()
	bdb, err := badger.Open(badger.DefaultOptions(db).WithReadOnly(true).WithLogger(nil))
	if err != nil {
		t.Fatalf("open %s read-only: %v", db, err)
	}
	defer bdb.Close()
	var plain [][]byte
	values := 0
	try := func(cand []byte) {
		if len(cand) == 0 || cand[0] < 1 || cand[0] > 3 {
			return
		}
		for _, id := range ids {
			if p, err := c.Unseal(id, cand); err == nil {
				plain = append(plain, p)
			}
		}
	}
	err = bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{AllVersions: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			if it.Item().IsDeletedOrExpired() {
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			values++
			for i := range v {
				try(v[i:])
				if n, k := binary.Uvarint(v[i:]); k > 0 && n > 0 && uint64(len(v)-i-k) >= n {
					try(v[i+k : i+k+int(n)])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, values
}

func containsAny(haystacks [][]byte, needle []byte) bool {
	for _, h := range haystacks {
		if bytes.Contains(h, needle) {
			return true
		}
	}
	return false
}
