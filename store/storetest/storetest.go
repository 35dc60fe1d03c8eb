// Package storetest is the contract of store.Store as tests: Run checks that
// an implementation behaves as the interface documents (objects and their
// index, owners, pending destructions, iteration, the audit trail, backup),
// so that every implementation (Badger; PostgreSQL for a cluster) answers
// the handlers alike. An implementation's own tests call Run:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, storetest.Backend{Open: ..., Restore: ...})
//	}
//
// What is particular to one implementation (its on-disk format, crash
// recovery, reopening a directory) is tested beside it, not here.
package storetest

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kmipd/kmipd/store"
)

// Backend opens the stores of the implementation under test.
type Backend struct {
	// Open returns a new, empty store for test t and closes it when t
	// ends (t.Cleanup); a test may close it first.
	Open func(t *testing.T) store.Store

	// Restore returns a new store holding the content of backup, which
	// BackupWith wrote with sealer s and no attachment, closed when t ends.
	Restore func(t *testing.T, backup io.Reader, s store.Sealer) store.Store
}

// Run runs the contract tests against b, each as a subtest of t on stores
// of its own.
func Run(t *testing.T, b Backend) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Backend)
	}{
		{"CreateGetUpdateDelete", testCreateGetUpdateDelete},
		{"UpdateMaintainsIndex", testUpdateMaintainsIndex},
		{"FindTermsOffsetLimit", testFindTermsOffsetLimit},
		{"OwnerIsolation", testOwnerIsolation},
		{"SeparatorCollisions", testSeparatorCollisions},
		{"ConcurrentUpdatesLoseNothing", testConcurrentUpdatesLoseNothing},
		{"CancelledContext", testCancelledContext},
		{"Closed", testClosed},
		{"ChangeOwnerMovesObjectAndIndexes", testChangeOwnerMovesObjectAndIndexes},
		{"ChangeOwnerFunctionChangesTerms", testChangeOwnerFunctionChangesTerms},
		{"ChangeOwnerRefusalsWriteNothing", testChangeOwnerRefusalsWriteNothing},
		{"ChangeOwnerConcurrentWithReaderAndWriter", testChangeOwnerConcurrentWithReaderAndWriter},
		{"ForEachObject", testForEachObject},
		{"Pending", testPending},
		{"RestorePending", testRestorePending},
		{"AuditAppendIterateVerify", testAuditAppendIterateVerify},
		{"AuditHead", testAuditHead},
		{"AuditWrittenWithMutation", testAuditWrittenWithMutation},
		{"AuditConcurrentMutationsStayChained", testAuditConcurrentMutationsStayChained},
		{"BackupRoundTrip", testBackupRoundTrip},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, b) })
	}
}

const (
	alice  = "CN=alice"
	tenant = "tenant:acme"
)

func term(name, value string) store.Term { return store.Term{Name: name, Value: []byte(value)} }

// object is an object of owner "o" with a Name term.
func object(id string) *store.Object {
	return &store.Object{ID: id, Owner: "o", Attributes: []byte("attrs of " + id), Material: []byte("sealed " + id),
		Terms: []store.Term{term("Name", "name of "+id)}}
}

// ownedObject is an object of owner with a Name, an Object Group and a State.
func ownedObject(id, owner, name string) *store.Object {
	return &store.Object{
		ID: id, Owner: owner, Attributes: []byte("attrs of " + id), Material: []byte("sealed " + id),
		Terms: []store.Term{term("Name", name), term("Object Group", "db"), term("State", "active")},
	}
}

func testRecord(i int) *store.AuditRecord {
	return &store.AuditRecord{
		Time:       time.Date(2026, 11, 27, 1, 2, 3, 456789+i, time.UTC),
		Identity:   "CN=client-" + strconv.Itoa(i),
		Tenant:     "tenant-a",
		ClientAddr: "192.0.2.1:40000",
		Operation:  "Get",
		ObjectID:   "id-" + strconv.Itoa(i),
		Result:     "Success",
	}
}

func mustCreate(t testing.TB, s store.Store, obj *store.Object) {
	t.Helper()
	if err := s.Create(context.Background(), nil, obj); err != nil {
		t.Fatalf("Create %s: %v", obj.ID, err)
	}
}

func mustFind(t testing.TB, s store.Store, q store.Query) ([]string, int) {
	t.Helper()
	ids, total, err := s.Find(context.Background(), q)
	if err != nil {
		t.Fatalf("Find %+v: %v", q, err)
	}
	return ids, total
}

func mustAppend(t testing.TB, s store.AuditLog, rec *store.AuditRecord) {
	t.Helper()
	if err := s.AppendAudit(context.Background(), rec); err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
}

