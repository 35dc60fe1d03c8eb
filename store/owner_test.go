package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

const (
	alice  = "CN=alice"
	tenant = "tenant:acme"
)

// ownedObject is an object of owner with a Name, an Object Group and a State.
func ownedObject(id, owner, name string) *Object {
	return &Object{
		ID: id, Owner: owner, Attributes: []byte("attrs of " + id), Material: []byte("sealed " + id),
		Terms: []Term{term("Name", name), term("Object Group", "db"), term("State", "active")},
	}
}

func TestChangeOwnerMovesObjectAndIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, ownedObject("a1", alice, "k1"))
	mustCreate(t, s, ownedObject("a2", alice, "k2"))
	mustCreate(t, s, ownedObject("t1", tenant, "k1")) // the tenant has a key of the same Name

	rec := &AuditRecord{Identity: "kmipd", Operation: "TenantAdopt", Result: "Success"}
	if err := s.ChangeOwner(WithAudit(ctx, rec), "a1", alice, tenant, nil); err != nil {
		t.Fatalf("ChangeOwner: %v", err)
	}
	if rec.Seq != 1 || rec.ObjectID != "a1" {
		t.Fatalf("audit record %+v, want Seq 1 for a1", rec)
	}

	got, err := s.Get(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Owner != tenant || string(got.Attributes) != "attrs of a1" || string(got.Material) != "sealed a1" || len(got.Terms) != 3 {
		t.Fatalf("Get after the move = %+v", got)
	}
	for _, c := range []struct {
		owner string
		terms []Term
		want  []string
	}{
		{tenant, []Term{term("Name", "k1")}, []string{"a1", "t1"}}, // Names are not unique
		{tenant, []Term{term("Object Group", "db")}, []string{"a1", "t1"}},
		{tenant, []Term{term("State", "active"), term("Name", "k1")}, []string{"a1", "t1"}},
		{tenant, nil, []string{"a1", "t1"}},
		{alice, []Term{term("Name", "k1")}, nil},
		{alice, []Term{term("Object Group", "db")}, []string{"a2"}},
		{alice, []Term{term("State", "active")}, []string{"a2"}},
		{alice, nil, []string{"a2"}},
	} {
		if ids, total := mustFind(t, s, Query{Owner: c.owner, Terms: c.terms}); !slices.Equal(ids, c.want) || total != len(c.want) {
			t.Errorf("Find %s %v = %v (%d), want %v", c.owner, c.terms, ids, total, c.want)
		}
	}

	// A second call is a no-op: nothing written, not even its record.
	again := &AuditRecord{Identity: "kmipd", Operation: "TenantAdopt", Result: "Success"}
	if err := s.ChangeOwner(WithAudit(ctx, again), "a1", alice, tenant, nil); err != nil {
		t.Fatalf("second ChangeOwner: %v", err)
	}
	if again.Seq != 0 {
		t.Fatalf("the no-op wrote audit record %d", again.Seq)
	}
	mustVerify(t, s, 1)
	if ids, _ := mustFind(t, s, Query{Owner: tenant, Terms: []Term{term("Name", "k1")}}); !slices.Equal(ids, []string{"a1", "t1"}) {
		t.Fatalf("after the no-op: %v", ids)
	}
}

