package certs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemalto/kmip-go/kmip14"

	"github.com/kmipd/kmipd/kmip"
)

// countingCheck is a PasswordCheck of one password for every listed user
// that counts its verifications.
type countingCheck struct {
	password string
	users    []string
	calls    atomic.Int32
}

func (c *countingCheck) Verify(username, password string) bool {
	c.calls.Add(1)
	for _, u := range c.users {
		if u == username {
			return password == c.password
		}
	}
	return false
}

// recordingObserver keeps the refusals it is told of.
type recordingObserver struct {
	mu       sync.Mutex
	failures []CredentialFailure
}

func (o *recordingObserver) CredentialRefused(_ context.Context, _ *kmip.Request, f CredentialFailure) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failures = append(o.failures, f)
	return nil
}

func (o *recordingObserver) last(t *testing.T) CredentialFailure {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.failures) == 0 {
		t.Fatal("no refusal observed")
	}
	return o.failures[len(o.failures)-1]
}

// gateFixture is a RequireCredential handler in front of a handler that
// counts the items it serves.
type gateFixture struct {
	handler  kmip.Handler
	check    *countingCheck
	observer *recordingObserver
	clock    *fakeClock
	served   atomic.Int32
}

func newGateFixture(t *testing.T, lockout LockoutPolicy, users map[string][]string) *gateFixture {
	t.Helper()
	f := &gateFixture{check: &countingCheck{password: "right"}, observer: &recordingObserver{}, clock: newFakeClock()}
	for u := range users {
		f.check.users = append(f.check.users, u)
	}
	limiter, err := NewFailureLimiter(lockout, f.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	inner := kmip.HandlerFunc(func(context.Context, *kmip.Request) (any, error) {
		f.served.Add(1)
		return &kmip.QueryResponse{}, nil
	})
	f.handler = RequireCredential(inner, CredentialPolicy{Check: f.check, Users: users, Limiter: limiter, Observer: f.observer})
	return f
}

// message serves one message of n items from identity with cred and
// returns the error of each item.
func (f *gateFixture) message(identity string, cred *kmip.Credential, n int) []error {
	header := &kmip.RequestHeader{Version: kmip.V1_4, Credential: cred}
	peer := &kmip.Peer{Identity: identity}
	batch := &kmip.BatchState{}
	errs := make([]error, n)
	for i := range errs {
		_, errs[i] = f.handler.ServeKMIP(context.Background(), &kmip.Request{
			Version: kmip.V1_4, Operation: kmip14.OperationQuery, Payload: &kmip.QueryRequest{},
			Header: header, Peer: peer, Batch: batch,
		})
	}
	return errs
}

// requireMessage checks that every item of errs succeeded (ok) or failed
// with Authentication Not Successful.
func requireMessage(t *testing.T, errs []error, ok bool) {
	t.Helper()
	for i, err := range errs {
		var ke *kmip.Error
		switch {
		case ok && err != nil:
			t.Fatalf("item %d: %v, want success", i, err)
		case !ok && (!errors.As(err, &ke) || ke.Reason != kmip.ReasonAuthenticationNotSuccessful):
			t.Fatalf("item %d: %v, want Authentication Not Successful", i, err)
		}
	}
}

func password(user, pw string) *kmip.Credential {
	return &kmip.Credential{Type: credentialUsernamePassword, Username: user, Password: pw}
}

var noLimit = LockoutPolicy{}

// TestCredentialCheckedOncePerMessage: the items of one message share one
// verification, a wrong password fails every item, and the next message
// verifies again.
func TestCredentialCheckedOncePerMessage(t *testing.T) {
	f := newGateFixture(t, noLimit, map[string][]string{"array": nil})
	requireMessage(t, f.message("CN=a", password("array", "wrong"), 1000), false)
	if n := f.check.calls.Load(); n != 1 {
		t.Fatalf("%d verifications for a 1,000-item message, want 1", n)
	}
	if n := f.served.Load(); n != 0 {
		t.Fatalf("%d items of a refused message served", n)
	}
	if n := len(f.observer.failures); n != 1 {
		t.Fatalf("%d refusals observed for one message, want 1", n)
	}
	requireMessage(t, f.message("CN=a", password("array", "right"), 1000), true)
	if n := f.check.calls.Load(); n != 2 {
		t.Fatalf("%d verifications after a second message, want 2", n)
	}
	if n := f.served.Load(); n != 1000 {
		t.Fatalf("%d items served, want 1000", n)
	}
	// Items without a BatchState (a Handler called directly) are each
	// checked.
	req := &kmip.Request{Operation: kmip14.OperationQuery, Header: &kmip.RequestHeader{Credential: password("array", "right")}, Peer: &kmip.Peer{}}
	for range 2 {
		if _, err := f.handler.ServeKMIP(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.check.calls.Load(); n != 4 {
		t.Fatalf("%d verifications, want 4", n)
	}
}

// TestCredentialMemoPerGate: after a reload, the gate of the new
// configuration checks again, even for the rest of a message.
func TestCredentialMemoPerGate(t *testing.T) {
	a := newGateFixture(t, noLimit, map[string][]string{"array": nil})
	b := newGateFixture(t, noLimit, map[string][]string{"array": nil})
	req := &kmip.Request{Header: &kmip.RequestHeader{Credential: password("array", "right")}, Peer: &kmip.Peer{}, Batch: &kmip.BatchState{}}
	for _, h := range []kmip.Handler{a.handler, b.handler, a.handler} {
		if _, err := h.ServeKMIP(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if a.check.calls.Load() != 1 || b.check.calls.Load() != 1 {
		t.Fatalf("verifications: %d by the first gate, %d by the second; want 1 each", a.check.calls.Load(), b.check.calls.Load())
	}
}

func TestCredentialMissing(t *testing.T) {
	f := newGateFixture(t, DefaultLockoutPolicy, map[string][]string{"array": nil})
	for _, cred := range []*kmip.Credential{nil, {Type: 2, Username: "array", Password: "right"}} {
		requireMessage(t, f.message("CN=a", cred, 3), false)
		if got := f.observer.last(t); got.Reason != NoCredential {
			t.Errorf("credential %+v: reason %v, want %v", cred, got.Reason, NoCredential)
		}
	}
	if f.check.calls.Load() != 0 {
		t.Error("a message without a password was verified")
	}
	requireMessage(t, f.message("CN=a", password("array", "right"), 1), true) // not counted as failures
}

// TestCredentialBackoffAndLockout: failures put the identity and username
// in back-off (refused without a check), then lock them, even for the
// right password, until the period ends; a success resets.
func TestCredentialBackoffAndLockout(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 3, Period: 15 * time.Minute, BackoffBase: time.Second, BackoffMax: time.Minute}
	f := newGateFixture(t, p, map[string][]string{"array": nil})

	requireMessage(t, f.message("CN=a", password("array", "wrong"), 2), false)
	if got := f.observer.last(t); got.Reason != BadPassword || got.Failures != 1 || got.Username != "array" {
		t.Fatalf("first failure observed as %+v", got)
	}
	calls := f.check.calls.Load()
	requireMessage(t, f.message("CN=a", password("array", "right"), 2), false)
	if got := f.observer.last(t); got.Reason != InBackoff || got.RetryAfter != time.Second || f.check.calls.Load() != calls {
		t.Fatalf("in back-off: observed %+v, verified %v", got, f.check.calls.Load() != calls)
	}
	f.clock.advance(time.Second)
	requireMessage(t, f.message("CN=a", password("array", "right"), 1), true) // success resets

	for i := range p.MaxFailures {
		requireMessage(t, f.message("CN=a", password("array", "wrong"), 1), false)
		f.clock.advance(p.BackoffMax)
		if got := f.observer.last(t); got.Reason != BadPassword || got.Failures != i+1 {
			t.Fatalf("failure %d observed as %+v", i+1, got)
		}
	}
	if got := f.observer.last(t); len(got.Locks) != 2 || got.Locks[0].Key != "identity CN=a" || got.Locks[1].Key != "username array" {
		t.Fatalf("the failure that locks: %+v", got)
	}
	calls = f.check.calls.Load()
	requireMessage(t, f.message("CN=a", password("array", "right"), 1), false)
	requireMessage(t, f.message("CN=b", password("array", "right"), 1), false) // the username is locked for all
	if got := f.observer.last(t); got.Reason != Locked || got.Key != "username array" || f.check.calls.Load() != calls {
		t.Fatalf("locked: observed %+v, verified %v", got, f.check.calls.Load() != calls)
	}
	f.clock.advance(p.Period)
	requireMessage(t, f.message("CN=a", password("array", "right"), 1), true)
}

// TestCredentialIdentityBinding: a username bound to identities is refused
// from any other, without a check, and those failures count against the
// identity alone: they can lock the attacker out, never the user.
func TestCredentialIdentityBinding(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 3, Period: time.Hour, BackoffBase: time.Second, BackoffMax: time.Second}
	f := newGateFixture(t, p, map[string][]string{"array": {"CN=array-1,O=acme"}, "any": nil})
	for range 2 * p.MaxFailures {
		requireMessage(t, f.message("CN=attacker", password("array", "right"), 1), false)
		f.clock.advance(time.Second)
	}
	if f.check.calls.Load() != 0 {
		t.Fatal("a username bound to another identity was verified")
	}
	if got := f.observer.last(t); got.Reason != Locked || got.Key != "identity CN=attacker" {
		t.Fatalf("after repeated binding failures: %+v", got)
	}
	requireMessage(t, f.message("CN=array-1,O=acme", password("array", "right"), 1), true)
	requireMessage(t, f.message("CN=array-1,O=acme", password("any", "right"), 1), true) // unbound: every identity
}

// TestCredentialUnknownUsername: an unknown username is verified (against
// a dummy hash, by PasswordHashes) and counted against the identity only;
// it never appears in what is observed.
func TestCredentialUnknownUsername(t *testing.T) {
	p := LockoutPolicy{MaxFailures: 2, Period: time.Hour, BackoffBase: time.Second, BackoffMax: time.Second}
	f := newGateFixture(t, p, map[string][]string{"array": nil})
	requireMessage(t, f.message("CN=a", password("correct horse", "x"), 1), false)
	got := f.observer.last(t)
	if got.Reason != BadPassword || got.Username != "" || strings.Contains(got.Key, "horse") {
		t.Fatalf("unknown username observed as %+v", got)
	}
	f.clock.advance(time.Second)
	requireMessage(t, f.message("CN=b", password("array", "right"), 1), true)
}

// TestCredentialGateConcurrent serves messages of several identities at
// once (for go test -race).
func TestCredentialGateConcurrent(t *testing.T) {
	f := newGateFixture(t, LockoutPolicy{MaxFailures: 3, Period: time.Minute, BackoffBase: time.Millisecond, BackoffMax: time.Millisecond}, map[string][]string{"array": nil})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				pw := "wrong"
				if i%3 == 0 {
					pw = "right"
				}
				f.message([]string{"CN=a", "CN=b"}[g%2], password("array", pw), 5)
				f.clock.advance(time.Millisecond)
			}
		}()
	}
	wg.Wait()
}
