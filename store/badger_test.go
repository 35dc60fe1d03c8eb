package store

import (
	"context"
	"slices"
	"strconv"
	"testing"
)

func openTestStore(t testing.TB, dir string) *Badger {
	t.Helper()
	s, err := OpenBadger(dir, Options{})
	if err != nil {
		t.Fatalf("OpenBadger: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func term(name, value string) Term { return Term{Name: name, Value: []byte(value)} }

func mustCreate(t testing.TB, s Store, obj *Object) {
	t.Helper()
	if err := s.Create(context.Background(), nil, obj); err != nil {
		t.Fatalf("Create %s: %v", obj.ID, err)
	}
}

func mustFind(t testing.TB, s Store, q Query) ([]string, int) {
	t.Helper()
	ids, total, err := s.Find(context.Background(), q)
	if err != nil {
		t.Fatalf("Find %+v: %v", q, err)
	}
	return ids, total
}

func TestCloseAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenBadger(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, &Object{ID: "k", Owner: "o", Material: []byte("m"), Terms: []Term{term("Name", "n")}})
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = openTestStore(t, dir)
	got, err := s.Get(ctx, "k")
	if err != nil || string(got.Material) != "m" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
	if ids, _ := mustFind(t, s, Query{Owner: "o", Terms: []Term{term("Name", "n")}}); !slices.Equal(ids, []string{"k"}) {
		t.Fatalf("index after reopen: %v", ids)
	}
}

// TestRotationIsSynced forces many memtable rotations (1 MiB memtables) and
// checks the syncer fsyncs each rotated WAL while writes keep succeeding.
func TestRotationIsSynced(t *testing.T) {
	s, err := OpenBadger(t.TempDir(), Options{MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	attrs := make([]byte, 4096)
	for i := range 1000 {
		mustCreate(t, s, &Object{ID: strconv.Itoa(i), Owner: "o", Attributes: attrs})
	}
	if s.syncer.syncs.Load() == 0 {
		t.Fatal("no group sync ran")
	}
	// 1000 x 4 KiB in 1 MiB memtables: a few rotations.
	if s.syncer.rotatedSyncs.Load() == 0 {
		t.Fatalf("no rotated WAL was fsynced; newest files seen: %v", s.syncer.newest)
	}
	if _, total := mustFind(t, s, Query{Owner: "o"}); total != 1000 {
		t.Fatalf("found %d of 1000", total)
	}
}
