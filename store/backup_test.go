package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store"
)

func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	crypto, err := hsm.NewSoftware(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer crypto.Close()
	db, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []*store.Object
	for i, id := range []string{"a", "b", "c"} {
		sealed, _ := crypto.Seal(id, []byte("secret-"+id))
		obj := &store.Object{ID: id, Owner: "CN=o" + id, Attributes: []byte{byte(i), 1, 2}, Material: sealed,
			Terms: []store.Term{{Name: "State", Value: []byte{byte(i)}}, {Name: "Link", Value: []byte("a")}}}
		rec := &store.AuditRecord{Identity: "CN=o", Operation: "Create", ObjectID: id, Result: "Success"}
		if err := db.Create(ctx, rec, obj); err != nil {
			t.Fatal(err)
		}
		want = append(want, obj)
	}
	var file bytes.Buffer
	if err := db.Backup(ctx, &file, crypto); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if bytes.Contains(file.Bytes(), []byte("CN=oa")) {
		t.Fatal("the backup is not encrypted")
	}

	// Another KEK cannot open it; an altered file is refused; dir untouched.
	other, _ := hsm.NewSoftware(filepath.Join(t.TempDir(), "kek.key"))
	defer other.Close()
	target := filepath.Join(t.TempDir(), "db")
	if err := store.Restore(target, bytes.NewReader(file.Bytes()), other); !errors.Is(err, store.ErrBackupKey) {
		t.Fatalf("Restore under another KEK = %v, want ErrBackupKey", err)
	}
	altered := bytes.Clone(file.Bytes())
	altered[len(altered)-40] ^= 1
	if err := store.Restore(target, bytes.NewReader(altered), crypto); err == nil {
		t.Fatal("altered backup restored")
	}
	if err := store.Restore(target, bytes.NewReader(file.Bytes()[:file.Len()-30]), crypto); err == nil {
		t.Fatal("truncated backup restored")
	}

	if err := store.Restore(target, bytes.NewReader(file.Bytes()), crypto); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	got, err := store.OpenBadger(target, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	for _, w := range want {
		g, err := got.Get(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("object %s: got %+v, want %+v", w.ID, g, w)
		}
		ids, _, err := got.Find(ctx, store.Query{Owner: w.Owner, Terms: w.Terms[:1]})
		if err != nil || len(ids) != 1 || ids[0] != w.ID {
			t.Fatalf("Find after restore = %v, %v", ids, err)
		}
		if plain, err := crypto.Unseal(w.ID, g.Material); err != nil || string(plain) != "secret-"+w.ID {
			t.Fatalf("Unseal after restore = %q, %v", plain, err)
		}
	}
	if n, err := got.VerifyAudit(ctx); err != nil || n != 3 {
		t.Fatalf("VerifyAudit after restore = %d, %v", n, err)
	}
}

// attachment is a store.Attachment of fixed content.
type attachment []byte

func (a attachment) WriteBackup(w io.Writer) error { _, err := w.Write(a); return err }

// TestBackupWithAttachment: an attachment of several chunks travels after
// the store, authenticated with it; Restore without a stage drops it.
func TestBackupWithAttachment(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	crypto, err := hsm.NewSoftware(filepath.Join(dir, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	defer crypto.Close()
	db, err := store.OpenBadger(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Create(ctx, nil, &store.Object{ID: "a", Owner: "CN=o", Attributes: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	att := attachment(bytes.Repeat([]byte("slots!"), 30000)) // 180 KB: three chunks
	var file bytes.Buffer
	if err := db.BackupWith(ctx, &file, crypto, att); err != nil {
		t.Fatal(err)
	}
	db.Close()

	restore := func(data []byte) ([]byte, bool, error) {
		var got []byte
		committed := false
		err := store.RestoreWith(filepath.Join(t.TempDir(), "db"), bytes.NewReader(data), crypto, func(r io.Reader) (func() error, error) {
			b, err := io.ReadAll(r)
			got = b
			return func() error { committed = true; return nil }, err
		})
		return got, committed, err
	}
	got, committed, err := restore(file.Bytes())
	if err != nil || !committed || !bytes.Equal(got, att) {
		t.Fatalf("RestoreWith: %d bytes, committed %v, %v", len(got), committed, err)
	}
	for _, cut := range []int{30, 70000} {
		if _, committed, err := restore(file.Bytes()[:file.Len()-cut]); err == nil || committed {
			t.Errorf("a backup cut by %d bytes restored (committed %v)", cut, committed)
		}
	}
	altered := bytes.Clone(file.Bytes())
	altered[len(altered)-100] ^= 1
	if _, committed, err := restore(altered); err == nil || committed {
		t.Error("an altered attachment restored")
	}
	if err := store.Restore(filepath.Join(t.TempDir(), "db"), bytes.NewReader(file.Bytes()), crypto); err != nil {
		t.Errorf("Restore of a backup with an attachment: %v", err)
	}
}