// AllRecords returns every record of s's audit trail, in sequence order,
// failing t when they cannot be read. Tests of packages that audit through
// a store use it too.
func AllRecords(t testing.TB, s store.AuditLog) []store.AuditRecord {
	t.Helper()
	var out []store.AuditRecord
	if err := s.AuditRecords(context.Background(), 0, func(r store.AuditRecord) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("AuditRecords: %v", err)
	}
	return out
}

func mustVerify(t testing.TB, s store.AuditLog, want int) {
	t.Helper()
	n, err := s.VerifyAudit(context.Background())
	if err != nil || n != want {
		t.Fatalf("VerifyAudit = %d, %v; want %d, nil", n, err, want)
	}
}

func testCreateGetUpdateDelete(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	obj := &store.Object{
		ID: "id-1", Owner: "alice",
		Attributes: []byte("attrs"), Material: []byte("sealed"),
		Terms: []store.Term{term("Name", "k1"), term("Object Type", "2")},
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

	if err := s.Create(ctx, nil, &store.Object{ID: "id-1", Owner: "bob"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second Create: %v, want ErrExists", err)
	}

	err = s.Update(ctx, nil, "id-1", func(o *store.Object) error {
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
	err = s.Update(ctx, nil, "id-1", func(o *store.Object) error {
		o.Attributes = []byte("must not be written")
		return sentinel
	})
	if !errors.Is(err, sentinel) {
		t.Fatalf("Update with failing fn: %v", err)
	}
	if got, _ = s.Get(ctx, "id-1"); string(got.Attributes) != "destroyed" {
		t.Fatalf("failed Update wrote %q", got.Attributes)
	}

	if err := s.Update(ctx, nil, "id-1", func(o *store.Object) error { o.Owner = "mallory"; return nil }); err == nil {
		t.Fatal("Update changing Owner succeeded")
	}

	if err := s.Delete(ctx, nil, "id-1"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "id-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := s.Delete(ctx, nil, "id-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete: %v", err)
	}
	if err := s.Update(ctx, nil, "id-1", func(*store.Object) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of deleted: %v", err)
	}
	if ids, total := mustFind(t, s, store.Query{Owner: "alice"}); total != 0 || len(ids) != 0 {
		t.Fatalf("Find after Delete: %v %d", ids, total)
	}
	if ids, total := mustFind(t, s, store.Query{Owner: "alice", Terms: []store.Term{term("Name", "k1")}}); total != 0 {
		t.Fatalf("Find by term after Delete: %v %d", ids, total)
	}
	if err := s.Create(ctx, nil, &store.Object{}); err == nil {
		t.Fatal("Create without ID succeeded")
	}
}

func testUpdateMaintainsIndex(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, &store.Object{ID: "a", Owner: "o", Terms: []store.Term{term("State", "PreActive"), term("Name", "n")}})

	err := s.Update(ctx, nil, "a", func(o *store.Object) error {
		o.Terms = []store.Term{term("State", "Active"), term("Name", "n")}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, total := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("State", "PreActive")}}); total != 0 {
		t.Fatalf("old term still found (%d)", total)
	}
	ids, total := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("State", "Active"), term("Name", "n")}})
	if total != 1 || !slices.Equal(ids, []string{"a"}) {
		t.Fatalf("new terms: %v %d", ids, total)
	}
}

func testFindTermsOffsetLimit(t *testing.T, b Backend) {
	s := b.Open(t)
	// 30 objects: all symmetric keys, every third one named "shared",
	// the even ones active.
	for i := range 30 {
		terms := []store.Term{term("Object Type", "SymmetricKey")}
		if i%3 == 0 {
			terms = append(terms, term("Name", "shared"))
		} else {
			terms = append(terms, term("Name", "n"+strconv.Itoa(i)))
		}
		if i%2 == 0 {
			terms = append(terms, term("State", "Active"))
		}
		mustCreate(t, s, &store.Object{ID: fmt.Sprintf("id-%02d", i), Owner: "o", Terms: terms})
	}

	all := []store.Term{term("Object Type", "SymmetricKey"), term("Name", "shared"), term("State", "Active")}
	ids, total := mustFind(t, s, store.Query{Owner: "o", Terms: all})
	want := []string{"id-24", "id-18", "id-12", "id-06", "id-00"} // descending ID order
	if total != 5 || !slices.Equal(ids, want) {
		t.Fatalf("three terms: %v total %d, want %v", ids, total, want)
	}
	ids, total = mustFind(t, s, store.Query{Owner: "o", Terms: all, Offset: 1, Limit: 2})
	if total != 5 || !slices.Equal(ids, want[1:3]) {
		t.Fatalf("offset 1 limit 2: %v total %d", ids, total)
	}
	ids, total = mustFind(t, s, store.Query{Owner: "o", Terms: all, Offset: 10})
	if total != 5 || len(ids) != 0 {
		t.Fatalf("offset past end: %v total %d", ids, total)
	}
	ids, total = mustFind(t, s, store.Query{Owner: "o", Limit: 3})
	if total != 30 || !slices.Equal(ids, []string{"id-29", "id-28", "id-27"}) {
		t.Fatalf("no terms: %v total %d", ids, total)
	}
	if _, total = mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("Name", "shared"), term("Name", "n1")}}); total != 0 {
		t.Fatalf("contradictory terms matched %d", total)
	}
	if _, _, err := s.Find(context.Background(), store.Query{Owner: "o", Offset: -1}); err == nil {
		t.Fatal("negative offset accepted")
	}
}

