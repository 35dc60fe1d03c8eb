package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/kmip"
	"github.com/kmipd/kmipd/store"
	"github.com/kmipd/kmipd/store/pgtest"
)

// TestClusterOnPostgres runs two kmipd processes on one PostgreSQL
// database (--store-dsn), each with its own data directory; the second has
// copies of the first's kek.key and pki/. What one node creates, registers
// or destroys, the other sees at once, material included (the key slots are
// in the database); a node with another KEK is refused at start; the audit
// trail of both nodes is one chain that kmipctl verifies over the DSN. The
// DSN carries a password (unused by the trust-authenticated test cluster)
// that neither node may log.
func TestClusterOnPostgres(t *testing.T) {
	t.Parallel()
	const password = "cluster-test-pw-7f3a"
	pg := pgtest.Start(t)
	dsn := pg.DSN(t) + "&password=" + password
	env := "KMIPD_STORE_DSN=" + dsn

	dirA, dirB := t.TempDir(), t.TempDir()
	a := startDaemon(t, dirA, env)
	copyTree(t, filepath.Join(dirA, "pki"), filepath.Join(dirB, "pki"))
	copyFile(t, filepath.Join(dirA, "kek.key"), filepath.Join(dirB, "kek.key"))
	ca := a.client(t)

	key := createKey(t, ca, "cluster-key", "")
	do[*kmip.ActivateResponse](t, ca, kmip14.OperationActivate, &kmip.ActivateRequest{UniqueIdentifier: key})
	onA := getMaterial(t, ca, key)

	b := startDaemon(t, dirB, env)
	cb := b.client(t)
	if onB := getMaterial(t, cb, key); !bytes.Equal(onB, onA) || len(onA) != 32 {
		t.Fatalf("Get on node B of the key created on A: %d bytes, equal %v; want A's 32 bytes", len(onB), bytes.Equal(onB, onA))
	}
	requireState(t, cb, key, kmip14.StateActive)

	secret := []byte("registered on node B")
	regID := do[*kmip.RegisterResponse](t, cb, kmip14.OperationRegister, &kmip.RegisterRequest{
		ObjectType: kmip14.ObjectTypeSecretData,
		Attributes: kmip.Attributes{nameAttr("cluster-secret")},
		Object: kmip.Object{
			Type:           kmip14.ObjectTypeSecretData,
			SecretDataType: kmip14.SecretDataTypePassword,
			KeyBlock:       &kmip.KeyBlock{FormatType: kmip14.KeyFormatTypeOpaque, Material: secret},
		},
	}).UniqueIdentifier
	if ids := locateByName(t, ca, "cluster-secret"); len(ids) != 1 || ids[0] != regID {
		t.Fatalf("Locate on node A of the secret registered on B: %v, want [%s]", ids, regID)
	}
	if got := getMaterial(t, ca, regID); !bytes.Equal(got, secret) {
		t.Fatalf("Get on node A of the secret registered on B: %q", got)
	}

	do[*kmip.RevokeResponse](t, ca, kmip14.OperationRevoke, &kmip.RevokeRequest{UniqueIdentifier: key,
		Reason: kmip.RevocationReason{Code: kmip14.RevocationReasonCodeCessationOfOperation}})
	do[*kmip.DestroyResponse](t, ca, kmip14.OperationDestroy, &kmip.DestroyRequest{UniqueIdentifier: key})
	if _, err := try(cb, kmip14.OperationGet, &kmip.GetRequest{UniqueIdentifier: key}); err == nil {
		t.Fatal("Get on node B of the key destroyed on A succeeded")
	} else {
		t.Logf("Get on B after Destroy on A: %v", err)
	}
	if got := getMaterial(t, cb, regID); !bytes.Equal(got, secret) {
		t.Fatalf("the secret is gone with the destroyed key: %q", got)
	}

	// A node whose KEK is not the cluster's must not start: it could not
	// unseal what the others sealed, nor they what it would seal.
	dirC := t.TempDir()
	copyTree(t, filepath.Join(dirA, "pki"), filepath.Join(dirC, "pki"))
	other, err := hsm.NewSoftware(filepath.Join(dirC, "kek.key"))
	if err != nil {
		t.Fatal(err)
	}
	other.Close()
	out, err := runKmipdBriefly(t, dirC, env)
	if err == nil || !strings.Contains(out, "does not unseal") {
		t.Fatalf("node with another KEK: %v, log:\n%s\nwant a refusal naming a slot that does not unseal", err, out)
	}
	// Nor may a node without a KEK create one for a database that has data.
	out, err = runKmipdBriefly(t, t.TempDir(), env)
	if err == nil {
		t.Fatalf("node without a KEK started on a database with data; log:\n%s", out)
	}

	// On a database without objects yet, a second node with a KEK of its
	// own is refused too: the first node's KEK check names the cluster's.
	dsnEmpty := pg.DSN(t)
	first := startDaemon(t, t.TempDir(), "KMIPD_STORE_DSN="+dsnEmpty)
	dirE := t.TempDir()
	copyTree(t, filepath.Join(dirA, "pki"), filepath.Join(dirE, "pki"))
	if other, err = hsm.NewSoftware(filepath.Join(dirE, "kek.key")); err != nil {
		t.Fatal(err)
	}
	other.Close()
	out, err = runKmipdBriefly(t, dirE, "KMIPD_STORE_DSN="+dsnEmpty)
	if err == nil || !strings.Contains(out, "KEK check") {
		t.Fatalf("second node with its own KEK on an empty cluster database: %v, log:\n%s\nwant a refusal naming the KEK check", err, out)
	}
	first.stop(t)

	a.stop(t)
	b.stop(t)
	for name, d := range map[string]*daemon{"A": a, "B": b} {
		if strings.Contains(d.log.String(), password) {
			t.Errorf("node %s logged the DSN's password", name)
		}
		if !strings.Contains(d.log.String(), `"store":"postgres:`) {
			t.Errorf("node %s did not log its store", name)
		}
	}

	// Stopped, the nodes have wiped the slots they had ready: the one row
	// left is the DEK of the secret, the destroyed key's is gone.
	db, err := store.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	if n := db.KeySlots().Used(); n != 1 {
		t.Errorf("%d key slots in the database after both nodes stopped, want 1 (the secret's)", n)
	}
	db.Close()

	stdout, stderr, err := runCtl(t, "audit", "verify", "--store-dsn", dsn)
	if err != nil {
		t.Fatalf("kmipctl audit verify --store-dsn: %v\n%s", err, stderr)
	}
	m := regexp.MustCompile(`^OK: (\d+) records, chain intact`).FindSubmatch(stdout)
	if m == nil {
		t.Fatalf("audit verify printed %q", stdout)
	}
	verified, _ := strconv.Atoi(string(m[1]))
	stdout, stderr, err = runCtl(t, "audit", "export", "--store-dsn", dsn)
	if err != nil {
		t.Fatalf("kmipctl audit export --store-dsn: %v\n%s", err, stderr)
	}
	ops := map[string]int{}
	lines := 0
	for sc := bufio.NewScanner(bytes.NewReader(stdout)); sc.Scan(); lines++ {
		var r struct{ Operation, Result string }
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit export line %q: %v", sc.Bytes(), err)
		}
		ops[r.Operation]++
	}
	if lines != verified {
		t.Errorf("audit export wrote %d records, verify counted %d", lines, verified)
	}
	// Create and Destroy were sent to A only, Register to B only.
	for _, op := range []string{"Create", "Register", "Destroy"} {
		if ops[op] == 0 {
			t.Errorf("no %s record in the shared audit trail: %v", op, ops)
		}
	}
	t.Logf("audit trail: %d records of both nodes, by operation %v", verified, ops)
}

