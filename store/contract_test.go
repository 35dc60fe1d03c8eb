package store_test

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/kmipd/kmipd/store"
	"github.com/kmipd/kmipd/store/storetest"
)

// TestContract runs the store contract against Badger.
func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open: func(t *testing.T) store.Store { return openBadger(t, t.TempDir()) },
		Restore: func(t *testing.T, backup io.Reader, s store.Sealer) store.Store {
			dir := filepath.Join(t.TempDir(), "db")
			if err := store.Restore(dir, backup, s); err != nil {
				t.Fatalf("Restore: %v", err)
			}
			return openBadger(t, dir)
		},
	})
}

func openBadger(t *testing.T, dir string) *store.Badger {
	t.Helper()
	db, err := store.OpenBadger(dir, store.Options{})
	if err != nil {
		t.Fatalf("OpenBadger: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
