package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kmipd/kmipd/hsm"
	"github.com/kmipd/kmipd/store/pgtest"
)

// TestPGKeySlotsShared seals through the key slots of one database and
// unseals through another connection's, as two nodes would with copies of
// one KEK: the material opens on both, for its object alone, and once
// forgotten on one it opens on neither.
func TestPGKeySlotsShared(t *testing.T) {
	pg := pgtest.Start(t)
	dsn := pg.DSN(t)
	dir := t.TempDir()
	keyA := filepath.Join(dir, "a.key")
	moduleA, err := hsm.NewSoftware(keyA)
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyA)
	if err != nil {
		t.Fatal(err)
	}
	keyB := filepath.Join(dir, "b.key")
	if err := os.WriteFile(keyB, key, 0o600); err != nil {
		t.Fatal(err)
	}
	moduleB, err := hsm.NewSoftware(keyB)
	if err != nil {
		t.Fatal(err)
	}
	dbA, dbB := openPostgres(t, dsn), openPostgres(t, dsn)
	nodeA := hsm.NewSlotted(moduleA, dbA.KeySlots())
	nodeB := hsm.NewSlotted(moduleB, dbB.KeySlots())
	t.Cleanup(func() { nodeA.Close(); nodeB.Close() })

	secret := []byte("0123456789abcdef0123456789abcdef")
	sealed, err := nodeA.Seal("obj-1", secret)
	if err != nil {
		t.Fatal(err)
	}
	if !hsm.IsSlotSealed(sealed) {
		t.Fatal("material not sealed through a slot")
	}
	if got, err := nodeB.Unseal("obj-1", sealed); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("node B Unseal = %x, %v; want the material", got, err)
	}
	if _, err := nodeB.Unseal("obj-2", sealed); err == nil {
		t.Fatal("material unsealed for another object id")
	}
	if n := dbB.KeySlots().Used(); n < 1 {
		t.Fatalf("Used = %d, want at least the slot of obj-1", n)
	}
	if err := nodeA.Forget("obj-1", sealed); err != nil {
		t.Fatal(err)
	}
	for name, node := range map[string]*hsm.Slotted{"A": nodeA, "B": nodeB} {
		if _, err := node.Unseal("obj-1", sealed); !errors.Is(err, hsm.ErrSlotGone) || !errors.Is(err, hsm.ErrUnseal) {
			t.Errorf("node %s Unseal after Forget: %v, want ErrSlotGone and ErrUnseal", name, err)
		}
	}
	if err := nodeB.Forget("obj-1", sealed); err != nil {
		t.Errorf("a repeated Forget: %v", err)
	}
}