func testOwnerIsolation(t *testing.T, b Backend) {
	s := b.Open(t)
	mustCreate(t, s, &store.Object{ID: "a1", Owner: "alice", Terms: []store.Term{term("Name", "same")}})
	mustCreate(t, s, &store.Object{ID: "b1", Owner: "bob", Terms: []store.Term{term("Name", "same")}})

	for _, q := range []store.Query{
		{Owner: "bob", Terms: []store.Term{term("Name", "same")}},
		{Owner: "bob"},
	} {
		ids, total := mustFind(t, s, q)
		if total != 1 || !slices.Equal(ids, []string{"b1"}) {
			t.Fatalf("bob %+v sees %v (%d)", q, ids, total)
		}
	}
	if _, total := mustFind(t, s, store.Query{Owner: "carol"}); total != 0 {
		t.Fatalf("carol sees %d objects", total)
	}
	// An owner whose name extends another owner's must not see its objects.
	if _, total := mustFind(t, s, store.Query{Owner: "alic"}); total != 0 {
		t.Fatalf("owner prefix matched %d objects", total)
	}
}

// TestSeparatorCollisions stores values whose concatenations are equal, so a
// layout that joined the parts with a separator, or without lengths, would
// mix them up.
func testSeparatorCollisions(t *testing.T, b Backend) {
	s := b.Open(t)
	mustCreate(t, s, &store.Object{ID: "x", Owner: "a\x00b", Terms: []store.Term{term("c", "d")}})
	mustCreate(t, s, &store.Object{ID: "y", Owner: "a", Terms: []store.Term{term("b\x00c", "d")}})
	mustCreate(t, s, &store.Object{ID: "z", Owner: "a", Terms: []store.Term{term("b", "\x00cd")}})
	mustCreate(t, s, &store.Object{ID: "w", Owner: "a", Terms: []store.Term{term("b", "c")}})
	// "\x01d" after value "c" is what a length-prefixed ID of "d" could look like.
	mustCreate(t, s, &store.Object{ID: "\x01d", Owner: "a", Terms: []store.Term{term("b", "c\x01")}})
	mustCreate(t, s, &store.Object{ID: "v", Owner: "a", Terms: []store.Term{term("", "bc")}})

	cases := []struct {
		q    store.Query
		want []string
	}{
		{store.Query{Owner: "a\x00b", Terms: []store.Term{term("c", "d")}}, []string{"x"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("b\x00c", "d")}}, []string{"y"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("b", "\x00cd")}}, []string{"z"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("b", "c")}}, []string{"w"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("b", "c\x01")}}, []string{"\x01d"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("", "bc")}}, []string{"v"}},
		{store.Query{Owner: "a", Terms: []store.Term{term("b", "")}}, nil},
		{store.Query{Owner: "a"}, []string{"z", "y", "w", "v", "\x01d"}},
		{store.Query{Owner: "a\x00b"}, []string{"x"}},
	}
	for _, c := range cases {
		ids, total := mustFind(t, s, c.q)
		if total != len(c.want) || !slices.Equal(ids, c.want) {
			t.Errorf("Find(owner %q, terms %q) = %q (%d), want %q", c.q.Owner, c.q.Terms, ids, total, c.want)
		}
	}
}