// runKmipdBriefly runs kmipd on dataDir with env and returns its log and
// exit error; a kmipd still running after startTimeout is killed and
// reported as started (nil error).
func runKmipdBriefly(t *testing.T, dataDir string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, kmipdBin, "--data-dir", dataDir, "--listen", freeLoopbackAddr(t))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return string(out), nil
	}
	return string(out), err
}

// copyFile copies src to dst with src's mode.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	info, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
		t.Fatal(fmt.Errorf("copy %s: %w", src, err))
	}
}

// TestClusterBackupIntoDataDir makes an online backup of a node on
// PostgreSQL and restores it into a data directory (Badger and the key slot
// file): the backup carries the database's key slots in the file's format,
// so the restored material unseals with the KEK alone.
func TestClusterBackupIntoDataDir(t *testing.T) {
	t.Parallel()
	dsn := pgtest.Start(t).DSN(t)
	dir := t.TempDir()
	d := startDaemon(t, dir, "KMIPD_STORE_DSN="+dsn)
	operator := certSubject(t, d.pki("client.crt"))
	d.stop(t)
	d = startDaemon(t, dir, "KMIPD_STORE_DSN="+dsn, "KMIPD_BACKUP_OPERATOR="+operator)
	c := d.client(t)
	key := createKey(t, c, "cluster-backup-key", "")
	material := getMaterial(t, c, key)
	out := filepath.Join(t.TempDir(), "cluster.kmipdbak")
	if _, stderr, err := d.ctl(t, "backup", "--out", out); err != nil {
		t.Fatalf("online backup of a node on PostgreSQL: %v\n%s", err, stderr)
	}
	d.stop(t)

	restored := t.TempDir()
	copyTree(t, dir, restored, "backups")
	if _, stderr, err := runCtl(t, "restore", out, "--data-dir", restored); err != nil {
		t.Fatalf("restore into a data directory: %v\n%s", err, stderr)
	}
	r := startDaemon(t, restored)
	rc := r.client(t)
	if ids := locateByName(t, rc, "cluster-backup-key"); len(ids) != 1 || ids[0] != key {
		t.Fatalf("Locate in the restored directory: %v, want [%s]", ids, key)
	}
	if got := getMaterial(t, rc, key); !bytes.Equal(got, material) {
		t.Fatal("the restored key's material differs")
	}
	r.stop(t)
}
