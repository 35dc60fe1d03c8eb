package conformance

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// TestOnlineBackup makes an online backup with kmipctl while another client
// keeps creating keys, restores it into a copy of the data directory and
// checks that every key acknowledged before the backup began is there with
// its attributes, state and material, and that the audit chain verifies.
// Identities that are not backup operators are refused.
func TestOnlineBackup(t *testing.T) {
	dir := t.TempDir()
	d := startDaemon(t, dir)
	operator := certSubject(t, d.pki("client.crt"))
	// Without a policy, not even the dev client may until it is named.
	out := filepath.Join(t.TempDir(), "kmipd.bak")
	if _, stderr, err := d.ctl(t, "backup", "--out", out); err == nil || !mentionsAny(stderr, "Permission") {
		t.Fatalf("backup by a client that is no operator: err %v, stderr %q", err, stderr)
	}
	d.stop(t)
	d = startDaemon(t, dir, "KMIPD_BACKUP_OPERATOR="+operator)

	// Another identity of the same CA is refused too.
	other := filepath.Join(t.TempDir(), "other")
	if _, stderr, err := runCtl(t, "pki", "issue", "backup-intruder", "--pki", filepath.Dir(d.pki("ca.crt")), "--out", other); err != nil {
		t.Fatalf("pki issue: %v\n%s", err, stderr)
	}
	if _, stderr, err := runCtl(t, "--server", d.addr, "--pki", other, "backup", "--out", out); err == nil || !mentionsAny(stderr, "Permission") {
		t.Fatalf("backup by another identity: err %v, stderr %q", err, stderr)
	}

	c := d.client(t)
	type acked struct {
		id, name string
		active   bool
		material []byte
	}
	var keys []acked
	for i := range 30 {
		k := acked{name: fmt.Sprintf("backup-key-%d", i), active: i%2 == 0}
		k.id = createKey(t, c, k.name, "backup-group")
		if k.active {
			do[*kmip.ActivateResponse](t, c, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: k.id})
		}
		k.material = getMaterial(t, c, k.id)
		keys = append(keys, k)
	}

	// A writer keeps creating keys during the backup.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var during int
	wg.Add(1)
	go func() {
		defer wg.Done()
		w := d.client(t)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := try(w, kmip14.OperationCreate, createRequest("", "during-backup")); err != nil {
				t.Errorf("create during the backup: %v", err)
				return
			}
			during++
		}
	}()
	stdout, stderr, err := d.ctl(t, "backup", "--out", out)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("online backup: %v\n%s", err, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(string(stdout), fmt.Sprint(fi.Size())) {
		t.Fatalf("backup file: %v, %v; kmipctl said %q", fi, err, stdout)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "backups", "*")); len(left) != 0 {
		t.Errorf("the server kept its snapshot files: %v", left)
	}
	t.Logf("backup of %d bytes while %d keys were created", fi.Size(), during)
	d.stop(t)

	// Restore into a fresh copy of the data directory (its PKI and KEK).
	fresh := t.TempDir()
	copyTree(t, dir, fresh, "db", "backups")
	if _, stderr, err := runCtl(t, "restore", out, "--data-dir", fresh); err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	if stdout, stderr, err := runCtl(t, "audit", "verify", "--data-dir", fresh); err != nil {
		t.Fatalf("audit verify of the restored store: %v\n%s%s", err, stdout, stderr)
	}
	r := startDaemon(t, fresh)
	rc := r.client(t)
	for _, k := range keys {
		attrs := getAttributes(t, rc, k.id)
		if n, ok := attrs.Get(kmip.AttrName).(kmip.Name); !ok || n.Value != k.name {
			t.Errorf("%s: Name %v, want %s", k.id, attrs.Get(kmip.AttrName), k.name)
		}
		if g := attrs.Get(kmip.AttrObjectGroup); g != "backup-group" {
			t.Errorf("%s: Object Group %v", k.id, g)
		}
		want := kmip14.StatePreActive
		if k.active {
			want = kmip14.StateActive
		}
		requireState(t, rc, k.id, want)
		if got := getMaterial(t, rc, k.id); string(got) != string(k.material) {
			t.Errorf("%s: material differs after restore", k.id)
		}
	}
	r.stop(t)
}

// certSubject returns the identity kmipd gives the holder of the PEM
// certificate in file, one of its tls.ca: its subject.
func certSubject(t *testing.T, file string) string {
	t.Helper()
	return readCertFile(t, file).Subject.String()
}

// readCertFile returns the first certificate of the PEM file file.
func readCertFile(t *testing.T, file string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", file)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// copyTree copies the regular files and directories under src into dst,
// leaving out the top-level entries named in skip.
func copyTree(t *testing.T, src, dst string, skip ...string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		for _, s := range skip {
			if rel == s {
				return filepath.SkipDir
			}
		}
		target := filepath.Join(dst, rel)
		if e.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		info, err := e.Info()
		if err != nil {
			return err
		}
		o, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(o, in); err != nil {
			o.Close()
			return err
		}
		return o.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}
