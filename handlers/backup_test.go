package handlers

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
)

// newBackupHarness is a harness whose Service serves online backups from
// its store to alice, into dir; it returns the module too.
func newBackupHarness(t *testing.T, dir string) (*harness, hsm.Crypto) {
	var crypto hsm.Crypto
	var h *harness
	h = newHarnessWith(t, func(c *Config) {
		crypto = c.Crypto
		c.BackupDir = dir
		c.BackupOperators = []string{alice}
	})
	return h, crypto
}

// fetchBackup runs Begin, Reads of chunk bytes and End as who, and returns
// the file's bytes.
func fetchBackup(t *testing.T, h *harness, who string, chunk int32) []byte {
	t.Helper()
	begin := h.must(kmip.V1_4, who, &kmip.BackupRequest{Function: kmip.BackupBegin}).(*kmip.BackupResponse)
	if len(begin.CorrelationValue) == 0 || begin.Size <= 0 {
		t.Fatalf("Begin answered %+v", begin)
	}
	var out bytes.Buffer
	for {
		r := h.must(kmip.V1_4, who, &kmip.BackupRequest{Function: kmip.BackupRead,
			CorrelationValue: begin.CorrelationValue, Offset: int64(out.Len()), Length: chunk}).(*kmip.BackupResponse)
		if len(r.Data) > int(chunk) {
			t.Fatalf("Read of %d bytes answered %d", chunk, len(r.Data))
		}
		if len(r.Data) == 0 {
			break
		}
		out.Write(r.Data)
	}
	if int64(out.Len()) != begin.Size {
		t.Fatalf("read %d bytes, Begin announced %d", out.Len(), begin.Size)
	}
	h.must(kmip.V1_4, who, &kmip.BackupRequest{Function: kmip.BackupEnd, CorrelationValue: begin.CorrelationValue})
	_, err := h.do(kmip.V1_4, who, &kmip.BackupRequest{Function: kmip.BackupRead, CorrelationValue: begin.CorrelationValue})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	return out.Bytes()
}

func TestOnlineBackupRestores(t *testing.T) {
	dir := t.TempDir()
	h, crypto := newBackupHarness(t, dir)
	ids := []string{h.createAES(kmip.V1_4, alice, 128), h.createAES(kmip.V2_1, bob, 256)}

	data := fetchBackup(t, h, alice, 4096)
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("End left %v", left)
	}

	restored := filepath.Join(t.TempDir(), "db")
	if err := store.Restore(restored, bytes.NewReader(data), crypto); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenBadger(restored, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range ids {
		orig, err := h.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		got, err := db.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("object %s not in the restored store: %v", id, err)
		}
		if got.Owner != orig.Owner || !bytes.Equal(got.Attributes, orig.Attributes) || !bytes.Equal(got.Material, orig.Material) {
			t.Errorf("object %s differs after restore", id)
		}
	}
}

func TestOnlineBackupSessions(t *testing.T) {
	dir := t.TempDir()
	h, _ := newBackupHarness(t, dir)
	h.createAES(kmip.V1_4, alice, 128)
	// A file a previous process left is deleted by the first Begin.
	leftover := filepath.Join(dir, "backup-1.kmipdbak")
	if err := os.WriteFile(leftover, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	begin := h.must(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupBegin}).(*kmip.BackupResponse)
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("leftover backup file still there: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 1 {
		t.Fatalf("backup files %v, want one", files)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode: %v %v", fi.Mode(), err)
	}

	// The Maximum Response Size bounds a Read.
	resp, err := h.svc.ServeKMIP(context.Background(), &kmip.Request{
		Version: kmip.V1_4, Payload: &kmip.BackupRequest{Function: kmip.BackupRead, CorrelationValue: begin.CorrelationValue},
		Header: &kmip.RequestHeader{MaximumResponseSize: responseOverhead + 100},
		Peer:   &kmip.Peer{Identity: alice}, Batch: &kmip.BatchState{},
	})
	if err != nil || len(resp.(*kmip.BackupResponse).Data) != 100 {
		t.Errorf("Read under a Maximum Response Size: %v", err)
	}
	// Past the end: no data.
	r := h.must(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupRead, CorrelationValue: begin.CorrelationValue, Offset: begin.Size}).(*kmip.BackupResponse)
	if len(r.Data) != 0 {
		t.Errorf("Read at the end answered %d bytes", len(r.Data))
	}
	// Another session open, then the limit.
	h.must(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupBegin})
	_, err = h.do(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupBegin})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)

	// Expiry deletes an idle session and its file.
	h.now = h.now.Add(backupIdle + 1)
	h.svc.backups.expire(h.now, h.svc.log)
	if files, _ := filepath.Glob(filepath.Join(dir, "*")); len(files) != 0 {
		t.Errorf("expired backups left %v", files)
	}
	_, err = h.do(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupRead, CorrelationValue: begin.CorrelationValue})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
}

func TestOnlineBackupPermission(t *testing.T) {
	// No policy: only the configured operators.
	h, _ := newBackupHarness(t, t.TempDir())
	_, err := h.do(kmip.V1_4, bob, &kmip.BackupRequest{Function: kmip.BackupBegin})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonPermissionDenied)
	begin := h.must(kmip.V1_4, alice, &kmip.BackupRequest{Function: kmip.BackupBegin}).(*kmip.BackupResponse)
	// Nor may another identity read or end alice's session.
	h.svc.backupOperators = append(h.svc.backupOperators, bob)
	_, err = h.do(kmip.V1_4, bob, &kmip.BackupRequest{Function: kmip.BackupRead, CorrelationValue: begin.CorrelationValue})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)
	_, err = h.do(kmip.V1_4, bob, &kmip.BackupRequest{Function: kmip.BackupEnd, CorrelationValue: begin.CorrelationValue})
	wantSentIn(t, kmip.V1_4, err, kmip.ReasonInvalidField)

	// Under a policy: a role with every operation, and no other, through
	// Audited, which records the refusal.
	a := newAuthzHarness(t, matrixPolicy)
	a.svc.backupDir = t.TempDir()
	for who, want := range map[string]bool{acmeOperator: true, acmeArray: false, globexArray: false, "CN=stranger": false} {
		_, err := a.serve(who, kmip.OperationVendorBackup, &kmip.BackupRequest{Function: kmip.BackupBegin})
		if want && err != nil {
			t.Errorf("%s: %v", who, err)
		}
		if !want {
			wantReason(t, err, kmip.ReasonPermissionDenied)
		}
	}
	var refused int
	err = a.store.AuditRecords(context.Background(), 0, func(rec store.AuditRecord) error {
		if rec.Operation == kmip.OperationVendorBackup.String() && rec.Result != "Success" {
			refused++
		}
		return nil
	})
	if err != nil || refused != 3 {
		t.Errorf("audit holds %d refused backups (%v), want 3", refused, err)
	}
}
