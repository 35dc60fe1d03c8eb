package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
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
	if err := s.Create(context.Background(), obj); err != nil {
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

func TestCreateGetUpdateDelete(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	obj := &Object{
		ID: "id-1", Owner: "alice",
		Attributes: []byte("attrs"), Material: []byte("sealed"),
		Terms: []Term{term("Name", "k1"), term("Object Type", "2")},
	}
	mustCreate(t, s, obj)

	got, err := s.Get(ctx, "id-1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ID != "id-1" || got.Owner != "alice" || string(got.Attributes) != "attrs" ||
		string(got.Material) != "sealed" || len(got.Terms) != 2 || string(got.Terms[0].Value) != "k1" {
		t.Fatalf("Get = %+v", got)
	}

	if err := s.Create(ctx, &Object{ID: "id-1", Owner: "bob"}); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}

	err = s.Update(ctx, "id-1", func(o *Object) error {
		o.Material = nil
		o.Attributes = []byte("destroyed")
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, _ = s.Get(ctx, "id-1")
	if got.Material != nil || string(got.Attributes) != "destroyed" {
		t.Fatalf("after Update: %+v", got)
	}

	sentinel := errors.New("refused")
	err = s.Update(ctx, "id-1", func(o *Object) error {
		o.Attributes = []byte("must not be written")
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update with failing fn: %v", err)
	}
	if got, _ = s.Get(ctx, "id-1"); string(got.Attributes) != "destroyed" {
		t.Fatalf("failed Update wrote %q", got.Attributes)
	}

	if err := s.Update(ctx, "id-1", func(o *Object) error { o.Owner = "mallory"; return nil }); err == nil {
		t.Fatal("Update changing Owner succeeded")
	}

	if err := s.Delete(ctx, "id-1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := s.Delete(ctx, "id-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Update(ctx, "id-1", func(*Object) error { return nil }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Update of deleted: %v", err)
	}
	if ids, total := mustFind(t, s, Query{Owner: "alice"}); total != 0 || len(ids) != 0 {
		t.Fatalf("Find after Delete: %v %d", ids, total)
	}
	if ids, total := mustFind(t, s, Query{Owner: "alice", Terms: []Term{term("Name", "k1")}}); total != 0 {
		t.Fatalf("Find by term after Delete: %v %d", ids, total)
	}
	if err := s.Create(ctx, &Object{}); err == nil {
		t.Fatal("Create without ID succeeded")
	}
}

func TestUpdateMaintainsIndex(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, &Object{ID: "a", Owner: "o", Terms: []Term{term("State", "PreActive"), term("Name", "n")}})

	err := s.Update(ctx, "a", func(o *Object) error {
		o.Terms = []Term{term("State", "Active"), term("Name", "n")}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, total := mustFind(t, s, Query{Owner: "o", Terms: []Term{term("State", "PreActive")}}); total != 0 {
		t.Fatalf("old term still found (%d)", total)
	}
	ids, total := mustFind(t, s, Query{Owner: "o", Terms: []Term{term("State", "Active"), term("Name", "n")}})
	if total != 1 || !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("new terms: %v %d", ids, total)
	}
}

func TestFindTermsOffsetLimit(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	// 30 objects: all symmetric keys, every third one named "shared",
	// the even ones active.
	for i := range 30 {
		terms := []Term{term("Object Type", "SymmetricKey")}
		if i%3 == 0 {
			terms = append(terms, term("Name", "shared"))
		} else {
			terms = append(terms, term("Name", "n"+strconv.Itoa(i)))
		}
		if i%2 == 0 {
			terms = append(terms, term("State", "Active"))
		}
		mustCreate(t, s, &Object{ID: fmt.Sprintf("id-%02d", i), Owner: "o", Terms: terms})
	}

	all := []Term{term("Object Type", "SymmetricKey"), term("Name", "shared"), term("State", "Active")}
	ids, total := mustFind(t, s, Query{Owner: "o", Terms: all})
	want := []string{"id-00", "id-06", "id-12", "id-18", "id-24"}
	if total != 5 || !slices.Equal(ids, want) {
		t.Fatalf("three terms: %v total %d, want %v", ids, total, want)
	}
	ids, total = mustFind(t, s, Query{Owner: "o", Terms: all, Offset: 1, Limit: 2})
	if total != 5 || !slices.Equal(ids, want[1:3]) {
		t.Fatalf("offset 1 limit 2: %v total %d", ids, total)
	}
	ids, total = mustFind(t, s, Query{Owner: "o", Terms: all, Offset: 10})
	if total != 5 || len(ids) != 0 {
		t.Fatalf("offset past end: %v total %d", ids, total)
	}
	ids, total = mustFind(t, s, Query{Owner: "o", Limit: 3})
	if total != 30 || !slices.Equal(ids, []string{"id-00", "id-01", "id-02"}) {
		t.Fatalf("no terms: %v total %d", ids, total)
	}
	if _, total = mustFind(t, s, Query{Owner: "o", Terms: []Term{term("Name", "shared"), term("Name", "n1")}}); total != 0 {
		t.Fatalf("contradictory terms matched %d", total)
	}
	if _, _, err := s.Find(context.Background(), Query{Owner: "o", Offset: -1}); err == nil {
		t.Fatal("negative offset accepted")
	}
}

func TestOwnerIsolation(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, &Object{ID: "a1", Owner: "alice", Terms: []Term{term("Name", "same")}})
	mustCreate(t, s, &Object{ID: "b1", Owner: "bob", Terms: []Term{term("Name", "same")}})

	for _, q := range []Query{
		{Owner: "bob", Terms: []Term{term("Name", "same")}},
		{Owner: "bob"},
	} {
		ids, total := mustFind(t, s, q)
		if total != 1 || !slices.Equal(ids, []string{"b1"}) {
			t.Fatalf("bob %+v sees %v (%d)", q, ids, total)
		}
	}
	if _, total := mustFind(t, s, Query{Owner: "carol"}); total != 0 {
		t.Fatalf("carol sees %d objects", total)
	}
	// An owner whose name extends another owner's must not see its objects.
	if _, total := mustFind(t, s, Query{Owner: "alic"}); total != 0 {
		t.Fatalf("owner prefix matched %d objects", total)
	}
}

// TestSeparatorCollisions stores values whose concatenations are equal, so a
// layout that joined the parts with a separator, or without lengths, would
// mix them up.
func TestSeparatorCollisions(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, &Object{ID: "x", Owner: "a\x00b", Terms: []Term{term("c", "d")}})
	mustCreate(t, s, &Object{ID: "y", Owner: "a", Terms: []Term{term("b\x00c", "d")}})
	mustCreate(t, s, &Object{ID: "z", Owner: "a", Terms: []Term{term("b", "\x00cd")}})
	mustCreate(t, s, &Object{ID: "w", Owner: "a", Terms: []Term{term("b", "c")}})
	// "\x01d" after value "c" is what a length-prefixed ID of "d" could look like.
	mustCreate(t, s, &Object{ID: "\x01d", Owner: "a", Terms: []Term{term("b", "c\x01")}})
	mustCreate(t, s, &Object{ID: "v", Owner: "a", Terms: []Term{term("", "bc")}})

	cases := []struct {
		q    Query
		want []string
	}{
		{Query{Owner: "a\x00b", Terms: []Term{term("c", "d")}}, []string{"x"}},
		{Query{Owner: "a", Terms: []Term{term("b\x00c", "d")}}, []string{"y"}},
		{Query{Owner: "a", Terms: []Term{term("b", "\x00cd")}}, []string{"z"}},
		{Query{Owner: "a", Terms: []Term{term("b", "c")}}, []string{"w"}},
		{Query{Owner: "a", Terms: []Term{term("b", "c\x01")}}, []string{"\x01d"}},
		{Query{Owner: "a", Terms: []Term{term("", "bc")}}, []string{"v"}},
		{Query{Owner: "a", Terms: []Term{term("b", "")}}, nil},
		{Query{Owner: "a"}, []string{"\x01d", "v", "w", "y", "z"}},
		{Query{Owner: "a\x00b"}, []string{"x"}},
	}
	for _, c := range cases {
		ids, total := mustFind(t, s, c.q)
		if total != len(c.want) || !slices.Equal(ids, c.want) {
			t.Errorf("Find(owner %q, terms %q) = %q (%d), want %q", c.q.Owner, c.q.Terms, ids, total, c.want)
		}
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, &Object{ID: "counter", Owner: "o", Attributes: []byte("0")})

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.Update(ctx, "counter", func(o *Object) error {
				v, err := strconv.Atoi(string(o.Attributes))
				if err != nil {
					return err
				}
				o.Attributes = []byte(strconv.Itoa(v + 1))
				o.Terms = []Term{term("Count", strconv.Itoa(v+1))}
				return nil
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	got, err := s.Get(ctx, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Attributes) != strconv.Itoa(n) {
		t.Fatalf("counter = %s, want %d", got.Attributes, n)
	}
	if _, total := mustFind(t, s, Query{Owner: "o", Terms: []Term{term("Count", strconv.Itoa(n))}}); total != 1 {
		t.Fatalf("final Count term found %d times", total)
	}
	if _, total := mustFind(t, s, Query{Owner: "o", Terms: []Term{term("Count", "1")}}); total != 0 {
		t.Fatal("stale Count term left in the index")
	}
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
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := s.Create(ctx, &Object{ID: "k2"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Create after Close: %v", err)
	}
	if _, _, err := s.Find(ctx, Query{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Find after Close: %v", err)
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

func TestCancelledContext(t *testing.T) {
	s := openTestStore(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Create(ctx, &Object{ID: "a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Get(context.Background(), "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("cancelled Create wrote: %v", err)
	}
	if _, _, err := s.Find(ctx, Query{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Find: %v", err)
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