func testConcurrentUpdatesLoseNothing(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, &store.Object{ID: "counter", Owner: "o", Attributes: []byte("0")})

	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.Update(ctx, nil, "counter", func(o *store.Object) error {
				v, err := strconv.Atoi(string(o.Attributes))
				if err != nil {
					return err
				}
				o.Attributes = []byte(strconv.Itoa(v + 1))
				o.Terms = []store.Term{term("Count", strconv.Itoa(v+1))}
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
	if _, total := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("Count", strconv.Itoa(n))}}); total != 1 {
		t.Fatalf("final Count term found %d times", total)
	}
	if _, total := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("Count", "1")}}); total != 0 {
		t.Fatal("stale Count term left in the index")
	}
}

func testCancelledContext(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Create(ctx, nil, &store.Object{ID: "a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Get(context.Background(), "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancelled Create wrote: %v", err)
	}
	if _, _, err := s.Find(ctx, store.Query{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Find: %v", err)
	}
}

func testChangeOwnerMovesObjectAndIndexes(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, ownedObject("a1", alice, "k1"))
	mustCreate(t, s, ownedObject("a2", alice, "k2"))
	mustCreate(t, s, ownedObject("t1", tenant, "k1")) // the tenant has a key of the same Name

	rec := &store.AuditRecord{Identity: "kmipd", Operation: "TenantAdopt", Result: "Success"}
	if err := s.ChangeOwner(ctx, rec, "a1", alice, tenant, nil); err != nil {
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
		terms []store.Term
		want  []string
	}{
		{tenant, []store.Term{term("Name", "k1")}, []string{"t1", "a1"}}, // Names are not unique
		{tenant, []store.Term{term("Object Group", "db")}, []string{"t1", "a1"}},
		{tenant, []store.Term{term("State", "active"), term("Name", "k1")}, []string{"t1", "a1"}},
		{tenant, nil, []string{"t1", "a1"}},
		{alice, []store.Term{term("Name", "k1")}, nil},
		{alice, []store.Term{term("Object Group", "db")}, []string{"a2"}},
		{alice, []store.Term{term("State", "active")}, []string{"a2"}},
		{alice, nil, []string{"a2"}},
	} {
		if ids, total := mustFind(t, s, store.Query{Owner: c.owner, Terms: c.terms}); !slices.Equal(ids, c.want) || total != len(c.want) {
			t.Errorf("Find %s %v = %v (%d), want %v", c.owner, c.terms, ids, total, c.want)
		}
	}

	// A second call is a no-op: nothing written, not even its record.
	again := &store.AuditRecord{Identity: "kmipd", Operation: "TenantAdopt", Result: "Success"}
	if err := s.ChangeOwner(ctx, again, "a1", alice, tenant, nil); err != nil {
		t.Fatalf("second ChangeOwner: %v", err)
	}
	if again.Seq != 0 {
		t.Fatalf("the no-op wrote audit record %d", again.Seq)
	}
	mustVerify(t, s, 1)
	if ids, _ := mustFind(t, s, store.Query{Owner: tenant, Terms: []store.Term{term("Name", "k1")}}); !slices.Equal(ids, []string{"t1", "a1"}) {
		t.Fatalf("after the no-op: %v", ids)
	}
}

func testChangeOwnerFunctionChangesTerms(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, ownedObject("a1", alice, "k1"))

	err := s.ChangeOwner(ctx, nil, "a1", alice, tenant, func(obj *store.Object) error {
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
	if ids, _ := mustFind(t, s, store.Query{Owner: tenant, Terms: []store.Term{term("y-creator", alice), term("Name", "k1")}}); !slices.Equal(ids, []string{"a1"}) {
		t.Fatalf("Find by the new term = %v", ids)
	}
	if got, _ := s.Get(ctx, "a1"); string(got.Attributes) != "attrs of a1 + creator" {
		t.Fatalf("attributes %q", got.Attributes)
	}
}

func testChangeOwnerRefusalsWriteNothing(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, ownedObject("a1", alice, "k1"))
	boom := errors.New("boom")

	for _, c := range []struct {
		name     string
		id, from string
		fn       func(*store.Object) error
		want     error
	}{
		{"missing object", "nope", alice, nil, store.ErrNotFound},
		{"another owner's object", "a1", "CN=mallory", nil, store.ErrNotFound},
		{"fn fails", "a1", alice, func(*store.Object) error { return boom }, boom},
		{"fn changes the owner", "a1", alice, func(o *store.Object) error { o.Owner = "CN=mallory"; return nil }, nil},
	} {
		rec := &store.AuditRecord{Identity: "kmipd", Operation: "TenantAdopt"}
		err := s.ChangeOwner(ctx, rec, c.id, c.from, tenant, c.fn)
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
		if rec.Seq != 0 {
			t.Errorf("%s: audit record written", c.name)
		}
	}
	if err := s.ChangeOwner(ctx, nil, "a1", alice, alice, nil); err == nil {
		t.Error("a move to the same owner was accepted")
	}
	if got, _ := s.Get(ctx, "a1"); got.Owner != alice {
		t.Fatalf("owner %q after refusals", got.Owner)
	}
	if ids, _ := mustFind(t, s, store.Query{Owner: alice, Terms: []store.Term{term("Name", "k1")}}); !slices.Equal(ids, []string{"a1"}) {
		t.Fatalf("index after refusals: %v", ids)
	}
	mustVerify(t, s, 0)
}

// TestChangeOwnerConcurrentWithReaderAndWriter moves objects while a reader
// Finds them under both owners and a writer Updates them: no snapshot shows
// an object under neither owner, and no update is lost.
func testChangeOwnerConcurrentWithReaderAndWriter(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	const n = 200
	for i := range n {
		mustCreate(t, s, ownedObject(fmt.Sprintf("a%03d", i), alice, fmt.Sprintf("k%d", i)))
	}
	group := store.Query{Terms: []store.Term{term("Object Group", "db")}}

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
			err := s.Update(ctx, nil, fmt.Sprintf("a%03d", i), func(obj *store.Object) error {
				obj.Attributes = append(obj.Attributes, " updated"...)
				return nil
			})
			if err != nil {
				t.Errorf("Update: %v", err)
			}
		}
	})
	for i := range n {
		if err := s.ChangeOwner(ctx, nil, fmt.Sprintf("a%03d", i), alice, tenant, nil); err != nil {
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

func testAuditWrittenWithMutation(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := context.Background()

	// Create and then Update given one record: one record, in the Create's
	// transaction.
	rec := testRecord(0)
	rec.ObjectID = "" // as for a Create: the new ID is not known before
	if err := s.Create(ctx, rec, object("a")); err != nil {
		t.Fatal(err)
	}
	if rec.Seq != 1 || rec.ObjectID != "a" {
		t.Fatalf("Create did not write the record naming its object: Seq %d, ObjectID %q", rec.Seq, rec.ObjectID)
	}
	if err := s.Update(ctx, rec, "a", func(*store.Object) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := AllRecords(t, s); len(got) != 1 || got[0] != *rec {
		t.Fatalf("records after Create+Update: %+v", got)
	}

	// Mutations that fail write no record and leave the head where it was.
	failed := testRecord(1)
	if err := s.Create(ctx, failed, object("a")); !errors.Is(err, store.ErrExists) {
		t.Fatalf("Create of a taken ID: %v", err)
	}
	refused := errors.New("refused")
	if err := s.Update(ctx, failed, "a", func(*store.Object) error { return refused }); err != refused {
		t.Fatalf("Update: %v", err)
	}
	if err := s.Delete(ctx, failed, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete: %v", err)
	}
	if failed.Seq != 0 {
		t.Fatalf("a failed mutation wrote the record: Seq %d", failed.Seq)
	}
	if got := AllRecords(t, s); len(got) != 1 {
		t.Fatalf("%d records after failed mutations, want 1", len(got))
	}
	mustAppend(t, s, failed) // the caller records the failure itself
	if failed.Seq != 2 || failed.Prev != rec.Hash {
		t.Fatalf("record after failed mutations: Seq %d, chained %v", failed.Seq, failed.Prev == rec.Hash)
	}

	// A Delete writes its record too.
	del := testRecord(2)
	if err := s.Delete(ctx, del, "a"); err != nil || del.Seq != 3 {
		t.Fatalf("Delete: %v, Seq %d", err, del.Seq)
	}
	mustVerify(t, s, 3)
}

func testAuditConcurrentMutationsStayChained(t *testing.T, b Backend) {
	s := b.Open(t)
	const goroutines, perGoroutine = 32, 20
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				id := fmt.Sprintf("%d-%d", g, i)
				rec := testRecord(i)
				rec.ObjectID = id
				var err error
				if i%4 == 3 { // a read: its own transaction
					err = s.AppendAudit(context.Background(), rec)
				} else {
					err = s.Create(context.Background(), rec, object(id))
				}
				if err != nil || rec.Seq == 0 {
					t.Errorf("%s: %v, Seq %d", id, err, rec.Seq)
					return
				}
			}
		})
	}
	wg.Wait()

	const total = goroutines * perGoroutine
	mustVerify(t, s, total)
	seen := make(map[string]bool)
	for i, r := range AllRecords(t, s) {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has Seq %d: not dense", i+1, r.Seq)
		}
		seen[r.ObjectID] = true
	}
	if len(seen) != total {
		t.Fatalf("%d distinct objects recorded, want %d", len(seen), total)
	}
}

