package handlers

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// rotationRig is a Service on a Badger store and a software provider in one
// data directory, as kmipd lays it out, so that a test can scan the files.
type rotationRig struct {
	dir     string
	keyFile string
	store   *store.Badger
	crypto  *hsm.Software
	h       *harness
}

func newRotationRig(t *testing.T, configure func(*Config)) *rotationRig {
	t.Helper()
	r := &rotationRig{dir: t.TempDir()}
	r.keyFile = filepath.Join(r.dir, "kek", "key")
	var err error
	if r.store, err = store.OpenBadger(filepath.Join(r.dir, "db"), store.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	if r.crypto, err = hsm.NewSoftware(r.keyFile); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.crypto.Close() })
	r.h = &harness{t: t, store: r.store, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cfg := Config{Store: r.store, Crypto: r.crypto, Now: func() time.Time { return r.h.now }}
	if configure != nil {
		configure(&cfg)
	}
	if r.h.svc, err = New(cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

// register registers key as a raw AES key of alice's and returns its ID.
func (r *rotationRig) register(key []byte) string {
	return r.h.must(kmip.V1_4, alice, &kmip.RegisterRequest{ObjectType: kmip14.ObjectTypeSymmetricKey, Object: kmip.Object{
		Type: kmip14.ObjectTypeSymmetricKey, KeyBlock: &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeRaw, Material: key,
			Algorithm: kmip14.CryptographicAlgorithmAES, Length: int32(len(key) * 8)}}}).(*kmip.RegisterResponse).UniqueIdentifier
}

func (r *rotationRig) sealed(t *testing.T, id string) []byte {
	t.Helper()
	obj, err := r.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return obj.Material
}

// currentKEK reads the key of the newest epoch from the key file.
func (r *rotationRig) currentKEK(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(r.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return b[len(b)-32:]
}

func TestRotateKEKKeepsLiveObjectsAndRetiresOldEpoch(t *testing.T) {
	r := newRotationRig(t, nil)
	kept := bytes.Repeat([]byte{0x5A}, 32)
	id := r.register(kept)
	before := r.sealed(t, id)
	oldIDs := r.crypto.KeyIDs()

	rot, err := r.h.svc.RotateKEK(context.Background())
	if err != nil {
		t.Fatalf("RotateKEK: %v", err)
	}
	if rot.Resealed != 1 || len(rot.Retired) != 1 || rot.Retired[0] != oldIDs[0] || rot.NewKeyID != r.crypto.KeyID() {
		t.Fatalf("rotation = %+v, epochs before %v", rot, oldIDs)
	}
	after := r.sealed(t, id)
	if got, _ := hsm.SealedKeyID(after); got != rot.NewKeyID {
		t.Fatalf("object sealed under epoch %d, want %d", got, rot.NewKeyID)
	}
	got := r.h.must(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: id}).(*kmip.GetResponse)
	if !bytes.Equal(got.Object.KeyBlock.Material, kept) {
		t.Fatal("material changed by the rotation")
	}
	if _, err := r.crypto.Unseal(id, before); !errors.Is(err, hsm.ErrUnseal) {
		t.Fatalf("old sealed blob unseals after the rotation: %v", err)
	}
	// Every step is in the audit trail, and the chain holds.
	var steps []string
	r.store.AuditRecords(context.Background(), 0, func(rec store.AuditRecord) error {
		if rec.Operation == "KEKRotate" {
			steps = append(steps, rec.Reason)
		}
		return nil
	})
	if len(steps) != 3 {
		t.Fatalf("KEKRotate records = %q, want created, re-sealed, retired", steps)
	}
	if _, err := r.store.VerifyAudit(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A second rotation finds everything in place and re-seals again.
	rot2, err := r.h.svc.RotateKEK(context.Background())
	if err != nil || rot2.Resealed != 1 {
		t.Fatalf("second rotation = %+v, %v", rot2, err)
	}
}

// TestDestroyedKeyLeavesNoTrace destroys a key with known bytes, rotates
// the KEK, makes a backup and restores it beside the store, closes
// everything and scans every file under the data directory, the backup and
// the restored store:
// neither the key nor the retired KEK is on disk, and the sealed blob of the
// destroyed key, wherever Badger kept it, unseals under no present epoch.
func TestDestroyedKeyLeavesNoTrace(t *testing.T) {
	r := newRotationRig(t, nil)
	doomed := []byte("DOOMED-KEY-0123456789-abcdefghij") // 32 bytes
	live := []byte("LIVE-KEY-0123456789-abcdefghijkl")
	doomedID := r.register(doomed)
	liveID := r.register(live)
	oldKEK := bytes.Clone(r.currentKEK(t))
	doomedSealed := r.sealed(t, doomedID)
	liveSealedOld := r.sealed(t, liveID)

	r.h.must(kmip.V1_4, alice, &kmip.DestroyRequest{UniqueIdentifier: doomedID})
	if _, err := r.h.do(kmip.V1_4, alice, &kmip.GetRequest{UniqueIdentifier: doomedID}); err == nil {
		t.Fatal("Get of a destroyed key succeeds")
	}
	if _, err := r.h.svc.RotateKEK(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A backup made now, and the store restored from it, are scanned too.
	var backup bytes.Buffer
	if err := r.store.Backup(context.Background(), &backup, r.crypto); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.dir, "backup.kbak"), backup.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := store.Restore(filepath.Join(r.dir, "restored"), bytes.NewReader(backup.Bytes()), r.crypto); err != nil {
		t.Fatal(err)
	}
	if err := r.store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.crypto.Close(); err != nil {
		t.Fatal(err)
	}

	var files, blobCopies int
	err := filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(r.dir, path)
		for _, secret := range []struct {
			name  string
			bytes []byte
		}{{"destroyed key", doomed}, {"live key", live}, {"retired KEK", oldKEK}} {
			if bytes.Contains(b, secret.bytes) {
				t.Errorf("%s: holds the %s in the clear", rel, secret.name)
			}
		}
		if bytes.Contains(b, doomedSealed) {
			blobCopies++
			t.Logf("%s still holds the destroyed key's sealed blob (Badger has not compacted it away)", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %d files; %d hold the destroyed key's old sealed blob", files, blobCopies)

	reopened, err := hsm.NewSoftware(r.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if len(reopened.KeyIDs()) != 1 {
		t.Fatalf("epochs present after rotation: %v", reopened.KeyIDs())
	}
	for _, c := range []struct {
		id     string
		sealed []byte
	}{{doomedID, doomedSealed}, {liveID, liveSealedOld}} {
		if _, err := reopened.Unseal(c.id, c.sealed); !errors.Is(err, hsm.ErrUnseal) {
			t.Fatalf("a blob sealed under the retired epoch unseals: %v", err)
		}
	}
}