func TestChangeOwnerFunctionChangesTerms(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, ownedObject("a1", alice, "k1"))

	err := s.ChangeOwner(ctx, "a1", alice, tenant, func(obj *Object) error {
		if obj.Owner != tenant {
			t.Errorf("fn sees owner %q, want %q", obj.Owner, tenant)
		}
		obj.Attributes = append(obj.Attributes, " + creator"...)
		obj.Terms = append(obj.Terms, term("y-creator", alice))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids, _ := mustFind(t, s, Query{Owner: tenant, Terms: []Term{term("y-creator", alice), term("Name", "k1")}}); !slices.Equal(ids, []string{"a1"}) {
		t.Fatalf("Find by the new term = %v", ids)
	}
	if got, _ := s.Get(ctx, "a1"); string(got.Attributes) != "attrs of a1 + creator" {
		t.Fatalf("attributes %q", got.Attributes)
	}
}

func TestChangeOwnerRefusalsWriteNothing(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	mustCreate(t, s, ownedObject("a1", alice, "k1"))
	boom := errors.New("boom")

	for _, c := range []struct {
		name     string
		id, from string
		fn       func(*Object) error
		want     error
	}{
		{"missing object", "nope", alice, nil, ErrNotFound},
		{"another owner's object", "a1", "CN=mallory", nil, ErrNotFound},
		{"fn fails", "a1", alice, func(*Object) error { return boom }, boom},
		{"fn changes the owner", "a1", alice, func(o *Object) error { o.Owner = "CN=mallory"; return nil }, nil},
	} {
		rec := &AuditRecord{Identity: "kmipd", Operation: "TenantAdopt"}
		err := s.ChangeOwner(WithAudit(ctx, rec), c.id, c.from, tenant, c.fn)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		if rec.Seq != 0 {
			t.Errorf("%s: audit record written", c.name)
		}
	}
	if err := s.ChangeOwner(ctx, "a1", alice, alice, nil); err == nil {
		t.Error("a move to the same owner was accepted")
	}
	if got, _ := s.Get(ctx, "a1"); got.Owner != alice {
		t.Fatalf("owner %q after refusals", got.Owner)
	}
	if ids, _ := mustFind(t, s, Query{Owner: alice, Terms: []Term{term("Name", "k1")}}); !slices.Equal(ids, []string{"a1"}) {
		t.Fatalf("index after refusals: %v", ids)
	}
	mustVerify(t, s, 0)
}

// TestChangeOwnerConcurrentWithReaderAndWriter moves objects while a reader
// Finds them under both owners and a writer Updates them: no snapshot shows
// an object under neither owner, and no update is lost.
func TestChangeOwnerConcurrentWithReaderAndWriter(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t, t.TempDir())
	const n = 200
	for i := range n {
		mustCreate(t, s, ownedObject(fmt.Sprintf("a%03d", i), alice, fmt.Sprintf("k%d", i)))
	}
	group := Query{Terms: []Term{term("Object Group", "db")}}

	done := make(chan struct{})
	var wg sync.WaitGroup
	var readerErr error
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			// Moves go one way, alice -> tenant: an object not found under
			// alice is under the tenant in any later snapshot.
			qa, qt := group, group
			qa.Owner, qt.Owner = alice, tenant
			_, underAlice, err1 := s.Find(ctx, qa)
			_, underTenant, err2 := s.Find(ctx, qt)
			if err := errors.Join(err1, err2); err != nil {
				readerErr = err
				return
			}
			if underAlice+underTenant < n {
				readerErr = fmt.Errorf("seen %d under alice then %d under the tenant, of %d", underAlice, underTenant, n)
				return
			}
		}
	})
	wg.Go(func() {
		for i := range n {
			err := s.Update(ctx, fmt.Sprintf("a%03d", i), func(obj *Object) error {
				obj.Attributes = append(obj.Attributes, " updated"...)
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		}
	})
	for i := range n {
		if err := s.ChangeOwner(ctx, fmt.Sprintf("a%03d", i), alice, tenant, nil); err != nil {
			t.Fatalf("ChangeOwner: %v", err)
		}
	}
	close(done)
	wg.Wait()
	if readerErr != nil {
		t.Fatal(readerErr)
	}

	group.Owner = tenant
	if _, total := mustFind(t, s, group); total != n {
		t.Fatalf("%d objects under the tenant, want %d", total, n)
	}
	group.Owner = alice
	if _, total := mustFind(t, s, group); total != 0 {
		t.Fatalf("%d objects left under alice", total)
	}
	for i := range n {
		obj, err := s.Get(ctx, fmt.Sprintf("a%03d", i))
		if err != nil || obj.Owner != tenant || string(obj.Attributes) != fmt.Sprintf("attrs of a%03d updated", i) {
			t.Fatalf("object %d: %+v, %v", i, obj, err)
		}
	}
}