func testClosed(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	mustCreate(t, s, object("k"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
	if err := s.Create(ctx, nil, object("k2")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Create after Close: %v", err)
	}
	if _, _, err := s.Find(ctx, store.Query{}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Find after Close: %v", err)
	}
}

// testForEachObject walks more objects than a page of the Badger store,
// of several owners, while fn changes them.
func testForEachObject(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	const n = 600
	var want []string
	for i := range n {
		obj := object(fmt.Sprintf("id-%03d", i))
		obj.Owner = []string{alice, tenant, "o"}[i%3]
		mustCreate(t, s, obj)
		want = append(want, obj.ID)
	}
	var seen []string
	err := s.ForEachObject(ctx, func(obj *store.Object) error {
		seen = append(seen, obj.ID)
		if want := "sealed " + obj.ID; string(obj.Material) != want {
			t.Errorf("%s: Material %q, want %q", obj.ID, obj.Material, want)
		}
		return s.Update(ctx, nil, obj.ID, func(o *store.Object) error { o.Material = nil; return nil })
	})
	if err != nil {
		t.Fatalf("ForEachObject: %v", err)
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("ForEachObject saw %d objects, want %d in ID order", len(seen), len(want))
	}
	if got, _ := s.Get(ctx, "id-599"); got.Material != nil {
		t.Fatal("the updates of fn were lost")
	}
	stop := errors.New("stop")
	calls := 0
	if err := s.ForEachObject(ctx, func(*store.Object) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("ForEachObject returned %v after %d calls, want fn's error after 1", err, calls)
	}
}

func pending(id string, deadline time.Time) *store.Pending {
	return &store.Pending{ID: id, Deadline: deadline, Attributes: []byte("attrs of " + id), Material: []byte("sealed " + id)}
}

func allPending(t *testing.T, s store.Store) []*store.Pending {
	t.Helper()
	var out []*store.Pending
	if err := s.ForEachPending(context.Background(), func(p *store.Pending) error {
		out = append(out, p)
		return nil
	}); err != nil {
		t.Fatalf("ForEachPending: %v", err)
	}
	return out
}

func testPending(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	deadline := time.Date(2026, 12, 1, 2, 3, 4, 5, time.UTC)
	if got := allPending(t, s); len(got) != 0 {
		t.Fatalf("a new store holds %d pending destructions", len(got))
	}
	for _, id := range []string{"b", "a", "c"} {
		if err := s.PutPending(ctx, pending(id, deadline)); err != nil {
			t.Fatalf("PutPending %s: %v", id, err)
		}
	}
	replaced := pending("b", deadline.Add(time.Hour))
	replaced.Material = []byte("resealed b")
	if err := s.PutPending(ctx, replaced); err != nil {
		t.Fatalf("PutPending replacing b: %v", err)
	}
	got := allPending(t, s)
	want := []*store.Pending{pending("a", deadline), replaced, pending("c", deadline)}
	if len(got) != len(want) {
		t.Fatalf("ForEachPending gave %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !got[i].Deadline.Equal(want[i].Deadline) ||
			!bytes.Equal(got[i].Attributes, want[i].Attributes) || !bytes.Equal(got[i].Material, want[i].Material) {
			t.Errorf("pending %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	// UpdatePending: change, refuse (nothing written), delete.
	err := s.UpdatePending(ctx, nil, "a", func(p **store.Pending) error { (*p).Material = []byte("new"); return nil })
	if err != nil {
		t.Fatalf("UpdatePending: %v", err)
	}
	refused := errors.New("refused")
	if err := s.UpdatePending(ctx, nil, "a", func(p **store.Pending) error { (*p).Material = nil; return refused }); err != refused {
		t.Fatalf("UpdatePending with failing fn: %v", err)
	}
	if got := allPending(t, s); string(got[0].Material) != "new" {
		t.Fatalf("pending a holds %q, want the update and not the refused one", got[0].Material)
	}
	if err := s.UpdatePending(ctx, nil, "c", func(p **store.Pending) error { *p = nil; return nil }); err != nil {
		t.Fatalf("UpdatePending deleting: %v", err)
	}
	if err := s.UpdatePending(ctx, nil, "c", func(**store.Pending) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdatePending of a deleted record: %v, want ErrNotFound", err)
	}
	if got := allPending(t, s); len(got) != 2 {
		t.Fatalf("%d pending destructions after the delete, want 2", len(got))
	}

	// ForEachPending stops at fn's first error; fn may change the store.
	stop := errors.New("stop")
	calls := 0
	if err := s.ForEachPending(ctx, func(*store.Pending) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("ForEachPending returned %v after %d calls, want fn's error after 1", err, calls)
	}
	err = s.ForEachPending(ctx, func(p *store.Pending) error {
		return s.UpdatePending(ctx, nil, p.ID, func(pp **store.Pending) error { *pp = nil; return nil })
	})
	if err != nil {
		t.Fatalf("ForEachPending deleting every record: %v", err)
	}
	if got := allPending(t, s); len(got) != 0 {
		t.Fatalf("%d pending destructions left", len(got))
	}

	// A pending destruction is independent of its object.
	mustCreate(t, s, object("x"))
	if err := s.PutPending(ctx, pending("x", deadline)); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, nil, "x"); err != nil {
		t.Fatal(err)
	}
	if got := allPending(t, s); len(got) != 1 || got[0].ID != "x" {
		t.Fatalf("pending destructions after the object's Delete: %v", got)
	}
}

func testRestorePending(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	deadline := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	destroyed := object("k")
	destroyed.Material, destroyed.Terms = nil, []store.Term{term("State", "Destroyed")}
	mustCreate(t, s, destroyed)
	if err := s.PutPending(ctx, pending("k", deadline)); err != nil {
		t.Fatal(err)
	}

	refused := errors.New("grace ended")
	rec := testRecord(0)
	err := s.RestorePending(ctx, rec, "k", func(*store.Object, *store.Pending) error { return refused })
	if err != refused || rec.Seq != 0 {
		t.Fatalf("RestorePending with failing fn: %v, audit Seq %d; want fn's error, no record", err, rec.Seq)
	}
	if err := s.RestorePending(ctx, nil, "k", func(o *store.Object, _ *store.Pending) error { o.Owner = "mallory"; return nil }); err == nil {
		t.Fatal("RestorePending changing the Owner succeeded")
	}
	if got := allPending(t, s); len(got) != 1 {
		t.Fatal("a failed RestorePending deleted the pending record")
	}

	err = s.RestorePending(ctx, rec, "k", func(obj *store.Object, p *store.Pending) error {
		if !p.Deadline.Equal(deadline) || string(p.Material) != "sealed k" {
			t.Errorf("fn given pending %+v", p)
		}
		obj.Attributes, obj.Material, obj.Terms = p.Attributes, p.Material, []store.Term{term("State", "Active")}
		return nil
	})
	if err != nil {
		t.Fatalf("RestorePending: %v", err)
	}
	if rec.Seq != 1 {
		t.Fatalf("RestorePending did not write its audit record (Seq %d)", rec.Seq)
	}
	got, err := s.Get(ctx, "k")
	if err != nil || string(got.Material) != "sealed k" || string(got.Attributes) != "attrs of k" {
		t.Fatalf("restored object %+v, %v", got, err)
	}
	if ids, _ := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("State", "Active")}}); !slices.Equal(ids, []string{"k"}) {
		t.Fatalf("the restored object's terms are not indexed: %v", ids)
	}
	if _, total := mustFind(t, s, store.Query{Owner: "o", Terms: []store.Term{term("State", "Destroyed")}}); total != 0 {
		t.Fatal("the destroyed object's terms are still indexed")
	}
	if got := allPending(t, s); len(got) != 0 {
		t.Fatal("RestorePending left the pending record")
	}
	if err := s.RestorePending(ctx, nil, "k", func(*store.Object, *store.Pending) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RestorePending without a pending record: %v, want ErrNotFound", err)
	}
	if err := s.PutPending(ctx, pending("gone", deadline)); err != nil {
		t.Fatal(err)
	}
	if err := s.RestorePending(ctx, nil, "gone", func(*store.Object, *store.Pending) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RestorePending without an object: %v, want ErrNotFound", err)
	}
	mustVerify(t, s, 1)
}

func testAuditAppendIterateVerify(t *testing.T, b Backend) {
	s := b.Open(t)
	mustVerify(t, s, 0) // an empty log is intact

	var written []store.AuditRecord
	for i := range 3 {
		rec := testRecord(i)
		mustAppend(t, s, rec)
		if rec.Seq != uint64(i+1) || rec.Hash == ([32]byte{}) {
			t.Fatalf("record %d: Seq %d, Hash %x", i, rec.Seq, rec.Hash)
		}
		written = append(written, *rec)
	}
	if written[1].Prev != written[0].Hash || written[0].Prev != ([32]byte{}) {
		t.Fatal("records not chained")
	}
	if err := s.AppendAudit(context.Background(), &written[0]); err == nil {
		t.Fatal("AppendAudit of a written record succeeded")
	}
	unsynced := testRecord(3)
	if err := s.AppendAuditUnsynced(context.Background(), unsynced); err != nil || unsynced.Seq != 4 || unsynced.Prev != written[2].Hash {
		t.Fatalf("AppendAuditUnsynced: %v, Seq %d, chained %v", err, unsynced.Seq, unsynced.Prev == written[2].Hash)
	}
	written = append(written, *unsynced)

	got := AllRecords(t, s)
	if len(got) != len(written) {
		t.Fatalf("AuditRecords: %d records, want %d", len(got), len(written))
	}
	for i := range got {
		if got[i] != written[i] || !got[i].Time.Equal(testRecord(i).Time) {
			t.Errorf("record %d read back as %+v, written %+v", i+1, got[i], written[i])
		}
	}
	var from2 []uint64
	s.AuditRecords(context.Background(), 2, func(r store.AuditRecord) error {
		from2 = append(from2, r.Seq)
		return nil
	})
	if fmt.Sprint(from2) != "[2 3 4]" {
		t.Errorf("AuditRecords from 2 = %v", from2)
	}
	stop := errors.New("stop")
	if err := s.AuditRecords(context.Background(), 0, func(store.AuditRecord) error { return stop }); err != stop {
		t.Errorf("AuditRecords did not return fn's error: %v", err)
	}
	mustVerify(t, s, 4)
}

func testAuditHead(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	if n, err := s.AuditHead(ctx); err != nil || n != 0 {
		t.Fatalf("empty trail: AuditHead = %d, %v; want 0", n, err)
	}
	for i := range 3 {
		mustAppend(t, s, testRecord(i))
	}
	if n, err := s.AuditHead(ctx); err != nil || n != 3 {
		t.Fatalf("AuditHead = %d, %v; want 3", n, err)
	}
	s.Close()
	if _, err := s.AuditHead(ctx); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("AuditHead after Close: %v, want ErrClosed", err)
	}
}

// testBackupRoundTrip restores a backup of objects, their index, a pending
// destruction and the audit trail, taken while the store is written.
func testBackupRoundTrip(t *testing.T, b Backend) {
	ctx := context.Background()
	s := b.Open(t)
	var want []*store.Object
	for i, id := range []string{"a", "b", "c"} {
		obj := ownedObject(id, []string{alice, tenant, alice}[i], "k"+id)
		rec := &store.AuditRecord{Identity: obj.Owner, Operation: "Create", Result: "Success"}
		if err := s.Create(ctx, rec, obj); err != nil {
			t.Fatal(err)
		}
		want = append(want, obj)
	}
	deadline := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := s.PutPending(ctx, pending("b", deadline)); err != nil {
		t.Fatal(err)
	}
	sealer := newSealer(t)
	var backup bytes.Buffer
	if err := s.BackupWith(ctx, &backup, sealer, nil); err != nil {
		t.Fatalf("BackupWith: %v", err)
	}
	if bytes.Contains(backup.Bytes(), []byte(alice)) || bytes.Contains(backup.Bytes(), []byte("sealed a")) {
		t.Fatal("the backup is not encrypted")
	}
	mustCreate(t, s, ownedObject("after", alice, "later")) // not in the backup

	r := b.Restore(t, &backup, sealer)
	for _, w := range want {
		got, err := r.Get(ctx, w.ID)
		if err != nil {
			t.Fatalf("Get %s after restore: %v", w.ID, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Fatalf("object %s: got %+v, want %+v", w.ID, got, w)
		}
	}
	if _, err := r.Get(ctx, "after"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an object created after the backup was restored: %v", err)
	}
	if ids, _ := mustFind(t, r, store.Query{Owner: alice, Terms: []store.Term{term("Object Group", "db")}}); !slices.Equal(ids, []string{"c", "a"}) {
		t.Fatalf("Find after restore = %v", ids)
	}
	if got := allPending(t, r); len(got) != 1 || got[0].ID != "b" || !got[0].Deadline.Equal(deadline) || string(got[0].Material) != "sealed b" {
		t.Fatalf("pending destructions after restore: %+v", got)
	}
	mustVerify(t, r, 3)
}

// sealer is a store.Sealer under a random AES-256-GCM key.
type sealer struct{ aead cipher.AEAD }

func newSealer(t *testing.T) *sealer {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &sealer{aead}
}

func (s *sealer) Seal(id string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(id)), nil
}

func (s *sealer) Unseal(id string, sealed []byte) ([]byte, error) {
	if len(sealed) < s.aead.NonceSize() {
		return nil, errors.New("storetest: sealed value too short")
	}
	n := s.aead.NonceSize()
	return s.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
}
